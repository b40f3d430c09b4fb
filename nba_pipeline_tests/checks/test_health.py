"""`nba-pipeline health` on a real persisted instance after a backfilled range and a bad day."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from dagster import AssetSelection, DagsterInstance

from nba_pipeline.cli import main
from nba_pipeline.health import AssetFacts, CheckRun, render, summarize
from nba_pipeline.runner import run_range
from nba_pipeline_tests.checks.test_blocking import DAY, _land_duplicate_row
from nba_pipeline_tests.conftest import build_definitions_for

START, END = date(2024, 3, 4), date(2024, 3, 6)


@pytest.fixture(scope="module")
def health_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DAGSTER_HOME after a 3-day backfill of landing..analytics and a re-run of a corrupted day."""
    root = tmp_path_factory.mktemp("health")
    (root / "dagster_home").mkdir()
    with DagsterInstance.local_temp(str(root / "dagster_home")) as instance:
        defs = build_definitions_for(root / "home")
        groups = AssetSelection.groups("landing", "raw", "analytics")
        assert run_range(defs, START, END, selection=groups, instance=instance).success
        _land_duplicate_row(root / "home")
        bad = run_range(defs, DAY, DAY, selection=AssetSelection.groups("raw", "analytics"),
                        instance=instance)
        assert not bad.success
    return root / "dagster_home"


def _health(monkeypatch, capsys, home: Path, *args: str) -> tuple[int, str]:
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    code = main(["health", *args])
    return code, capsys.readouterr().out


def test_health_json_reports_partitions_and_checks(health_home, monkeypatch, capsys):
    code, out = _health(monkeypatch, capsys, health_home, "--start", "2024-03-03", "--end",
                        "2024-03-06", "--json")
    report = json.loads(out)
    assets = {a["asset"]: a for a in report["assets"]}
    assert code == 1 and not report["healthy"]

    box = assets["nba_raw/player_boxscores"]
    assert box["materialized"] == 3 and box["missing"] == ["2024-03-03"] and box["failed"] == []
    assert box["checks"]["no_duplicate_player_games"] == "failed"
    assert box["check_failures"]["no_duplicate_player_games"] == ["2024-03-05"]
    assert box["checks"]["points_arithmetic"] == "passed"

    pgs = assets["nba_analytics/player_game_summary"]  # blocked: its latest attempt failed
    assert pgs["failed"] == ["2024-03-05"] and pgs["materialized"] == 2
    assert pgs["checks"]["unique_player_game"] == "passed"

    context = assets["nba_analytics/upcoming_player_game_context"]
    assert sum(context["check_counts"].values()) == len(context["checks"]) == 3
    assert context["check_counts"]["not run"] == 0 and context["check_counts"]["failed"] == 0

    preds = assets["nba_predictions/player_prop_predictions"]
    assert preds["materialized"] == 0 and len(preds["missing"]) == 4
    assert set(preds["checks"].values()) == {"not run"}


def test_health_table_for_a_clean_range(health_home, monkeypatch, capsys):
    code, out = _health(monkeypatch, capsys, health_home, "--start", "2024-03-04", "--end",
                        "2024-03-04")
    assert "health 2024-03-04..2024-03-04 (1 game dates)" in out
    line = next(x for x in out.splitlines() if x.startswith("nba_raw/player_boxscores "))
    assert line.split()[1:5] == ["1/1", "0", "0", "0"]
    assert "nba_predictions/player_prop_predictions: missing partitions 2024-03-04" in out
    assert code == 1  # predictions were never run for that day


def test_late_means_after_deadline_but_not_a_later_backfill():
    due = datetime(2024, 3, 5, 15, 0, tzinfo=timezone.utc)
    facts = AssetFacts(
        "nba_predictions/player_prop_predictions",
        materialized_at={date(2024, 3, 5): due + timedelta(hours=1),
                         date(2024, 3, 6): due + timedelta(days=300),
                         date(2024, 3, 7): due},
        checks=["x"],
        check_runs=[CheckRun("x", False, True, "2024-03-05..2024-03-06", due),
                    CheckRun("x", True, False, "2024-03-06", due + timedelta(hours=1))],
        deadline=lambda d: due + timedelta(days=(d - date(2024, 3, 5)).days),
    )
    (health,) = summarize([facts], date(2024, 3, 5), date(2024, 3, 8))
    assert health.late == ["2024-03-05"] and health.missing == ["2024-03-08"]
    assert health.checks == {"x": "warned"} and health.check_failures == {"x": ["2024-03-05"]}
    assert "landed after its deadline 2024-03-05" in render([health], date(2024, 3, 5),
                                                            date(2024, 3, 8))


def test_render_lists_prediction_gaps_per_day():
    facts = AssetFacts("nba_predictions/prediction_gaps",
                       materialized_at={START: datetime(2024, 3, 4, tzinfo=timezone.utc)},
                       gaps={START: 3, END: 0})
    (report,) = summarize([facts], START, END)
    assert report.gaps == {"2024-03-04": 3, "2024-03-06": 0}
    assert "nba_predictions/prediction_gaps per day" in render([report], START, END)
    assert "2024-03-04 3, 2024-03-06 0" in render([report], START, END)
