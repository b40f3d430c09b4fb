"""Issue 16 B: checks that cannot be green over a loss.

Each test corrupts a private copy of the session warehouse the way an attacker did on real game
days (a landed payload edited or removed, or warehouse rows rewritten), runs the real assets in
Dagster, and asserts that the check fails, names the offending rows, and blocks downstream.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from dagster import AssetCheckKey, AssetKey, DagsterEventType, DagsterInstance

from nba_pipeline.runner import RangeRunResult, run_range
from nba_pipeline_tests.conftest import build_definitions_for

DAY = date(2024, 3, 5)
SCHEDULE = AssetKey(["nba_raw", "schedule"])
BOX = AssetKey(["nba_raw", "player_boxscores"])
LINES = AssetKey(["nba_raw", "player_prop_lines"])
PGS = AssetKey(["nba_analytics", "player_game_summary"])
CONTEXT = AssetKey(["nba_analytics", "upcoming_player_game_context"])
FEATURES = AssetKey(["nba_precompute", "ml_feature_store_v2"])
PREDICTIONS = AssetKey(["nba_predictions", "player_prop_predictions"])
ACCURACY = AssetKey(["nba_predictions", "prediction_accuracy"])
PERFORMANCE = AssetKey(["nba_predictions", "system_daily_performance"])
PUBLISHED = AssetKey(["nba_publish", "daily_predictions_json"])


def _run(home: Path, instance: DagsterInstance, selection: list[AssetKey]) -> RangeRunResult:
    return run_range(build_definitions_for(home), DAY, DAY, selection=selection,
                     instance=instance)


def _materialized(instance: DagsterInstance, run_id: str) -> set[AssetKey]:
    records = instance.get_records_for_run(
        run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
    return {r.event_log_entry.dagster_event.asset_key for r in records}


def _check_metadata(instance: DagsterInstance, asset: AssetKey, name: str) -> dict[str, Any]:
    record = instance.get_latest_asset_check_evaluation_record(AssetCheckKey(asset, name))
    data = record.event.dagster_event.event_specific_data
    assert not data.passed, f"{asset.to_user_string()}:{name} passed"
    return {k: getattr(v, "value", v) for k, v in data.metadata.items()}


def _latest(home: Path, source: str, endpoint: str, day: date, pattern: str) -> list[Path]:
    """The payload files of the newest fetch of `source/endpoint` for `day` (the one parsed)."""
    folder = home / "landing" / source / endpoint / day.isoformat()
    newest = sorted(p for p in folder.iterdir() if p.is_dir())[-1]
    return sorted(newest.glob(pattern))


def _edit_boxscores(home: Path, edit: Callable[[list[str], list[list[Any]]], None]) -> None:
    (path,) = _latest(home, "nba_com", "leaguegamelog", DAY, "leaguegamelog.json")
    body = json.loads(path.read_text())
    result = body["resultSets"][0]
    edit(result["headers"], result["rowSet"])
    path.write_text(json.dumps(body))


def _execute(home: Path, sql: str) -> None:
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    con.execute(sql)
    con.close()


def _count(home: Path, select: str) -> int:
    """`count(...) from table` on DAY's rows of the (uncorrupted part of the) warehouse."""
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    (n,) = con.execute(f"select {select} where game_date = ?", [DAY.isoformat()]).fetchone()
    con.close()
    return int(n)


# --- 1. completeness against the schedule and the lines -----------------------------------

