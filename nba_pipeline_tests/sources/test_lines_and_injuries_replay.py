"""The replay path of game lines and injury reports, materialized by Dagster for real days."""

from __future__ import annotations

import gzip
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dagster import AssetSelection, DagsterInstance

from nba_pipeline.definitions import build_definitions
from nba_pipeline.profiles import local_resources
from nba_pipeline.runner import run_range
from nba_pipeline.sources import recorded
from nba_pipeline.sources.recorded import RecordedDataError
from nba_pipeline.sources.replay import ReplaySource
from nba_pipeline_tests.sources.test_live_source import check_results, materialization_metadata

NO_REPORT_DAY, REPORT_DAY = date(2024, 1, 3), date(2024, 1, 4)


def test_replay_days_materialize_both_raw_tables(tmp_path: Path) -> None:
    defs = build_definitions(resources=local_resources(tmp_path / "home"))
    with DagsterInstance.ephemeral() as instance:
        result = run_range(defs, NO_REPORT_DAY, REPORT_DAY, instance=instance,
                           selection=AssetSelection.groups("landing", "raw"))
        assert result.success, result.failure
        # Only the box scores of the days themselves exist: most reported players have
        # no nba.com id yet, which warns (it never fails the run).
        assert result.checks_failed == []
        assert result.checks_warned == ["nba_raw/injury_report:injury_players_matched"]
        injuries = materialization_metadata(instance, "nba_raw/injury_report")
        assert injuries["players"] == 14 and injuries["no_report_recorded"] == ["2024-01-03"]
        # Each day's result: the day without a report says so, the reported day does not.
        checks = check_results(instance, result.run_id, "nba_raw/injury_report",
                               NO_REPORT_DAY.isoformat())
        assert checks["injury_status_known"].metadata["no_report_recorded"].value == [
            "2024-01-03"]
        reported = check_results(instance, result.run_id, "nba_raw/injury_report",
                                 REPORT_DAY.isoformat())
        assert "no_report_recorded" not in reported["injury_status_known"].metadata
        assert check_results(instance, result.run_id, "nba_raw/game_lines")[
            "every_scheduled_game_has_line"].passed
    con = duckdb.connect(str(tmp_path / "home" / "warehouse.duckdb"), read_only=True)
    per_day = con.execute("select game_date, count(*), count(distinct game_id) from "
                          "nba_raw.game_lines group by 1 order by 1").fetchall()
    scheduled = con.execute("select game_date, count(*) from nba_raw.schedule group by 1 "
                            "order by 1").fetchall()
    assert [(d, n) for d, n, _ in per_day] == scheduled and all(n == u for _, n, u in per_day)
    assert con.execute("select count(*) from nba_raw.game_lines where source <> "
                       "'closing_lines' or book_count <> 1").fetchone()[0] == 0
    statuses = dict(con.execute("select status, count(*) from nba_raw.injury_report "
                                "group by 1").fetchall())
    assert statuses == {"Out": 10, "Questionable": 2, "Doubtful": 1, "Probable": 1}
    assert con.execute("select count(*) from nba_raw.injury_report where game_date <> "
                       "?", [REPORT_DAY]).fetchone()[0] == 0
    con.close()


def test_replay_serves_no_report_for_a_day_without_one() -> None:
    source = ReplaySource()
    assert source.fetch_injury_report(NO_REPORT_DAY) == []
    (payload,) = source.fetch_injury_report(REPORT_DAY)
    assert payload.endpoint == "injury_report" and payload.body.startswith(b"%PDF")
    assert payload.fetched_at.isoformat() == "2024-01-04T17:30:00+00:00"  # its report time


def test_a_damaged_recorded_pdf_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "api_samples" / "nbac_injury_report"
    folder.mkdir(parents=True)
    (folder / "raw_bad.pdf").write_bytes(b"%PDF-1.4 cut short")
    recorded._injury_reports.cache_clear()
    with pytest.raises(RecordedDataError, match=r"raw_bad\.pdf cannot be read"):
        ReplaySource(data_dir=str(tmp_path)).fetch_injury_report(REPORT_DAY)


def test_a_damaged_recorded_game_lines_file_names_the_line(tmp_path: Path) -> None:
    folder = tmp_path / "game_lines"
    folder.mkdir()
    source = next((recorded.data_dir() / "game_lines").glob("*.csv.gz"))
    shutil.copy(source, folder / source.name)
    (folder / "extra.csv.gz").write_bytes(gzip.compress(
        b"season,date,regular,playoffs,away,home,whos_favored,spread,total,moneyline_away,"
        b"moneyline_home\n2024,13/45/23,TRUE,FALSE,bos,ny,home,3,220,,\n"))
    with pytest.raises(RecordedDataError, match=r"extra\.csv\.gz.*'13/45/23'"):
        ReplaySource(data_dir=str(tmp_path)).fetch_game_lines(REPORT_DAY)


def test_the_scrape_jobs_land_game_lines_and_the_injury_report() -> None:
    from nba_pipeline.defs.landing import schedules

    for job in (schedules.scrape_morning_job, schedules.scrape_lines_job):
        selected = job.selection.resolve(build_definitions(
            resources=local_resources(Path("/nonexistent"))).resolve_asset_graph())
        assert {schedules.LANDING_GAME_LINES, schedules.LANDING_INJURIES,
                schedules.LANDING_LINES} <= selected
