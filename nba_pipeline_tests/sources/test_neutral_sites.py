"""Neutral-site games end to end: the recorded 2024-25 schedule and leaguegamelog rows written
the way nba.com writes them (`AWAY @ HOME` on both teams' rows), through the real replay
source, landing store, raw and analytics assets and their checks in DuckDB."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dagster import AssetSelection, DagsterInstance

from nba_pipeline.definitions import build_definitions
from nba_pipeline.defs.raw.checks import BOXSCORE_CHECKS
from nba_pipeline.ingest import endpoints
from nba_pipeline.ingest.endpoints import schedule_source_games
from nba_pipeline.profiles import local_resources
from nba_pipeline.runner import RangeRunResult, run_range
from nba_pipeline.sources.replay import ReplaySource
from nba_pipeline.storage.landing import LocalLandingStore
from nba_pipeline_tests.sources import neutral_sites as ns

os.environ.setdefault("NO_GCE_CHECK", "true")
DAYS = (date(2024, 11, 2), date(2024, 12, 14))  # Mexico City among 9 others; both Cup semis
GROUPS = ("landing", "raw", "analytics")


def _run(home: Path, data: Path, days: tuple[date, ...] = DAYS) -> list[RangeRunResult]:
    defs = build_definitions(resources={**local_resources(home),
                                        "nba_source": ReplaySource(data_dir=str(data))})
    with DagsterInstance.ephemeral() as instance:
        return [run_range(defs, d, d, selection=AssetSelection.groups(*GROUPS),
                          instance=instance) for d in days]


@pytest.fixture(scope="module")
def neutral_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list]]:
    root = tmp_path_factory.mktemp("neutral")
    data = ns.write_data_dir(root / "data", DAYS)
    results = _run(root / "home", data)
    yield root / "home", results


def _table(home: Path, name: str) -> pd.DataFrame:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(f"select * from {name}").df()


def test_every_blocking_check_passes(neutral_home) -> None:
    _, results = neutral_home
    for day, result in zip(DAYS, results, strict=True):
        assert result.success, (day, result.failure)
        assert result.checks_failed == [], (day, result.checks_failed)


def test_schedule_has_every_game_with_the_schedules_home_and_away(neutral_home) -> None:
    home, _ = neutral_home
    schedule = _table(home, "nba_raw.schedule").set_index("game_id")
    expected = {g["gameId"] for d in DAYS for g in ns.scheduled_games(d)}
    assert set(schedule.index) == expected and len(expected) == 12
    for game_id in ("0022400147", "0022401229", "0022401230"):
        away, home_team = ns.NEUTRAL_GAMES[game_id]
        row = schedule.loc[game_id]
        assert (row["away_team_abbr"], row["home_team_abbr"]) == (away, home_team)


def test_box_scores_carry_the_right_opponent(neutral_home) -> None:
    home, _ = neutral_home
    box = _table(home, "nba_raw.player_boxscores")
    mil = box[(box["game_id"] == "0022401229") & (box["team_abbr"] == "MIL")]
    assert len(mil) == ns.PLAYERS_PER_TEAM and set(mil["matchup"]) == {"MIL vs. ATL"}
    pgs = _table(home, "nba_analytics.player_game_summary")
    assert not (pgs["team_abbr"] == pgs["opponent_abbr"]).any()
    sides = pgs[pgs["game_id"].isin(ns.NEUTRAL_GAMES)].groupby(
        ["game_id", "team_abbr"])[["opponent_abbr", "is_home"]].first()
    assert sides.loc[("0022401229", "MIL")].tolist() == ["ATL", True]
    assert sides.loc[("0022401229", "ATL")].tolist() == ["MIL", False]
    assert sides.loc[("0022400147", "WAS")].tolist() == ["MIA", True]
    assert sides.loc[("0022401230", "OKC")].tolist() == ["HOU", True]


def test_team_summaries_have_one_row_per_team_game(neutral_home) -> None:
    home, _ = neutral_home
    for name in ("nba_analytics.team_offense_game_summary",
                 "nba_analytics.team_defense_game_summary"):
        frame = _table(home, name)
        assert len(frame) == 24, name
        assert not frame.duplicated(["game_id", "team_abbr"]).any(), name
    defense = _table(home, "nba_analytics.team_defense_game_summary").set_index(
        ["game_id", "team_abbr"])
    # MIL allowed ATL's 102 (schedule: MIL 110, ATL 102).
    assert defense.loc[("0022401229", "MIL"), "points_allowed"] == 102
    assert defense.loc[("0022401229", "MIL"), "opponent_abbr"] == "ATL"


def test_completeness_fails_when_the_schedule_parse_drops_a_game(neutral_home) -> None:
    home, _ = neutral_home
    day = date(2024, 12, 14)
    store = LocalLandingStore(base_dir=str(home / "landing"))
    (key,) = store.latest_fetch("nba_com", "schedule", day)
    source = schedule_source_games("nba_com", "schedule", store.read_bytes(key), day, key)
    schedule = _table(home, "nba_raw.schedule")
    schedule = schedule[pd.to_datetime(schedule["game_date"]).dt.date == day]
    box = _table(home, "nba_raw.player_boxscores")
    box = box[pd.to_datetime(box["game_date"]).dt.date == day]
    (check,) = [c for c in BOXSCORE_CHECKS if c.name == "games_complete_vs_schedule"]

    assert check.fn(box, {"schedule": schedule, "schedule_source": source}).passed
    lost = schedule[schedule["game_id"] != "0022401229"]
    out = check.fn(box, {"schedule": lost, "schedule_source": source})
    assert not out.passed and out.metadata["dropped_from_schedule"] == 1
    assert out.metadata["dropped"][0]["game_id"] == "0022401229"
    # Box scores lost with it: still caught, against the source, not the shrunken schedule.
    lost_box = box[box["game_id"] != "0022401229"]
    out = check.fn(lost_box, {"schedule": lost, "schedule_source": source})
    assert not out.passed and out.metadata["missing_team_games"] == 2
    # Against the parsed schedule alone (the old comparison) the same loss passed silently.
    assert check.fn(lost_box, {"schedule": lost}).passed


def test_a_parser_that_drops_neutral_games_fails_the_run(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The old failure mode, re-created: the schedule parse loses the `isNeutral` games."""
    entry = endpoints.endpoint("nba_com", "schedule")
    real = entry.parser

    def drops_neutral(body: bytes, game_date: date, key: str) -> pd.DataFrame:
        frame = real(body, game_date, key)
        return frame[~frame["game_id"].isin(ns.NEUTRAL_GAMES)].reset_index(drop=True)

    monkeypatch.setitem(endpoints.ENDPOINTS, entry.key, replace(entry, parser=drops_neutral))
    day = (date(2024, 12, 14),)
    (result,) = _run(tmp_path / "home", ns.write_data_dir(tmp_path / "data", day), day)
    assert not result.success
    assert "nba_raw/player_boxscores:games_complete_vs_schedule" in result.checks_failed