def test_missing_schedule_day_fails_on_the_lines_and_blocks(copy_home, instance):
    """The attack: no schedule payload for a day with 1,659 lines; 0 predictions, all green."""
    folder = copy_home / "landing" / "nba_com" / "schedule" / DAY.isoformat()
    for path in sorted(folder.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    folder.rmdir()
    result = _run(copy_home, instance, [SCHEDULE, LINES, CONTEXT, FEATURES, PREDICTIONS,
                                        PUBLISHED])
    assert not result.success
    assert "nba_raw/player_prop_lines:lines_match_schedule" in result.checks_failed
    meta = _check_metadata(instance, LINES, "lines_match_schedule")
    (lost,) = meta["days_without_schedule"]
    assert lost["game_date"] == DAY.isoformat() and lost["lines"] > 1000
    assert meta["events_not_in_schedule"] == _count(
        copy_home, "count(distinct event_id) from nba_raw.player_prop_lines")  # every one
    done = _materialized(instance, result.run_id)
    assert {SCHEDULE, LINES} <= done
    assert not done & {CONTEXT, FEATURES, PREDICTIONS, PUBLISHED}


def test_schedule_payload_for_another_date_is_an_error(copy_home, instance):
    """The attack: the 03-04 payload in the 03-05 folder; its games were dropped, 36/36 green."""
    (target,) = _latest(copy_home, "nba_com", "schedule", DAY, "schedule.json")
    (other,) = _latest(copy_home, "nba_com", "schedule", DAY - timedelta(days=1),
                       "schedule.json")
    target.write_bytes(other.read_bytes())
    result = _run(copy_home, instance, [SCHEDULE, LINES, CONTEXT])
    assert not result.success
    key = target.relative_to(copy_home / "landing").as_posix()
    assert "nba_com/schedule payload for 2024-03-05" in result.failure
    assert "another date (2024-03-04)" in result.failure and key in result.failure
    assert not _materialized(instance, result.run_id) & {SCHEDULE, LINES, CONTEXT}


def test_lined_scheduled_day_without_predictions_fails_and_blocks(copy_home, instance):
    """Lines and games, but the day's feature rows lost: predictions empty, publishing held."""
    _execute(copy_home, "delete from nba_precompute.ml_feature_store_v2 "
                        f"where game_date = '{DAY.isoformat()}'")
    result = _run(copy_home, instance, [PREDICTIONS, PUBLISHED])
    assert not result.success
    assert ("nba_predictions/player_prop_predictions:lined_days_have_predictions"
            in result.checks_failed)
    meta = _check_metadata(instance, PREDICTIONS, "lined_days_have_predictions")
    (day,) = meta["days_without_predictions"]
    assert day["game_date"] == DAY.isoformat() and day["predicted_players"] == 0
    assert day["players_with_line"] == _count(
        copy_home, "count(distinct player_lookup) from nba_raw.player_prop_lines")
    assert day["scheduled_games"] == _count(copy_home, "count(*) from nba_raw.schedule")
    assert PUBLISHED not in _materialized(instance, result.run_id)


# --- 2. box-score games in the schedule; 4. box-score ranges -------------------------------

def test_unlisted_game_and_impossible_stats_block_the_box_scores(copy_home, instance):
    """A game the schedule does not list, MIN = 480 and REB = -5, in one landed payload."""
    extra_id = "0022399999"
    found: dict[str, Any] = {}

    def edit(headers: list[str], rows: list[list[Any]]) -> None:
        col = {h: i for i, h in enumerate(headers)}
        game = rows[0][col["GAME_ID"]]
        copies = [list(r) for r in rows if r[col["GAME_ID"]] == game]
        for r in copies:
            r[col["GAME_ID"]] = extra_id
        rows.extend(copies)
        rows[1][col["MIN"]] = 480
        rows[2][col["REB"]] = -5
        found.update(minutes=rows[1][col["PLAYER_NAME"]], reb=rows[2][col["PLAYER_NAME"]],
                     players=len(copies))

    _edit_boxscores(copy_home, edit)
    result = _run(copy_home, instance, [BOX, PGS])
    assert not result.success
    for name in ("boxscore_games_in_schedule", "stat_ranges", "no_negative_stats"):
        assert f"nba_raw/player_boxscores:{name}" in result.checks_failed
    unlisted = _check_metadata(instance, BOX, "boxscore_games_in_schedule")
    assert unlisted["game_ids"] == [extra_id] and unlisted["games_not_in_schedule"] == 1
    assert unlisted["sample"][0]["players"] == str(found["players"])
    ranges = _check_metadata(instance, BOX, "stat_ranges")
    (row,) = ranges["sample"]
    assert (row["player_name"], row["minutes"], row["game_date"]) == (
        found["minutes"], "480.0", DAY.isoformat())
    assert row["game_id"].startswith("00223")
    negative = _check_metadata(instance, BOX, "no_negative_stats")
    assert [(r["player_name"], r["reb"]) for r in negative["sample"]] == [(found["reb"], "-5")]
    done = _materialized(instance, result.run_id)
    assert BOX in done and PGS not in done


# --- 3. grading: one row per prediction ----------------------------------------------------

def test_second_box_score_game_is_not_graded_twice(copy_home, instance):
    """The day's player rows repeated under a game id no prediction has: graded once each."""
    day = DAY.isoformat()
    _execute(copy_home, f"""
        create temp table extra as select * from nba_analytics.player_game_summary
            where game_date = '{day}';
        update extra set game_id = '0022399999';
        insert into nba_analytics.player_game_summary select * from extra;""")
    result = _run(copy_home, instance, [ACCURACY, PERFORMANCE])
    assert result.success, result.failure
    con = duckdb.connect(str(copy_home / "warehouse.duckdb"), read_only=True)
    rows, keys = con.execute(
        "select count(*), count(distinct (game_id, player_lookup, system_id)) from "
        f"nba_predictions.prediction_accuracy where game_date = '{day}'").fetchone()
    con.close()
    assert rows == keys > 500


# --- 4. lines and predicted points ---------------------------------------------------------

def test_absurd_lines_block_at_the_raw_lines(copy_home, instance):
    """A points line of 999.5 and one of 0 in the landed odds: reported with player and book."""
    paths = _latest(copy_home, "odds_api", "event_odds_player_points", DAY, "*.json")
    edited = []
    for path, value in zip([p for p in paths if not p.name.startswith("_")][:2], [999.5, 0.0],
                           strict=True):
        body = json.loads(path.read_text())
        book = body["bookmakers"][0]
        (market,) = [m for m in book["markets"] if m["key"] == "player_points"]
        player = market["outcomes"][0]["description"]
        for outcome in market["outcomes"]:
            if outcome["description"] == player:
                outcome["point"] = value
        path.write_text(json.dumps(body))
        edited.append((player, book["key"], str(value)))
    result = _run(copy_home, instance, [LINES, CONTEXT])
    assert not result.success
    assert "nba_raw/player_prop_lines:line_value_in_range" in result.checks_failed
    meta = _check_metadata(instance, LINES, "line_value_in_range")
    shown = {(r["player_name"], r["bookmaker"], r["line_value"]) for r in meta["sample"]}
    assert set(edited) <= shown and {r["game_date"] for r in meta["sample"]} == {DAY.isoformat()}
    assert meta["by_column"]["line_value"]["max"] == 999.5
    assert CONTEXT not in _materialized(instance, result.run_id)


def test_absurd_line_in_the_features_blocks_publishing(copy_home, instance):
    """The attack's 999.5 and 0 lines reach the feature rows: no prediction is published."""
    day = DAY.isoformat()
    con = duckdb.connect(str(copy_home / "warehouse.duckdb"))
    lined = con.execute(
        "select player_lookup from nba_precompute.ml_feature_store_v2 where game_date = ? "
        "and points_line is not null order by player_lookup limit 2", [day]).df()
    high, zero = lined["player_lookup"]
    for lookup, value in ((high, 999.5), (zero, 0.0)):
        con.execute("update nba_precompute.ml_feature_store_v2 set points_line = ? "
                    "where game_date = ? and player_lookup = ?", [value, day, lookup])
    con.close()
    result = _run(copy_home, instance, [PREDICTIONS, PUBLISHED])
    assert not result.success
    for name in ("predicted_points_plausible", "line_value_in_range"):
        assert f"nba_predictions/player_prop_predictions:{name}" in result.checks_failed
    plausible = _check_metadata(instance, PREDICTIONS, "predicted_points_plausible")
    flagged = pd.DataFrame(plausible["sample"])
    assert set(flagged["player_lookup"]) == {high}  # the 999.5 row; the 0 line stays plausible
    assert set(flagged["system_id"]) == {"ensemble"}
    assert float(flagged["predicted_points"].iloc[0]) > 500
    lines = _check_metadata(instance, PREDICTIONS, "line_value_in_range")
    assert {r["player_lookup"] for r in lines["sample"]} == {high, zero}
    assert PUBLISHED not in _materialized(instance, result.run_id)
