"""A player reported Out before tip-off gets PASS with the report named (issue 17, part 2);
a report after tip-off is never read; every other PASS says why."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from nba_pipeline.domain.injuries import reported_out, schedule_tipoffs
from nba_pipeline.ingest.parsers.injury_report import parse_injury_report
from nba_pipeline.ingest.parsers.nba_com import parse_nba_schedule
from nba_pipeline.ml.probabilities import (
    MIN_EV,
    pass_kinds,
    pass_reasons,
    pass_reported_out,
    price_rows,
)
from nba_pipeline.sources import recorded
from nba_pipeline_tests.sources.fake_api import sample

REPORT_DAY = date(2024, 1, 4)


def real_report_and_schedule() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The recorded official report of 2024-01-04 (12:30 PM ET) and that day's schedule."""
    schedule = parse_nba_schedule(recorded.schedule_body(recorded.data_dir(), REPORT_DAY),
                                  REPORT_DAY, "s")
    report = parse_injury_report(sample("nbac_injury_report/raw_f4391904.pdf"), REPORT_DAY, "k")
    return report, schedule_tipoffs(schedule)


def report_rows(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """(report time UTC, team, player, status) rows of 2024-01-04."""
    return pd.DataFrame({"game_date": [REPORT_DAY] * len(rows),
                         "report_time_utc": [pd.Timestamp(r[0], tz="UTC") for r in rows],
                         "team_abbr": [r[1] for r in rows], "player_lookup": [r[2] for r in rows],
                         "status": [r[3] for r in rows]})


def schedule_with_tipoff(tipoff_utc: str | None) -> pd.DataFrame:
    return schedule_tipoffs(pd.DataFrame({"game_date": [REPORT_DAY], "home_team_abbr": ["SAS"],
                         "away_team_abbr": ["MIL"],
                         "tipoff_utc": [pd.Timestamp(tipoff_utc, tz="UTC") if tipoff_utc
                                        else None]}))


def test_the_real_report_lists_its_out_players_once_each() -> None:
    report, schedule = real_report_and_schedule()
    out = reported_out(report, schedule)
    expected = report[report["status"] == "Out"]
    assert len(out) == len(expected) == 10
    assert set(out["player_lookup"]) == set(expected["player_lookup"])
    assert "zachcollins" in set(out["player_lookup"])
    assert (out["report_time_utc"] == pd.Timestamp("2024-01-04 17:30", tz="UTC")).all()
    # Questionable, Doubtful and Probable players are not Out
    assert not set(out["player_lookup"]) & set(report.loc[report["status"] != "Out",
                                                          "player_lookup"])


def test_only_reports_before_tip_off_count_and_the_latest_one_wins() -> None:
    report = report_rows([
        ("2024-01-04 17:30", "SAS", "zachcollins", "Out"),
        ("2024-01-04 17:30", "SAS", "devinvassell", "Out"),
        ("2024-01-04 22:30", "SAS", "devinvassell", "Available"),  # cleared before the tip
        ("2024-01-04 17:30", "MIL", "khrismiddleton", "Questionable"),
        ("2024-01-05 01:15", "MIL", "khrismiddleton", "Out"),  # after the 01:00 tip: not read
    ])
    out = reported_out(report, schedule_with_tipoff("2024-01-05 01:00"))
    assert list(out["player_lookup"]) == ["zachcollins"]
    # the same after-tip report with no tip-off known: the 19:00 ET fallback still excludes it
    out = reported_out(report, schedule_with_tipoff(None))
    assert list(out["player_lookup"]) == ["zachcollins"]
    # a tip-off later than that report makes it pre-game knowledge
    out = reported_out(report, schedule_with_tipoff("2024-01-05 02:00"))
    assert set(out["player_lookup"]) == {"zachcollins", "khrismiddleton"}
    assert reported_out(report.iloc[0:0], schedule_with_tipoff(None)).empty


def priced_rows(players: list[str]) -> pd.DataFrame:
    """Two systems' rows for `players` of SAS, each line priced at -110 both sides."""
    n = len(players)
    rows = pd.DataFrame({
        "game_date": [pd.Timestamp(REPORT_DAY)] * 2 * n, "team_abbr": ["SAS"] * 2 * n,
        "player_lookup": players * 2, "system_id": ["lightgbm"] * n + ["line_baseline"] * n,
        "predicted_points": [25.0] * n + [14.5] * n, "line_value": [14.5] * 2 * n})
    market = pd.DataFrame({"game_date": [pd.Timestamp(REPORT_DAY)] * n,
                           "player_lookup": players, "over_price": [-110.0] * n,
                           "under_price": [-110.0] * n, "market_p_over": [0.5] * n})
    return price_rows(rows, market, None, sigma=5.0)


def test_a_player_reported_out_gets_pass_with_the_report_named() -> None:
    report, schedule = real_report_and_schedule()
    rows = priced_rows(["zachcollins", "devinvassell"])
    # before the report: the model sees value on the OVER for both (25 vs a 14.5 line)
    assert list(rows.loc[rows["system_id"] == "lightgbm", "recommendation"]) == ["OVER", "OVER"]
    served = pass_reported_out(rows, reported_out(report, schedule))
    collins = served[served["player_lookup"] == "zachcollins"]
    assert (collins["recommendation"] == "PASS").all()
    assert (collins["pass_reason"] == "reported Out (injury report 2024-01-04 17:30 UTC)").all()
    # his probability and value stay as computed, for grading
    assert collins["ev"].equals(rows.loc[collins.index, "ev"])
    vassell = served[served["player_lookup"] == "devinvassell"]
    assert vassell.equals(rows.loc[vassell.index])  # not on the report: untouched
    assert pass_kinds(served) == {"reported Out": 2, f"ev below {MIN_EV:.2f}": 1}
    assert pass_reported_out(rows, reported_out(report.iloc[0:0], schedule)).equals(rows)


def test_every_pass_says_why_and_a_pick_says_nothing() -> None:
    rec = np.array(["PASS", "PASS", "PASS", "OVER"])
    line = np.array([np.nan, 20.5, 20.5, 20.5])
    priced = np.array([False, False, True, True])
    ev = np.array([np.nan, np.nan, 0.0123, 0.08])
    assert list(pass_reasons(rec, line, priced, ev, 0.05)) == [
        "no line", "no book price at the consensus line", "ev +0.012 below 0.05", None]
