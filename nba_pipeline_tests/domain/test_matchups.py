"""Home/away at neutral sites: MATCHUP reading, schedule orientation, replay schedules."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from nba_pipeline.domain.matchups import matchup_sides, orient_to_schedule
from nba_pipeline.ingest.endpoints import schedule_source_games
from nba_pipeline.ingest.parsers.nba_com import parse_nba_schedule
from nba_pipeline.ingest.payloads import PayloadError
from nba_pipeline.sources import recorded
from nba_pipeline_tests.sources import neutral_sites as ns


def _recorded_day(day: date) -> bytes:
    return recorded.schedule_body(recorded.data_dir(), day)


def test_matchup_text_both_ways_nba_com_writes_it() -> None:
    team = pd.Series(["GSW", "LAL", "ATL", "MIL", "LAL"])
    text = pd.Series(["GSW @ LAL", "LAL vs. GSW", "ATL @ MIL", "ATL @ MIL", "LAL vs. GSW"])
    is_home, opponent = matchup_sides(team, text)
    assert is_home.tolist() == [False, True, False, True, True]
    # The neutral-site home row (MIL, "ATL @ MIL") has ATL as opponent, not itself.
    assert opponent.tolist() == ["LAL", "GSW", "MIL", "ATL", "GSW"]


def test_recorded_2024_25_schedule_lists_nine_neutral_games() -> None:
    _, by_id = recorded.recorded_schedule(recorded.data_dir())
    neutral = {gid for gid, g in by_id.items() if g.get("isNeutral")}
    assert len(neutral) == 9 and set(ns.NEUTRAL_GAMES) <= neutral
    assert {"0012400001", "0012400005", "0062400001"} <= neutral


@pytest.mark.parametrize("game_id", sorted(ns.NEUTRAL_GAMES))
def test_schedule_parse_keeps_neutral_games_with_the_schedules_home(game_id: str) -> None:
    _, by_id = recorded.recorded_schedule(recorded.data_dir())
    day = date.fromisoformat(by_id[game_id]["gameDateEst"][:10])
    body = _recorded_day(day)
    parsed = parse_nba_schedule(body, day, "k").set_index("game_id")
    away, home = ns.NEUTRAL_GAMES[game_id]
    assert (parsed.loc[game_id, "away_team_abbr"], parsed.loc[game_id, "home_team_abbr"]) == (
        away, home)
    # The completeness check's listing reads the same payload without the parser.
    listed = schedule_source_games("nba_com", "schedule", body, day, "k")
    assert sorted(listed["game_id"]) == sorted(parsed.index)


def test_source_listing_does_not_depend_on_the_parsers_model() -> None:
    day = date(2024, 12, 14)
    payload = json.loads(_recorded_day(day))
    del payload["leagueSchedule"]["gameDates"][0]["games"][1]["homeTeam"]["teamTricode"]
    body = json.dumps(payload).encode()
    with pytest.raises(PayloadError, match="teamTricode"):
        parse_nba_schedule(body, day, "k")
    listed = schedule_source_games("nba_com", "schedule", body, day, "k")
    assert sorted(listed["game_id"]) == ["0022401229", "0022401230"]


def test_box_scores_are_oriented_to_the_schedule() -> None:
    day = date(2024, 12, 14)
    schedule = parse_nba_schedule(_recorded_day(day), day, "k")
    box = pd.DataFrame({
        "game_id": ["0022401229"] * 2 + ["0022401230"] * 2,
        "team_id": [1610612737, 1610612749, 1610612745, 1610612760],
        "team_abbr": ["ATL", "MIL", "HOU", "OKC"],
        "matchup": ["ATL @ MIL"] * 2 + ["HOU @ OKC"] * 2,
    })
    oriented, changed = orient_to_schedule(box, schedule)
    assert oriented["matchup"].tolist() == ["ATL @ MIL", "MIL vs. ATL", "HOU @ OKC",
                                            "OKC vs. HOU"]
    assert changed == 2
    # Without team ids (a fallback source), tricodes match.
    by_abbr, _ = orient_to_schedule(box.drop(columns="team_id"), schedule)
    assert by_abbr["matchup"].tolist() == oriented["matchup"].tolist()
    # A game the schedule lacks keeps its text; the text rule still finds the home side.
    other, changed = orient_to_schedule(box.assign(game_id="0022409999"), schedule)
    assert other["matchup"].tolist() == box["matchup"].tolist() and changed == 0
    is_home, opponent = matchup_sides(other["team_abbr"], other["matchup"])
    assert is_home.tolist() == [False, True, False, True]
    assert opponent.tolist() == ["MIL", "ATL", "OKC", "HOU"]


def test_replay_schedule_from_team_logs_keeps_neutral_games(tmp_path: Path) -> None:
    """Only leaguegamelog-shaped team logs (both rows `AWAY @ HOME`): the @ rule decides."""
    root = ns.write_data_dir(tmp_path / "data", schedule_samples=False)
    for day in ns.NEUTRAL_DATES:
        parsed = parse_nba_schedule(recorded.schedule_body(root, day), day, "k")
        assert sorted(parsed["game_id"]) == sorted(g["gameId"] for g in ns.scheduled_games(day))
        for game_id, (away, home) in ns.NEUTRAL_GAMES.items():
            row = parsed[parsed["game_id"] == game_id]
            if len(row):
                assert (row.iloc[0]["away_team_abbr"], row.iloc[0]["home_team_abbr"]) == (
                    away, home)


def test_replay_orientation_prefers_the_recorded_schedule(tmp_path: Path) -> None:
    """Team logs that name MIL first on both rows are overruled by the schedule's MIL-home."""
    root = ns.write_data_dir(tmp_path / "data")
    logs = root / "team_game_logs" / "nba_api_team_game_logs_2024_25.csv.gz"
    frame = pd.read_csv(logs, dtype={"GAME_ID": str})
    frame.loc[frame["GAME_ID"] == "0022401229", "MATCHUP"] = "MIL @ ATL"
    frame.to_csv(logs, index=False)
    day = date(2024, 12, 14)
    # Dates the recorded file lists are served from it; the team-log path is the other one.
    text_only = parse_nba_schedule(recorded.schedule_body(root, day, schedule_pattern=""), day,
                                   "k").set_index("game_id")
    assert text_only.loc["0022401229", "home_team_abbr"] == "ATL"  # the @ rule, alone
    _, by_id = recorded.recorded_schedule(root)
    game = frame[frame["GAME_ID"] == "0022401229"]
    home, away = recorded._home_away("0022401229", game, by_id["0022401229"])
    assert (home["TEAM_ABBREVIATION"], away["TEAM_ABBREVIATION"]) == ("MIL", "ATL")


def test_a_game_without_a_home_side_raises_instead_of_leaving_the_schedule(
        tmp_path: Path) -> None:
    root = ns.write_data_dir(tmp_path / "data", schedule_samples=False)
    logs = root / "team_game_logs" / "nba_api_team_game_logs_2024_25.csv.gz"
    frame = pd.read_csv(logs, dtype={"GAME_ID": str})
    game = frame["GAME_ID"] == "0022401230"
    frame.loc[game, "MATCHUP"] = ["HOU vs. OKC", "OKC vs. HOU"]
    frame.to_csv(logs, index=False)
    with pytest.raises(ValueError, match="0022401230"):
        recorded.schedule_body(root, date(2024, 12, 14))
