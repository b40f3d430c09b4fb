"""Game types: regular season (002), playoffs (004), play-in (005) and the Cup final (006) are
landed, parsed and checked; preseason (001) and All-Star (003) are dropped and counted.

Parser tests read the recorded 2024-25 `scheduleleaguev2`; the live tests run the real landing
and raw assets against the loopback fake API; the replay tests run them on the shared data.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from dagster import AssetSelection, DagsterInstance

from nba_pipeline.definitions import build_definitions
from nba_pipeline.ingest.parsers.nba_com import (
    SEASON_TYPE_GAME_TYPE,
    dropped_gamelog_rows,
    dropped_schedule_games,
    nba_schedule_games,
    parse_leaguegamelog,
    parse_nba_schedule,
)
from nba_pipeline.profiles import local_resources
from nba_pipeline.runner import run_range
from nba_pipeline.sources import recorded
from nba_pipeline.sources.replay import ReplaySource
from nba_pipeline_tests.sources import neutral_sites as ns
from nba_pipeline_tests.sources.conftest import live_source
from nba_pipeline_tests.sources.fake_api import FakeApi, ok, sample, sample_json
from nba_pipeline_tests.sources.test_live_source import (
    GAMELOG,
    STATS_SCHEDULE,
    check_results,
    keys,
    materialization_metadata,
)

SCHEDULE_2024_25 = "nbac_schedule_api/raw_80cb1fd6.json.gz"
CUP_FINAL_DAY, CUP_FINAL = date(2024, 12, 17), "0062400001"
RAW = ("landing/nba_schedule", "landing/nba_boxscores", "nba_raw/schedule",
       "nba_raw/player_boxscores")


def _cup_final() -> dict:
    (game,) = recorded.recorded_schedule(recorded.data_dir())[0][CUP_FINAL_DAY]
    return game


def _gamelog(season_type: str, rows: list[dict]) -> dict:
    """A leaguegamelog body for one SeasonType, in the recorded payload's shape."""
    body = sample_json("nbac_player_boxscore/raw_2ad17718.json")
    headers = body["resultSets"][0]["headers"]
    body["parameters"]["SeasonType"] = season_type
    body["resultSets"][0]["rowSet"] = [[r.get(h) for h in headers] for r in rows]
    return body


@pytest.mark.parametrize(("day", "kept", "dropped"), [
    (date(2024, 10, 4), {}, {"001 preseason": 3}),  # Abu Dhabi among them
    (date(2025, 2, 14), {}, {"003 All-Star": 3}),  # Rising Stars
    (CUP_FINAL_DAY, {"6": 1}, {}),
    (date(2025, 4, 15), {"5": 2}, {}),
    (date(2025, 4, 19), {"4": 4}, {}),
    (date(2024, 11, 2), {"2": 10}, {}),  # Mexico City among them
])
def test_schedule_keeps_the_four_types_and_counts_the_rest(day: date, kept: dict,
                                                           dropped: dict) -> None:
    body = sample(SCHEDULE_2024_25)
    parsed = parse_nba_schedule(body, day, "k")
    types = parsed["game_id"].str[2].value_counts().to_dict() if len(parsed) else {}
    assert types == kept
    assert dropped_schedule_games(body, day) == dropped
    # The listing the completeness check compares against lists the same kept games.
    parsed_ids = sorted(parsed["game_id"]) if len(parsed) else []
    assert sorted(nba_schedule_games(body, day, "k")["game_id"]) == parsed_ids


def test_cup_final_is_parsed_with_the_schedules_sides() -> None:
    parsed = parse_nba_schedule(sample(SCHEDULE_2024_25), CUP_FINAL_DAY, "k")
    row = parsed.set_index("game_id").loc[CUP_FINAL]
    assert (row["home_team_abbr"], row["away_team_abbr"]) == ("OKC", "MIL")
    assert row["game_status"] == 3 and row["home_score"] is not None


