"""`schema_matches_ddl` fails, blocking, on a drifted frame (real runs on a copy of the session
warehouse, real assets; the domain function an asset calls is patched to drift its output)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from dagster import AssetCheckKey, AssetKey, DagsterEventType, DagsterInstance

from nba_pipeline import tables
from nba_pipeline.defs.analytics.assets import PGS_WORKING
from nba_pipeline.domain import analytics
from nba_pipeline.lib.schema_check import SCHEMA_CHECK_NAME
from nba_pipeline.ml import systems
from nba_pipeline.runner import run_range
from nba_pipeline_tests.conftest import build_definitions_for

DAY = date(2024, 3, 5)
BOX = AssetKey(["nba_raw", "player_boxscores"])
PGS = AssetKey(["nba_analytics", "player_game_summary"])
OFFENSE = AssetKey(["nba_analytics", "team_offense_game_summary"])
ACCURACY = AssetKey(["nba_predictions", "prediction_accuracy"])
PERFORMANCE = AssetKey(["nba_predictions", "system_daily_performance"])
Drift = Callable[[pd.DataFrame], pd.DataFrame]


def _materialized(instance: DagsterInstance, run_id: str) -> set[AssetKey]:
    records = instance.get_records_for_run(
        run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
    return {r.event_log_entry.dagster_event.asset_key for r in records}


def _schema_metadata(instance: DagsterInstance, key: AssetKey) -> tuple[bool, dict[str, Any]]:
    record = instance.get_latest_asset_check_evaluation_record(
        AssetCheckKey(key, SCHEMA_CHECK_NAME))
    evaluation = record.event.dagster_event.event_specific_data
    return evaluation.passed, {k: v.value for k, v in evaluation.metadata.items()}


def _day_rows(home: Path, table: str) -> pd.DataFrame:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(f"select * from {table} where game_date = ? order by all",
                           [DAY]).df()


def _drift_pgs(monkeypatch: pytest.MonkeyPatch, drift: Drift) -> None:
    real = analytics.player_game_summary
    monkeypatch.setattr(analytics, "player_game_summary",
                        lambda *args, **kwargs: drift(real(*args, **kwargs)))


def _run_drifted_pgs(home: Path, instance: DagsterInstance) -> dict[str, Any]:
    """Run box scores -> PGS -> team offense for DAY; assert the schema check failed and
    blocked; return its metadata."""
    before = _day_rows(home, "nba_analytics.player_game_summary")
    result = run_range(build_definitions_for(home), DAY, DAY, selection=[BOX, PGS, OFFENSE],
                       instance=instance)

    assert not result.success
    assert f"nba_analytics/player_game_summary:{SCHEMA_CHECK_NAME}" in result.checks_failed
    assert SCHEMA_CHECK_NAME in (result.failure or "")
    done = _materialized(instance, result.run_id)
    assert BOX in done
    assert PGS not in done and OFFENSE not in done  # nothing written, nothing built on it
    # The partition keeps its previous rows: a drifted frame is never half-written.
    pd.testing.assert_frame_equal(_day_rows(home, "nba_analytics.player_game_summary"), before)
    passed, metadata = _schema_metadata(instance, PGS)
    assert not passed
    assert metadata["partition"] == DAY.isoformat()
    assert metadata["rows_checked"] == len(before)
    return metadata


def test_schema_check_is_blocking():
    graph = build_definitions_for(Path("/nonexistent")).resolve_asset_graph()
    schema_checks = [k for k in graph.asset_check_keys if k.name == SCHEMA_CHECK_NAME]
    assert len(schema_checks) == len(tables.warehouse_tables()) == 15
    assert all(graph.get(k).blocking for k in schema_checks)


def test_missing_column_fails(copy_home: Path, instance: DagsterInstance,
                              monkeypatch: pytest.MonkeyPatch):
    _drift_pgs(monkeypatch, lambda f: f.drop(columns=["usage_rate"]))  # a nullable column
    metadata = _run_drifted_pgs(copy_home, instance)
    assert metadata["missing_columns"] == ["usage_rate"]
    assert metadata["extra_columns"] == [] and metadata["retyped_columns"] == []


def test_extra_column_fails(copy_home: Path, instance: DagsterInstance,
                            monkeypatch: pytest.MonkeyPatch):
    _drift_pgs(monkeypatch, lambda f: f.assign(points_per_36=f["points"] * 1.5))
    metadata = _run_drifted_pgs(copy_home, instance)
    assert metadata["extra_columns"] == ["points_per_36"]
    assert metadata["missing_columns"] == []


def test_renamed_column_fails(copy_home: Path, instance: DagsterInstance,
                              monkeypatch: pytest.MonkeyPatch):
    _drift_pgs(monkeypatch, lambda f: f.rename(columns={"points": "pts"}))
    metadata = _run_drifted_pgs(copy_home, instance)
    assert metadata["missing_columns"] == ["points"]
    assert metadata["extra_columns"] == ["pts"]
    assert metadata["possible_renames"] == [{"from": "pts", "to": "points"}]


@pytest.mark.parametrize(("column", "drift", "expected", "found"), [
    ("points", lambda s: s.astype("Int64").astype(str), "INT64", "object[string]"),
    ("points", lambda s: s + 0.5, "INT64", "float64"),  # was rounded silently before
    ("is_home", lambda s: s.map({True: "home", False: "away"}), "BOOL", "object[string]"),
    ("game_id", lambda s: s.astype(int), "STRING", "int64"),  # leading zeros already lost
], ids=["strings_in_int64", "fractions_in_int64", "strings_in_bool", "ints_in_string"])
def test_retyped_column_fails(copy_home: Path, instance: DagsterInstance,
                              monkeypatch: pytest.MonkeyPatch, column: str,
                              drift: Callable[[pd.Series], pd.Series], expected: str, found: str):
    _drift_pgs(monkeypatch, lambda f: f.assign(**{column: drift(f[column])}))
    metadata = _run_drifted_pgs(copy_home, instance)
    (retyped,) = metadata["retyped_columns"]
    assert (retyped["column"], retyped["expected"], retyped["found"]) == (column, expected, found)
    assert metadata["missing_columns"] == [] and metadata["extra_columns"] == []


def test_drift_in_an_asset_returning_output_fails_and_blocks(
        copy_home: Path, instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch):
    """prediction_accuracy returns one Output (no generator): the check still fails and blocks."""
    real = systems.grade
    monkeypatch.setattr(systems, "grade", lambda *a, **k: real(*a, **k).drop(columns=["is_hit"]))
    result = run_range(build_definitions_for(copy_home), DAY, DAY,
                       selection=[ACCURACY, PERFORMANCE], instance=instance)
    assert not result.success
    assert f"nba_predictions/prediction_accuracy:{SCHEMA_CHECK_NAME}" in result.checks_failed
    assert not {ACCURACY, PERFORMANCE} & _materialized(instance, result.run_id)
    passed, metadata = _schema_metadata(instance, ACCURACY)
    assert not passed and metadata["missing_columns"] == ["is_hit"]


def test_healthy_run_passes_and_records_what_conform_did(copy_home: Path,
                                                         instance: DagsterInstance):
    result = run_range(build_definitions_for(copy_home), DAY, DAY,
                       selection=[BOX, PGS, OFFENSE], instance=instance)
    assert result.success, result.failure
    assert {BOX, PGS, OFFENSE} <= _materialized(instance, result.run_id)
    for key in (BOX, PGS, OFFENSE):
        passed, metadata = _schema_metadata(instance, key)
        assert passed, (key, metadata)
        assert metadata["missing_columns"] == metadata["extra_columns"] == []
        assert metadata["retyped_columns"] == []
    _, metadata = _schema_metadata(instance, PGS)
    # The box-score columns the domain carries are dropped on purpose, and say so.
    assert set(metadata["dropped_working_columns"]) == set(PGS_WORKING)
    assert "points" in metadata["lossless_casts"]["float64 -> Int64"]
