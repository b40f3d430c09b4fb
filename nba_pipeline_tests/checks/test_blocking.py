"""A failed blocking check stops downstream assets in the same run (real run, corrupted landing)."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

from dagster import AssetCheckKey, AssetKey, DagsterEventType, DagsterInstance

from nba_pipeline.runner import run_range
from nba_pipeline.storage.landing import fetched_at_text
from nba_pipeline_tests.conftest import build_definitions_for

DAY = date(2024, 3, 5)
BOX = AssetKey(["nba_raw", "player_boxscores"])
PGS = AssetKey(["nba_analytics", "player_game_summary"])
OFFENSE = AssetKey(["nba_analytics", "team_offense_game_summary"])


def _land_duplicate_row(home: Path) -> str:
    """Re-land the day's real box-score payload, later and with one player row repeated."""
    folder = home / "landing" / "nba_com" / "leaguegamelog" / DAY.isoformat()
    (original,) = sorted(folder.glob("*/leaguegamelog.json"))
    body = json.loads(original.read_text())
    rows = body["resultSets"][0]["rowSet"]
    rows.append(list(rows[0]))
    # A later fetch, dated by the clock (a fetch dated in the future would be ignored).
    target = folder / fetched_at_text(datetime.now(timezone.utc)) / "leaguegamelog.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(body))
    return str(rows[0][body["resultSets"][0]["headers"].index("PLAYER_NAME")])


def _materialized(instance: DagsterInstance, run_id: str) -> set[AssetKey]:
    records = instance.get_records_for_run(
        run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
    return {r.event_log_entry.dagster_event.asset_key for r in records}


def test_blocking_duplicate_check_stops_downstream(copy_home: Path, instance: DagsterInstance):
    player = _land_duplicate_row(copy_home)
    defs = build_definitions_for(copy_home)
    result = run_range(defs, DAY, DAY, selection=[BOX, PGS, OFFENSE], instance=instance)

    assert not result.success
    assert "nba_raw/player_boxscores:no_duplicate_player_games" in result.checks_failed
    evaluation = next(
        e for e in instance.get_latest_asset_check_evaluation_record(
            AssetCheckKey(BOX, "no_duplicate_player_games")).event.dagster_event
        .event_specific_data.metadata.items() if e[0] == "sample")
    assert player in json.dumps(evaluation[1].value)  # the sample names the player
    done = _materialized(instance, result.run_id)
    assert BOX in done  # the bad rows were written (and can be inspected) ...
    assert PGS not in done and OFFENSE not in done  # ... but nothing was built on them


def test_clean_day_flows_downstream(copy_home: Path, instance: DagsterInstance):
    defs = build_definitions_for(copy_home)
    result = run_range(defs, DAY, DAY, selection=[BOX, PGS, OFFENSE], instance=instance)
    assert result.success, result.failure
    assert {BOX, PGS, OFFENSE} <= _materialized(instance, result.run_id)