def test_gamelog_keeps_the_rows_of_its_own_season_type() -> None:
    final = ns._player_rows(_cup_final(), CUP_FINAL_DAY)
    group = [{**r, "GAME_ID": "0022401229", "GAME_DATE": CUP_FINAL_DAY.isoformat()}
             for r in final[:3]]
    preseason = [{**final[0], "GAME_ID": "0012400001", "PLAYER_ID": 1}]
    body = json.dumps(_gamelog("IST", final + group)).encode()
    parsed = parse_leaguegamelog(body, CUP_FINAL_DAY, "k")
    assert set(parsed["game_id"]) == {CUP_FINAL} and len(parsed) == len(final)
    assert dropped_gamelog_rows(body, CUP_FINAL_DAY) == {
        "002 regular season (from its own SeasonType call)": 3}
    # Without a known SeasonType every kept type is kept; preseason is dropped and counted.
    untyped = _gamelog("", final + preseason)
    body = json.dumps(untyped).encode()
    assert set(parse_leaguegamelog(body, CUP_FINAL_DAY, "k")["game_id"]) == {CUP_FINAL}
    assert dropped_gamelog_rows(body, CUP_FINAL_DAY) == {"001 preseason": 1}


def _serve_cup_final(api: FakeApi) -> None:
    final = ns._player_rows(_cup_final(), CUP_FINAL_DAY)
    api.route(STATS_SCHEDULE, [ok(sample(SCHEDULE_2024_25))])
    api.route(GAMELOG, lambda q: ok(_gamelog(q["SeasonType"][0],
                                             final if q["SeasonType"][0] == "IST" else [])))


def test_live_client_fetches_the_cup_final_under_ist(api: FakeApi, store, materialize) -> None:
    _serve_cup_final(api)
    source = live_source(api.base_url, season_types=list(SEASON_TYPE_GAME_TYPE))
    result, instance = materialize(source, CUP_FINAL_DAY, *RAW)
    assert result.success, result.failure
    assert [h.query["SeasonType"] for h in api.hits(GAMELOG)] == [
        ["Regular Season"], ["Playoffs"], ["PlayIn"], ["IST"]]
    assert sorted(k.rsplit("/", 1)[1] for k in keys(store, "nba_com/leaguegamelog/")) == [
        "leaguegamelog.json", "leaguegamelog_ist.json", "leaguegamelog_playin.json",
        "leaguegamelog_playoffs.json"]
    checks = check_results(instance, result.run_id, "nba_raw/player_boxscores")
    assert checks["games_complete_vs_schedule"].passed
    assert checks["team_points_match_schedule"].passed
    meta = materialization_metadata(instance, "nba_raw/player_boxscores")
    assert meta["games"] == 1 and meta["player_games"] == 2 * ns.PLAYERS_PER_TEAM


def test_the_default_client_asks_every_kept_season_type() -> None:
    from nba_pipeline.sources.clients import NbaComClient

    assert NbaComClient().season_types == ["Regular Season", "Playoffs", "PlayIn", "IST"]


def test_cup_final_without_its_call_fails_completeness(api: FakeApi, store,
                                                       materialize) -> None:
    """A kept game the box scores lack never vanishes: the blocking check names it."""
    _serve_cup_final(api)
    source = live_source(api.base_url, season_types=["Regular Season", "Playoffs", "PlayIn"])
    result, instance = materialize(source, CUP_FINAL_DAY, *RAW)
    assert not result.success
    checks = check_results(instance, result.run_id, "nba_raw/player_boxscores")
    out = checks["games_complete_vs_schedule"]
    assert not out.passed
    missing = out.metadata["missing"].value
    assert {m["game_id"] for m in missing} == {CUP_FINAL}


def _replay(home: Path, day: date, data_dir: Path | None = None) -> tuple:
    source = ReplaySource(data_dir=str(data_dir) if data_dir else None)
    defs = build_definitions(resources={**local_resources(home), "nba_source": source})
    with DagsterInstance.ephemeral() as instance:
        result = run_range(defs, day, day, selection=AssetSelection.groups("landing", "raw"),
                           instance=instance)
        meta = materialization_metadata(instance, "nba_raw/schedule")
    return result, meta


def _schedule(home: Path) -> pd.DataFrame:
    import duckdb

    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("select * from nba_raw.schedule").df()


