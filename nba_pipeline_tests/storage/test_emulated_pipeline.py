"""The whole pipeline through the `gcp` code path, on emulators: BigQuery (bqemulator) and GCS
(fake-gcs-server), with the real google-cloud-bigquery and google-cloud-storage clients.

Same game days as the local session warehouse (`materialized_home`), so the two profiles'
tables can be compared row for row: the product promise is "the same assets, the same results".
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from unittest import mock

import duckdb
import pandas as pd
import pytest
from dagster import AssetSelection, DagsterInstance, Definitions

from nba_pipeline.definitions import build_definitions
from nba_pipeline.runner import run_range
from nba_pipeline.storage.bigquery_warehouse import (
    WarehouseBigQueryIOManager,
    read_frame,
)
from nba_pipeline.storage.gcs_landing import GCSLandingStore
from nba_pipeline.storage.landing import LocalLandingStore
from nba_pipeline.storage.schema import load_schemas, table_schema
from nba_pipeline_tests.conftest import (
    HISTORY_END,
    HISTORY_GROUPS,
    HISTORY_START,
    PREDICT_END,
    PREDICT_START,
)
from nba_pipeline_tests.emulators import CloudEmulators

PROJECT = "nba-pipeline-e2e"
BUCKET = "nba-pipeline-e2e-landing"
VOLATILE = ("created_at", "landing_key")  # wall-clock times; keys with the profile's path


@dataclass
class EmulatedPipeline:
    defs: Definitions
    emulators: CloudEmulators
    seconds: float

    def client(self):  # noqa: ANN201
        return self.emulators.bigquery_client()

    def table(self, name: str) -> pd.DataFrame:
        return read_frame(self.client(), f"SELECT * FROM `{PROJECT}.{name}`", table_schema(name))


@pytest.fixture(scope="module")
def emulated(emulators: CloudEmulators) -> Iterator[EmulatedPipeline]:
    import time

    emulators.create_bucket(BUCKET)
    env = {**emulators.env(), "NBA_PIPELINE_PROFILE": "emulated",
           "NBA_PIPELINE_GCP_PROJECT": PROJECT, "NBA_PIPELINE_GCS_BUCKET": BUCKET}
    with mock.patch.dict(os.environ, env):
        defs = build_definitions()  # the profile from NBA_PIPELINE_PROFILE, as in production
        started = time.monotonic()
        with DagsterInstance.ephemeral() as instance:
            hist = run_range(defs, HISTORY_START, HISTORY_END, instance=instance,
                             selection=AssetSelection.groups(*HISTORY_GROUPS))
            assert hist.success, hist.failure
            full = run_range(defs, PREDICT_START, PREDICT_END, instance=instance)
            assert full.success, full.failure
        yield EmulatedPipeline(defs, emulators, time.monotonic() - started)


def test_emulated_profile_uses_the_gcp_code_path(emulated: EmulatedPipeline) -> None:
    resources = emulated.defs.resources
    assert isinstance(resources["io_manager"], WarehouseBigQueryIOManager)
    assert isinstance(resources["landing_store"], GCSLandingStore)
    assert resources["io_manager"].emulator_endpoint == emulated.emulators.bigquery.endpoint


def test_tables_created_from_ddl_with_native_partitioning(emulated: EmulatedPipeline) -> None:
    client = emulated.client()
    for name, schema in load_schemas().items():
        table = client.get_table(f"{PROJECT}.{name}")
        assert table.time_partitioning is not None, name
        assert table.time_partitioning.field == "game_date", name
        assert [f.name for f in table.schema] == schema.column_names, name
        required = {f.name for f in table.schema if f.mode == "REQUIRED"}
        assert required == {c.name for c in schema.columns if c.required}, name


def test_landing_payloads_and_model_artifacts_in_gcs(emulated: EmulatedPipeline,
                                                     materialized_home) -> None:
    """GCS holds the same keys and bytes the local profile wrote to its landing folder."""
    store = emulated.defs.resources["landing_store"]
    local = LocalLandingStore(base_dir=str(materialized_home / "landing"))
    keys = store.list_keys()
    assert keys == local.list_keys()
    assert any(k.startswith("models/points_model/") for k in keys)
    landed = [k for k in keys if f"/{PREDICT_START.isoformat()}/" in k]
    assert landed and store.read_bytes(landed[0]) == local.read_bytes(landed[0])


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in a stable order, volatile columns dropped, floats rounded (1e-6)."""
    frame = frame.drop(columns=[c for c in VOLATILE if c in frame.columns])
    text = pd.DataFrame({c: (frame[c].round(6) if pd.api.types.is_float_dtype(frame[c])
                             else frame[c]).astype(str) for c in frame.columns})
    return text.sort_values(list(text.columns)).reset_index(drop=True)


# Tables that hold rows only when something went wrong on the day, and the injury report,
# which replay has for no day of this span (only 2024-01-04's report is recorded).
EMPTY_ON_CLEAN_DAYS = {"nba_predictions.prediction_gaps", "nba_raw.injury_report"}


def test_same_results_as_the_local_profile(emulated: EmulatedPipeline,
                                           materialized_home) -> None:
    """Every table in sql/ holds the same rows on BigQuery as on DuckDB (the gaps table is
    empty on both: every line of the replayed days got a prediction)."""
    with duckdb.connect(str(materialized_home / "warehouse.duckdb"), read_only=True) as con:
        for name in load_schemas():
            local = _canonical(con.execute(f"SELECT * FROM {name}").df())
            cloud = _canonical(emulated.table(name))
            if name in EMPTY_ON_CLEAN_DAYS:
                assert len(cloud) == len(local) == 0, name
                continue
            assert len(cloud) == len(local) > 0, name
            for col in local.columns:
                assert local[col].tolist() == cloud[col].tolist(), (name, col)


def test_rerun_of_a_day_replaces_it(emulated: EmulatedPipeline) -> None:
    before = emulated.table("nba_predictions.player_prop_predictions")
    with DagsterInstance.ephemeral() as instance:
        result = run_range(emulated.defs, PREDICT_START, PREDICT_START, instance=instance,
                           selection=AssetSelection.groups("predictions"))
    assert result.success, result.failure
    after = emulated.table("nba_predictions.player_prop_predictions")
    assert len(after) == len(before)
    counts = after.groupby("game_date").size()
    assert counts.equals(before.groupby("game_date").size())
