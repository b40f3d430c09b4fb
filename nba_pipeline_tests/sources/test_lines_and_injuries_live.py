"""Game lines and injury reports from the live clients over loopback HTTP (issue 17).

Real recorded bodies (The Odds API game-line snapshots, the official injury report PDF, Ball
Don't Lie's injury list) served by the fake API with injected faults; the real landing and raw
assets run against a local landing store and DuckDB. The day's schedule is served too (the
recorded team game logs in nba.com's shape), so lines and reports join real game ids.
"""

from __future__ import annotations

import json
import logging
from datetime import date

import pytest
from dagster import AssetCheckSeverity

from nba_pipeline.sources import recorded
from nba_pipeline.sources.live import FetchFailed
from nba_pipeline.storage.landing import LandedKey
from nba_pipeline_tests.sources.conftest import BDL_KEY, ODDS_KEY, live_source
from nba_pipeline_tests.sources.fake_api import FakeApi, Reply, ok, sample, sample_json
from nba_pipeline_tests.sources.test_live_source import (
    check_results,
    keys,
    materialization_metadata,
    step_error,
)

STATS_SCHEDULE = "/stats/scheduleleaguev2"
ODDS = "/v4/sports/basketball_nba/odds"
HISTORICAL_ODDS = "/v4/historical/sports/basketball_nba/odds"
INJURY = "/referee/injury/Injury-Report_2024-01-04_{hour}.pdf"
BDL_INJURIES = "/v1/player_injuries"
ATL_AT_GSW = date(2024, 1, 24)  # the recorded game-line snapshots' event (US/Eastern date)
REPORT_DAY = date(2024, 1, 4)  # the recorded injury report's date
PDF = "nbac_injury_report/raw_f4391904.pdf"


def _event() -> dict:
    """The recorded ATL @ GSW event with both recorded snapshots' markets (h2h from one,
    spreads and totals from the other), per book as recorded."""
    h2h = sample_json("odds_api_historical_game_lines/raw_9221b91f.json")["data"]
    lines = sample_json("oddsa_game_lines_his/raw_b722994c.json")["data"]
    markets = {b["key"]: b["markets"] for b in lines["bookmakers"]}
    for book in h2h["bookmakers"]:
        book["markets"] = book["markets"] + markets[book["key"]]
    return h2h


def _schedule(day: date) -> bytes:
    return recorded.schedule_body(recorded.data_dir(), day)


def test_game_lines_5xx_then_success_land_parse_and_join_the_schedule(
        api: FakeApi, store, materialize) -> None:
    api.route(STATS_SCHEDULE, [ok(_schedule(ATL_AT_GSW))])
    envelope = {"timestamp": "2024-01-24T15:00:00Z", "data": [_event()]}
    api.route(HISTORICAL_ODDS, [Reply(500), Reply(502), ok(envelope)])
    source = live_source(api.base_url, odds_mode="historical")
    result, instance = materialize(source, ATL_AT_GSW, "landing/nba_schedule",
                                   "nba_raw/schedule", "landing/odds_game_lines",
                                   "nba_raw/game_lines")
    assert result.success, result.failure
    hits = api.hits(HISTORICAL_ODDS)
    assert len(hits) == 3  # two 5xx retried, then the body
    assert hits[-1].query["markets"] == ["h2h,spreads,totals"]
    assert hits[-1].query["date"] == ["2024-01-24T15:00:00Z"]
    assert hits[-1].query["commenceTimeFrom"] == ["2024-01-24T05:00:00Z"]
    landed = keys(store, "odds_api/")
    assert [LandedKey.parse(k).endpoint for k in landed] == ["game_lines_historical"]
    assert json.loads(store.read_bytes(landed[0])) == envelope
    assert all(ODDS_KEY not in k for k in store.list_keys())
    meta = materialization_metadata(instance, "nba_raw/game_lines")
    assert meta["games"] == 1 and meta["events_fell_out"] == 0
    checks = check_results(instance, result.run_id, "nba_raw/game_lines")
    assert checks["one_line_per_game"].passed and checks["game_line_values_plausible"].passed
    assert checks["game_lines_match_schedule"].passed
    # Only one of the day's games was priced: the others are listed, as a warning.
    missing = checks["every_scheduled_game_has_line"]
    assert not missing.passed and missing.severity == AssetCheckSeverity.WARN
    listed = missing.metadata["missing"].value
    assert len(listed) == missing.metadata["scheduled_games"].value - 1
    assert not any("ATL@GSW" in m for m in listed)


def test_game_lines_consensus_values(api: FakeApi, store, materialize, tmp_path) -> None:
    import duckdb

    api.route(STATS_SCHEDULE, [ok(_schedule(ATL_AT_GSW))])
    api.route(ODDS, [ok([_event()])])
    result, _ = materialize(live_source(api.base_url), ATL_AT_GSW, "landing/nba_schedule",
                            "nba_raw/schedule", "landing/odds_game_lines", "nba_raw/game_lines")
    assert result.success, result.failure
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    row = con.execute("select * from nba_raw.game_lines").df().iloc[0]
    game = con.execute("select game_id from nba_raw.schedule where home_team_abbr = 'GSW'"
                       ).fetchone()[0]
    con.close()
    assert row["game_id"] == game and row["home_team_abbr"] == "GSW"
    assert row["home_spread"] == -7.0 and row["total"] == 248.0  # medians of 2 books
    # No-vig per book (DK 1.32/3.3, FD 1.26/3.8, decimal odds), then the median.
    dk = (1 / 1.32) / (1 / 1.32 + 1 / 3.3)
    fd = (1 / 1.26) / (1 / 1.26 + 1 / 3.8)
    assert row["home_win_prob"] == pytest.approx((dk + fd) / 2)
    assert row["book_count"] == 2 and row["books"] == "draftkings,fanduel"