@pytest.mark.parametrize(("day", "digit", "games"), [
    (date(2024, 4, 21), "4", 4),  # playoffs, first round, with points lines
    (date(2024, 4, 17), "5", 2),  # play-in, with points lines
    (date(2023, 12, 9), "6", 1),  # the 2023-24 Cup final
])
def test_replay_schedules_the_kept_types_it_has_rows_for(tmp_path: Path, day: date, digit: str,
                                                         games: int) -> None:
    """Shared data: the team logs hold these games, the box scores do not (regular season
    only). They are scheduled (so the day's lines match a game), not final, and not lost."""
    result, _ = _replay(tmp_path, day)
    assert result.success, result.failure
    assert result.checks_failed == []
    schedule = _schedule(tmp_path)
    assert (schedule["game_id"].str[2] == digit).sum() == games
    assert set(schedule.loc[schedule["game_id"].str[2] == digit, "game_status"]) == {1}
    body = recorded.schedule_body(recorded.data_dir(), day)
    assert len(json.loads(body)["leagueSchedule"]["gameDates"][0]["games"]) == len(schedule)


def test_replay_serves_a_recorded_cup_final_as_final(tmp_path: Path) -> None:
    """A data folder with the Cup final's box score: its own `IST` payload, a final game."""
    data = tmp_path / "data"
    game = _cup_final()
    players = ns._player_rows(game, CUP_FINAL_DAY)
    teams = ns._team_rows(game, CUP_FINAL_DAY)
    (data / "box_scores").mkdir(parents=True)
    (data / "team_game_logs").mkdir()
    pd.DataFrame(players).to_csv(data / "box_scores" / "player_logs_2024-25.csv.gz", index=False)
    pd.DataFrame(teams).to_csv(data / "team_game_logs" / "logs_2024_25.csv.gz", index=False)
    source = ReplaySource(data_dir=str(data), schedule_api_glob="")
    assert [p.name for p in source.fetch_boxscores(CUP_FINAL_DAY)] == [
        "leaguegamelog.json", "leaguegamelog_ist.json"]
    result, meta = _replay(tmp_path / "home", CUP_FINAL_DAY, data)
    assert result.success and result.checks_failed == [], result.failure
    schedule = _schedule(tmp_path / "home").set_index("game_id")
    assert schedule.loc[CUP_FINAL, "game_status"] == 3
    # MIL @ OKC on both rows (neutral site): the text rule puts OKC at home.
    assert schedule.loc[CUP_FINAL, "home_team_abbr"] == "OKC"


def test_dropped_types_are_counted_with_a_reason_in_the_schedules_metadata(
        tmp_path: Path) -> None:
    """A preseason day, 2024-25 (recorded schedule): three 001 games, none kept, all counted.
    (All-Star weekend is no partition any more, partitions.py; its 003 games are counted by the
    parser on 2025-02-14 above.)"""
    result, meta = _replay(tmp_path, date(2024, 10, 4))
    assert result.success, result.failure
    assert meta["games"] == 0
    assert meta["game_types_dropped"] == {"001 preseason": 3}
    assert "exhibition" in meta["game_types_dropped_reason"]["001 preseason"]


def test_a_cup_final_in_the_box_scores_but_not_the_schedule_fails() -> None:
    """The other direction: box scores of a kept game the schedule lost fail, naming it."""
    from nba_pipeline.defs.raw.checks import BOXSCORE_CHECKS

    final = ns._player_rows(_cup_final(), CUP_FINAL_DAY)
    box = parse_leaguegamelog(json.dumps(_gamelog("IST", final)).encode(), CUP_FINAL_DAY, "k")
    schedule = parse_nba_schedule(sample(SCHEDULE_2024_25), CUP_FINAL_DAY, "k")
    (check,) = [c for c in BOXSCORE_CHECKS if c.name == "boxscore_games_in_schedule"]
    assert check.fn(box, {"schedule": schedule}).passed
    out = check.fn(box, {"schedule": schedule[schedule["game_id"] != CUP_FINAL]})
    assert not out.passed and out.metadata["game_ids"] == [CUP_FINAL]
