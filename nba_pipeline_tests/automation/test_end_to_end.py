"""Landing -> graded predictions with no button pressed: a day's payloads land, the landing
sensor and the automation tick, their requested runs execute, and the day is graded."""

from __future__ import annotations

import shutil
from collections import defaultdict
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    build_sensor_context,
    evaluate_automation_conditions,
)

from nba_pipeline.defs.landing.sensors import landing_sensor
from nba_pipeline.runner import run_range
from nba_pipeline.sources.replay import ReplaySource
from nba_pipeline.storage.landing import LocalLandingStore
from nba_pipeline_tests.conftest import build_definitions_for

DAY = date(2024, 3, 6)
PAYLOAD_PREFIXES = ("nba_com", "odds_api", "espn", "balldontlie")


def remove_day(home: Path, day: date) -> int:
    """Forget one game date: its landed payloads, its rows in every table, its published JSON."""
    landing = home / "landing"
    removed = 0
    for source in PAYLOAD_PREFIXES:
        for folder in (landing / source).glob(f"*/{day.isoformat()}"):
            removed += sum(1 for p in folder.rglob("*") if p.is_file())
            shutil.rmtree(folder)
    (landing / "published" / "predictions" / f"{day.isoformat()}.json").unlink(missing_ok=True)
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    tables = con.execute("select table_schema, table_name from information_schema.tables "
                         "where table_schema like 'nba_%'").fetchall()
    for schema, table in tables:
        con.execute(f"delete from {schema}.{table} where game_date = ?", [day])
    con.close()
    return removed


def count(home: Path, sql: str) -> int:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, [DAY]).fetchone()[0]
    finally:
        con.close()


@pytest.mark.slow
def test_landed_day_flows_to_graded_predictions(copy_home: Path, instance: DagsterInstance):
    """Replay mode on the real clock: the recorded day is years old, as in `dagster dev`."""
    home = copy_home
    assert remove_day(home, DAY) > 0
    assert count(home, "select count(*) from nba_predictions.prediction_accuracy "
                       "where game_date = ?") == 0
    defs = build_definitions_for(home)
    store = LocalLandingStore(base_dir=str(home / "landing"))

    def tick_sensor(cursor: str | None):
        return landing_sensor(build_sensor_context(
            instance=instance, cursor=cursor, resources={"landing_store": store}))

    # Both sensors' first ticks: what is already there is their baseline.
    baseline = tick_sensor(None)
    assert not baseline.run_requests
    cursor = evaluate_automation_conditions(defs=defs, instance=instance).cursor

    # A scraper lands the day's payloads (replayed recorded data, in the live formats).
    source = ReplaySource()
    for fetch in (source.fetch_schedule, source.fetch_player_points_odds, source.fetch_boxscores):
        for payload in fetch(DAY):
            store.write_bytes(payload.landing_key, payload.body)

    # The landing sensor: one run for the date, every raw table the new files feed.
    result = tick_sensor(baseline.cursor)
    (request,) = result.run_requests
    assert request.partition_key == DAY.isoformat()
    assert {k.path[-1] for k in request.asset_selection} == {
        "schedule", "player_boxscores", "player_prop_lines"}
    raw = run_range(defs, DAY, DAY, selection=request.asset_selection, instance=instance)
    assert raw.success, raw.failure
    assert not tick_sensor(result.cursor).run_requests  # nothing new: nothing requested twice

    # The automation ticks until quiet; each tick's requests execute as one run per date.
    executed: list[set[str]] = []
    for _ in range(5):
        tick = evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
        cursor = tick.cursor
        by_date: dict[str, set[AssetKey]] = defaultdict(set)
        for r in tick.results:
            for partition in r.true_subset.expensively_compute_partition_keys():
                by_date[partition].add(r.key)
        if not by_date:
            break
        assert set(by_date) == {DAY.isoformat()}  # later dates' own inputs are not there
        run = run_range(defs, DAY, DAY, selection=sorted(by_date[DAY.isoformat()]),
                        instance=instance)
        assert run.success, run.failure
        executed.append({k.to_user_string() for k in by_date[DAY.isoformat()]})
    assert len(executed) == 1  # the whole chain went in one run, and nothing ran twice
    assert {"nba_predictions/points_model", "nba_predictions/player_prop_predictions",
            "nba_predictions/prediction_accuracy"} <= executed[0]

    graded = count(home, "select count(*) from nba_predictions.prediction_accuracy "
                         "where game_date = ? and actual_points is not null")
    predictions = count(home, "select count(*) from nba_predictions.player_prop_predictions "
                              "where game_date = ?")
    assert predictions > 100
    assert graded > 100
    assert (home / "landing" / "published" / "predictions" / f"{DAY.isoformat()}.json").exists()