def test_game_lines_429_waits_retry_after_then_succeeds(api: FakeApi) -> None:
    api.route(ODDS, [Reply(429, b'{"message": "slow down"}', {"Retry-After": "0"}),
                     ok([_event()], **{"x-requests-remaining": "480"})])
    (payload,) = list(live_source(api.base_url).fetch_game_lines(ATL_AT_GSW))
    assert len(api.hits(ODDS)) == 2
    assert payload.endpoint == "game_lines" and payload.metadata["x_requests_remaining"] == "480"
    assert ODDS_KEY not in payload.url and "apiKey=***" in payload.url


def test_malformed_game_lines_are_kept_and_fail_clearly(
        api: FakeApi, store, materialize, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    body = b'[{"id": "cd0b", "sport_key": "basketball_nba", "commence_time": '
    api.route(ODDS, [ok(body)])
    source = live_source(api.base_url)
    with pytest.raises(FetchFailed) as err:
        list(source.fetch_game_lines(ATL_AT_GSW))
    msg = str(err.value)
    assert "malformed JSON" in msg and "odds_api/game_lines" in msg and "2024-01-24" in msg
    assert ODDS_KEY not in msg
    result, instance = materialize(source, ATL_AT_GSW, "landing/odds_game_lines")
    assert not result.success
    assert "malformed JSON" in step_error(instance, result.run_id)
    rejected = keys(store, "odds_api/game_lines.rejected/")
    assert len(rejected) == 1 and store.read_bytes(rejected[0]) == body
    assert keys(store, "odds_api/game_lines/") == []
    assert ODDS_KEY not in caplog.text and ODDS_KEY not in step_error(instance, result.run_id)


def test_injury_pdf_found_at_the_latest_published_hour(api: FakeApi, store, materialize) -> None:
    api.route(STATS_SCHEDULE, [ok(_schedule(REPORT_DAY))])
    # 11 PM .. 6 PM are not published (the bucket answers 403); 5 PM is, after a 503.
    for hour in ("11PM", "10PM", "09PM", "08PM", "07PM", "06PM"):
        api.route(INJURY.format(hour=hour), [Reply(403, b"<Error>AccessDenied</Error>")])
    api.route(INJURY.format(hour="05PM"), [Reply(503), ok(sample(PDF))])
    result, instance = materialize(live_source(api.base_url), REPORT_DAY, "landing/nba_schedule",
                                   "nba_raw/schedule", "landing/nba_injury_report",
                                   "nba_raw/injury_report")
    assert result.success, result.failure
    assert len(api.hits(INJURY.format(hour="05PM"))) == 2
    assert api.hits(INJURY.format(hour="08PM")) and not api.hits(INJURY.format(hour="04PM"))
    (landed,) = keys(store, "nba_com/injury_report/")
    assert store.read_bytes(landed) == sample(PDF)
    meta = materialization_metadata(instance, "nba_raw/injury_report")
    assert meta["players"] == 14 and meta["no_report_recorded"] == []
    checks = check_results(instance, result.run_id, "nba_raw/injury_report")
    assert checks["injury_status_known"].passed and checks["one_row_per_report_player"].passed


def test_injury_pdf_down_falls_back_to_balldontlie(api: FakeApi, store, materialize) -> None:
    api.route(STATS_SCHEDULE, [ok(_schedule(REPORT_DAY))])
    api.route(INJURY.format(hour="11PM"), [Reply(500)])
    api.route(BDL_INJURIES, [ok(sample("bdl_injuries/raw_49fd60fb.json")
                                .replace(b'"next_cursor":4082934', b'"next_cursor":null'))])
    result, instance = materialize(live_source(api.base_url), REPORT_DAY, "landing/nba_schedule",
                                   "nba_raw/schedule", "landing/nba_injury_report",
                                   "nba_raw/injury_report")
    assert result.success, result.failure
    assert len(api.hits(INJURY.format(hour="11PM"))) == 3  # retried, then given up
    assert api.hits(BDL_INJURIES)[0].headers["Authorization"] == BDL_KEY
    assert [LandedKey.parse(k).source for k in keys(store, "balldontlie/")] == ["balldontlie"]
    landing = materialization_metadata(instance, "landing/nba_injury_report")
    assert landing["sources"] == ["balldontlie"] and landing["fallbacks"]
    meta = materialization_metadata(instance, "nba_raw/injury_report")
    # Only the players of teams playing that day are kept; the rest are counted.
    assert meta["players"] > 0 and meta["rows_teams_not_playing"] > 0
    assert meta["players"] + meta["rows_teams_not_playing"] == 100
    assert check_results(instance, result.run_id, "nba_raw/injury_report")[
        "injury_status_known"].passed


def test_malformed_injury_pdf_is_kept_and_named(api: FakeApi, store, materialize) -> None:
    body = b"<html>maintenance</html>"
    api.route(INJURY.format(hour="11PM"), [ok(body)])
    api.route(BDL_INJURIES, [Reply(500)])
    source = live_source(api.base_url)
    with pytest.raises(FetchFailed) as err:
        list(source.fetch_injury_report(REPORT_DAY))
    msg = str(err.value)
    assert "not a readable PDF" in msg and "nba_com/injury_report" in msg
    assert "balldontlie: GET" in msg and BDL_KEY not in msg
    result, instance = materialize(source, REPORT_DAY, "landing/nba_injury_report")
    assert not result.success and "not a readable PDF" in step_error(instance, result.run_id)
    (rejected,) = keys(store, "nba_com/injury_report.rejected/")
    assert store.read_bytes(rejected) == body
