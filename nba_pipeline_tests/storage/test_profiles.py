"""Profiles: identical resource keys; `gcp` is the stock client path; `emulated` needs its URLs."""

import os
from unittest import mock

import pytest

from nba_pipeline.profiles import PROFILES, resources_for
from nba_pipeline.storage.bigquery_warehouse import WarehouseBigQueryIOManager
from nba_pipeline.storage.duckdb_warehouse import WarehouseDuckDBIOManager
from nba_pipeline.storage.gcs_landing import GCSLandingStore
from nba_pipeline.storage.landing import LocalLandingStore
from nba_pipeline_tests import emulators as emulators_module

EMULATOR_ENV = {"BIGQUERY_EMULATOR_HOST": "http://127.0.0.1:1",
                "STORAGE_EMULATOR_HOST": "http://127.0.0.1:2"}


def test_every_profile_has_the_same_resource_keys(tmp_path) -> None:
    with mock.patch.dict(os.environ, {**EMULATOR_ENV, "NBA_PIPELINE_HOME": str(tmp_path)}):
        keys = {p: set(resources_for(p)) for p in PROFILES}
    assert len({frozenset(k) for k in keys.values()}) == 1, keys
    assert keys["local"] == {"io_manager", "landing_store", "nba_source"}


def test_local_profile_is_duckdb_and_a_folder(tmp_path) -> None:
    with mock.patch.dict(os.environ, {"NBA_PIPELINE_HOME": str(tmp_path)}):
        res = resources_for("local")
    assert isinstance(res["io_manager"], WarehouseDuckDBIOManager)
    assert res["io_manager"].database == str(tmp_path / "warehouse.duckdb")
    assert isinstance(res["landing_store"], LocalLandingStore)


def test_gcp_profile_reads_env_vars_and_uses_the_stock_clients() -> None:
    env = {"NBA_PIPELINE_BQ_LOCATION": "EU", "NBA_PIPELINE_GCS_PREFIX": "nba"}
    with mock.patch.dict(os.environ, env):
        res = resources_for("gcp")
    io, store = res["io_manager"], res["landing_store"]
    assert isinstance(io, WarehouseBigQueryIOManager) and isinstance(store, GCSLandingStore)
    # Project and bucket are EnvVars, resolved when Dagster initialises the resources.
    assert io.project == "NBA_PIPELINE_GCP_PROJECT" and type(io.project).__name__ == "EnvVar"
    assert store.bucket == "NBA_PIPELINE_GCS_BUCKET"
    assert io.location == "EU" and store.prefix == "nba"
    assert io.emulator_endpoint is None and store.emulator_endpoint is None


def test_emulated_profile_refuses_to_start_without_emulator_urls() -> None:
    with mock.patch.dict(os.environ, {}, clear=False):
        for var in EMULATOR_ENV:
            os.environ.pop(var, None)
        with pytest.raises(ValueError, match="BIGQUERY_EMULATOR_HOST"):
            resources_for("emulated")


def test_emulated_profile_points_both_clients_at_the_emulators() -> None:
    with mock.patch.dict(os.environ, EMULATOR_ENV):
        res = resources_for("emulated")
    assert res["io_manager"].emulator_endpoint == EMULATOR_ENV["BIGQUERY_EMULATOR_HOST"]
    assert res["landing_store"].emulator_endpoint == EMULATOR_ENV["STORAGE_EMULATOR_HOST"]


def test_unknown_profile_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown NBA_PIPELINE_PROFILE"):
        resources_for("prod")


def test_missing_bigquery_emulator_is_a_failure_not_a_skip(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(emulators_module, "BQ_VENV", tmp_path / "no-venv")
    with pytest.raises(emulators_module.EmulatorMissingError, match="make emulators"):
        emulators_module.start_bigquery(tmp_path, "p")
