"""Every recorded sample of the endpoints we call validates; fallback parsers agree with nba.com."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
from pydantic import BaseModel

from nba_pipeline.ingest import payloads as P
from nba_pipeline.ingest.endpoints import parse_landed
from nba_pipeline.ingest.parsers.balldontlie import parse_bdl_box_scores
from nba_pipeline.ingest.parsers.common import minutes_value
from nba_pipeline.ingest.payloads import PayloadError, validate_payload
from nba_pipeline.sources.recorded import data_dir
from nba_pipeline_tests.sources.fake_api import SAMPLES, sample

MODELS: dict[str, type[BaseModel]] = {
    "nbac_schedule_cdn/*.json": P.SchedulePayload,
    "nbac_schedule_api/*.json.gz": P.SchedulePayload,
    "nbac_player_boxscore/*.json": P.LeagueGameLogPayload,
    "nbac_scoreboard_v2/*.json": P.StatsResultSetsPayload,
    "nbac_team_boxscore/*.json": P.StatsResultSetsPayload,
    "nba_api_docs/boxscoretraditionalv3.json": P.BoxScoreTraditionalV3Payload,
    "espn_scoreboard_api/*.json": P.EspnScoreboardPayload,
    "nbac_game_ids_core/*.json": P.EspnScoreboardPayload,  # an ESPN scoreboard (empty day)
    "bdl_games/*.json": P.BdlGamesPayload,
    "bdl_box_scores/*.json": P.BdlBoxScoresPayload,
    "bdl_player_box_scores/*.json": P.BdlStatsPayload,
    "bdl_active_players/*.json": P.BdlMetaPage,
    "oddsa_events_his/*.json": P.HistoricalEventsPayload,
    "oddsa_game_lines_his/*.json": P.HistoricalAnyEventOddsPayload,
    "odds_api_historical_game_lines/*.json": P.HistoricalAnyEventOddsPayload,
    "oddsapi_event_odds/event_odds_*.json": P.EventOddsPayload,
}
CASES = [(str(f.relative_to(SAMPLES)), model) for pattern, model in MODELS.items()
         for f in sorted(SAMPLES.glob(pattern))]


def test_every_endpoint_has_samples() -> None:
    assert len(CASES) == 21
    assert all(any(c[0].startswith(p.split("/")[0]) for c in CASES) for p in MODELS)


@pytest.mark.parametrize(("relative", "model"), CASES, ids=[c[0] for c in CASES])
def test_recorded_sample_validates(relative: str, model: type[BaseModel]) -> None:
    validate_payload(model, sample(relative), source="s", endpoint="e",
                     game_date=date(2024, 1, 15), key=relative)


def test_bdl_active_players_page_has_a_cursor() -> None:
    page = validate_payload(P.BdlMetaPage, sample("bdl_active_players/raw_ac3e7bd3.json"),
                            source="balldontlie", endpoint="players", game_date=date(2025, 1, 1),
                            key="k")
    assert page.meta is not None and page.meta.next_cursor == 277


def test_renamed_field_is_named_in_the_error() -> None:
    data = json.loads(sample("bdl_games/raw_278cb9ed.json"))
    data["data"][2]["home_team"]["abbr"] = data["data"][2]["home_team"].pop("abbreviation")
    with pytest.raises(PayloadError, match=r"field 'data\.2\.home_team\.abbreviation'"):
        validate_payload(P.BdlGamesPayload, json.dumps(data).encode(), source="balldontlie",
                         endpoint="games", game_date=date(2025, 2, 20), key="k")


def test_espn_schedule_matches_nba_com_teams_and_scores() -> None:
    espn = parse_landed("espn", "scoreboard", sample("espn_scoreboard_api/raw_92de7c9a.json"),
                        date(2024, 1, 15), "k")
    logs = pd.read_csv(data_dir() / "team_game_logs" / "nba_api_team_game_logs_2023_24.csv.gz",
                       dtype={"GAME_ID": str})
    day = logs[logs["GAME_DATE"] == "2024-01-15"]
    home = day[day["MATCHUP"].str.contains(" vs. ")].set_index("TEAM_ABBREVIATION")["PTS"]
    assert len(espn) == len(home) == 11
    assert set(espn["game_id"]) == {f"20240115/{r.away_team_abbr}{r.home_team_abbr}"
                                    for r in espn.itertuples()}
    for row in espn.itertuples():
        assert home[row.home_team_abbr] == row.home_score


def test_bdl_box_scores_match_recorded_nba_com_points() -> None:
    bdl = parse_bdl_box_scores(sample("bdl_box_scores/raw_7a649e12.json"), date(2024, 1, 15),
                               "k")
    nba = pd.read_csv(data_dir() / "box_scores" / "player_logs_2023-24.csv.gz",
                      dtype={"GAME_ID": str})
    nba = nba[nba["GAME_DATE"] == "2024-01-15"]
    assert bdl.groupby("team_abbr")["points"].sum().to_dict() == (
        nba.groupby("TEAM_ABBREVIATION")["PTS"].sum().to_dict())
    assert (bdl["points"] == 2 * bdl["fgm"] + bdl["fg3m"] + bdl["ftm"]).all()
    assert not bdl.duplicated(["game_id", "player_id"]).any()


def test_minutes_value() -> None:
    assert minutes_value("28") == 28.0 and minutes_value("28:30") == 28.5
    assert minutes_value("") is None and minutes_value(None) is None
    assert minutes_value(34) == 34.0 and minutes_value("34:12") == 34.2
    with pytest.raises(ValueError, match="'DNP' is neither a number nor MM:SS"):
        minutes_value("DNP")


def _espn_with(mutate) -> bytes:  # noqa: ANN001
    data = json.loads(sample("espn_scoreboard_api/raw_92de7c9a.json"))
    mutate(data["events"])
    return json.dumps(data).encode()


def test_espn_leaves_out_preseason_and_non_nba_sides() -> None:
    def mutate(events: list[dict]) -> None:
        events[0]["season"]["type"] = 1  # preseason
        for side in events[1]["competitions"][0]["competitors"]:
            side["team"]["abbreviation"] = "EAST" if side["homeAway"] == "home" else "WEST"

    frame = parse_landed("espn", "scoreboard", _espn_with(mutate), date(2024, 1, 15), "k")
    assert len(frame) == 9


def test_espn_one_unknown_team_is_an_error_not_a_dropped_game() -> None:
    def mutate(events: list[dict]) -> None:
        events[3]["competitions"][0]["competitors"][0]["team"]["abbreviation"] = "XYZ"

    with pytest.raises(PayloadError, match="unknown team code 'XYZ'"):
        parse_landed("espn", "scoreboard", _espn_with(mutate), date(2024, 1, 15), "k")


@pytest.mark.parametrize(("relative", "endpoint", "game_date"), [
    ("bdl_games/raw_278cb9ed.json", "games", date(2025, 2, 20)),
    ("bdl_box_scores/raw_7a649e12.json", "box_scores", date(2024, 1, 15)),
])
def test_bdl_payload_of_another_date_fails_naming_the_file(relative: str, endpoint: str,
                                                           game_date: date) -> None:
    """Ball Don't Lie is asked for one date: a payload for another is the wrong file, and its
    games fail loudly instead of leaving the day short."""
    assert len(parse_landed("balldontlie", endpoint, sample(relative), game_date, "k"))
    with pytest.raises(PayloadError, match=r"balldontlie.*in the payload for another date"
                       ) as error:
        parse_landed("balldontlie", endpoint, sample(relative),
                     game_date.replace(day=game_date.day + 1), "landing/bdl/x.json")
    assert "landing/bdl/x.json" in str(error.value)
