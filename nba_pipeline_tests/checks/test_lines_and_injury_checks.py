"""The game-line and injury-report checks pass on real rows and fail on bad ones, naming them."""

from __future__ import annotations

from datetime import date

import pandas as pd
from dagster import AssetCheckSeverity, AssetKey

from nba_pipeline.defs.raw.checks import GAME_LINE_CHECKS, INJURY_CHECKS
from nba_pipeline.domain.game_lines import consensus_lines
from nba_pipeline.ingest.parsers.game_lines import parse_closing_lines
from nba_pipeline.ingest.parsers.injury_report import parse_injury_report
from nba_pipeline.ingest.parsers.nba_com import parse_nba_schedule
from nba_pipeline.lib.checks import evaluate_days
from nba_pipeline.sources import recorded
from nba_pipeline.storage.schema import conform
from nba_pipeline_tests.sources.fake_api import sample

DAY = date(2024, 1, 3)
REPORT_DAY = date(2024, 1, 4)


def _results(checks, frame: pd.DataFrame, **inputs: pd.DataFrame) -> dict:
    return {r.check_name: r for r in evaluate_days(AssetKey(["x"]), checks, frame,
                                                   ["2024-01-03"], inputs)}


def _real_lines() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The recorded closing lines of 2024-01-03 joined to the replayed schedule of that day."""
    root = recorded.data_dir()
    schedule = parse_nba_schedule(recorded.schedule_body(root, DAY), DAY, "s")
    books = parse_closing_lines(recorded.closing_lines_body(root, DAY), DAY, "k")
    lines, fell_out = consensus_lines(books, schedule)
    assert fell_out.empty and len(lines) == len(schedule) == 12
    return conform(lines, "nba_raw.game_lines"), schedule


def test_game_line_checks_pass_on_the_real_day() -> None:
    lines, schedule = _real_lines()
    results = _results(GAME_LINE_CHECKS, lines, schedule=schedule,
                       fell_out=pd.DataFrame())
    assert all(r.passed for r in results.values()), {
        n: r.metadata for n, r in results.items() if not r.passed}


def test_a_duplicated_game_fails_blocking() -> None:
    lines, schedule = _real_lines()
    doubled = pd.concat([lines, lines.iloc[[0]].assign(event_id="other")], ignore_index=True)
    check = _results(GAME_LINE_CHECKS, doubled, schedule=schedule)["one_line_per_game"]
    assert not check.passed and check.metadata["duplicate_rows"].value == 2
    assert next(c for c in GAME_LINE_CHECKS if c.name == "one_line_per_game").blocking


def test_an_implausible_total_or_spread_fails_naming_the_game() -> None:
    lines, schedule = _real_lines()
    bad = lines.copy()
    bad.loc[0, "total"] = 112.5  # a team total parsed as the game's
    bad.loc[1, "home_spread"] = -145.0  # a moneyline parsed as a spread
    check = _results(GAME_LINE_CHECKS, bad, schedule=schedule)["game_line_values_plausible"]
    assert not check.passed and check.metadata["bad_rows"].value == 2
    shown = {r["game_id"] for r in check.metadata["sample"].value}
    assert shown == {lines.loc[0, "game_id"], lines.loc[1, "game_id"]}
    assert check.severity == AssetCheckSeverity.ERROR
    assert next(c for c in GAME_LINE_CHECKS if c.name == "game_line_values_plausible").blocking


def test_a_scheduled_game_without_a_line_warns_and_is_listed() -> None:
    lines, schedule = _real_lines()
    gone = lines.iloc[0]
    check = _results(GAME_LINE_CHECKS, lines.iloc[1:], schedule=schedule)[
        "every_scheduled_game_has_line"]
    assert not check.passed and check.severity == AssetCheckSeverity.WARN
    assert check.metadata["missing"].value == [
        f"{DAY} {gone['game_id']} {gone['away_team_abbr']}@{gone['home_team_abbr']}"]


def test_fallen_out_events_are_listed_with_their_reason() -> None:
    lines, schedule = _real_lines()
    fell_out = pd.DataFrame([{"game_date": "2024-01-03", "event_id": "e1", "away_team": "x",
                              "home_team": "Golden State Dubs", "books": 3,
                              "reason": "unknown team name 'Golden State Dubs'",
                              "landing_key": "k"}])
    check = _results(GAME_LINE_CHECKS, lines, schedule=schedule, fell_out=fell_out)[
        "game_lines_match_schedule"]
    assert not check.passed and check.severity == AssetCheckSeverity.WARN
    assert check.metadata["fell_out"].value[0]["reason"] == "unknown team name 'Golden State Dubs'"


def _report() -> pd.DataFrame:
    rows = parse_injury_report(sample("nbac_injury_report/raw_f4391904.pdf"), REPORT_DAY, "k")
    return conform(rows.assign(player_id=range(len(rows))), "nba_raw.injury_report")


def test_injury_checks_pass_on_the_real_report_and_say_no_report_recorded() -> None:
    results = _results(INJURY_CHECKS, _report(), no_report=pd.DataFrame(
        {"game_date": ["2024-01-03"]}))
    assert all(r.passed for r in results.values())
    assert results["injury_status_known"].metadata["no_report_recorded"].value == ["2024-01-03"]
    empty = _results(INJURY_CHECKS, _report().iloc[0:0], no_report=pd.DataFrame(
        {"game_date": ["2024-01-04"]}))["injury_status_known"]
    assert empty.passed and empty.metadata["no_report_recorded"].value == ["2024-01-04"]


def test_an_unknown_status_fails_naming_it() -> None:
    report = _report()
    report.loc[3, "status"] = "Suspended"
    check = _results(INJURY_CHECKS, report)["injury_status_known"]
    assert not check.passed and check.metadata["unknown_statuses"].value == ["Suspended"]
    assert check.metadata["sample"].value[0]["player_name"] == report.loc[3, "player_name"]
    assert next(c for c in INJURY_CHECKS if c.name == "injury_status_known").blocking


def test_a_player_twice_in_one_report_and_unmatched_players_fail() -> None:
    report = _report()
    doubled = pd.concat([report, report.iloc[[0]]], ignore_index=True)
    assert not _results(INJURY_CHECKS, doubled)["one_row_per_report_player"].passed
    report.loc[[1, 2], "player_id"] = pd.NA
    check = _results(INJURY_CHECKS, report)["injury_players_matched"]
    assert not check.passed and check.metadata["unmatched"].value == 2
    assert check.severity == AssetCheckSeverity.WARN
