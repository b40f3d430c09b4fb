"""Check results per game day: a range run with one bad day, on a real persisted instance.

Pins the behaviour of Dagster 1.13's preview partitioned asset checks as the project uses them
(lib/checks.py): every check spec carries the daily partitions, the asset yields one
`AssetCheckEvaluation` per day of its run, Dagster records each one on that day's PLANNED row,
`health` names the day, and automation holds only the bad day's downstream partitions.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from dagster import (
    AssetCheckKey,
    AssetSelection,
    DagsterInstance,
    Definitions,
    evaluate_automation_conditions,
)
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from nba_pipeline.cli import main
from nba_pipeline.lib.automation import no_blocking_check_failed
from nba_pipeline.partitions import daily_partitions
from nba_pipeline.runner import run_range
from nba_pipeline_tests.checks.test_blocking import BOX, DAY, PGS, _land_duplicate_row
from nba_pipeline_tests.conftest import build_definitions_for

START, END = date(2024, 3, 4), date(2024, 3, 6)  # DAY (2024-03-05) is the bad one
DUPLICATES = AssetCheckKey(BOX, "no_duplicate_player_games")
RAW_AND_ANALYTICS = AssetSelection.groups("raw", "analytics")


@pytest.fixture(scope="module")
def bad_range(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """DAGSTER_HOME and home after landing the range, re-landing DAY with a repeated player row
    and one range run of raw + analytics over START..END (which fails on DAY)."""
    root = tmp_path_factory.mktemp("per_day_checks")
    dagster_home, home = root / "dagster_home", root / "home"
    dagster_home.mkdir()
    with DagsterInstance.local_temp(str(dagster_home)) as instance:
        defs = build_definitions_for(home)
        landed = run_range(defs, START, END, selection=AssetSelection.groups("landing"),
                           instance=instance)
        assert landed.success, landed.failure
        _land_duplicate_row(home)
        result = run_range(defs, START, END, selection=RAW_AND_ANALYTICS, instance=instance)
        assert not result.success
        # The repeated row is a duplicate and adds its points to the team's total.
        assert set(result.checks_failed) == {f"nba_raw/player_boxscores:{name}" for name in
                                             ("no_duplicate_player_games",
                                              "team_points_match_schedule")}
        assert {tuple(days) for days in result.check_days.values()} == {(DAY.isoformat(),)}
    return dagster_home, home, result.run_id


def _history(instance: DagsterInstance, run_id: str) -> dict[str, object]:
    return {r.partition: r for r in instance.event_log_storage.get_asset_check_execution_history(
        DUPLICATES, limit=100) if r.run_id == run_id}


def test_each_day_of_the_range_has_its_own_result(bad_range):
    dagster_home, _, run_id = bad_range
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        rows = _history(instance, run_id)
        spec = build_definitions_for(Path("unused")).resolve_asset_graph().get(DUPLICATES)
    assert spec.partitions_def == daily_partitions  # the preview partitioned check
    # Dagster wrote one PLANNED row per day at run start; each day's evaluation replaced it.
    assert set(rows) == {"2024-03-04", "2024-03-05", "2024-03-06"}
    status = {day: r.status for day, r in rows.items()}
    assert status == {"2024-03-04": AssetCheckExecutionRecordStatus.SUCCEEDED,
                      "2024-03-05": AssetCheckExecutionRecordStatus.FAILED,
                      "2024-03-06": AssetCheckExecutionRecordStatus.SUCCEEDED}
    bad = rows["2024-03-05"].evaluation
    assert bad.partition == "2024-03-05" and bad.target_materialization_data.run_id == run_id
    metadata = {k: v.value for k, v in bad.metadata.items()}
    assert metadata["partition"] == "2024-03-05"
    assert metadata["run_window"] == "2024-03-04..2024-03-06"
    assert metadata["duplicate_rows"] == 2
    assert {row["game_date"][:10] for row in metadata["sample"]} == {"2024-03-05"}
    assert rows["2024-03-04"].evaluation.metadata["duplicate_rows"].value == 0


def test_health_names_the_bad_day(bad_range, monkeypatch, capsys):
    dagster_home, _, _ = bad_range
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    code = main(["health", "--start", START.isoformat(), "--end", END.isoformat(), "--json"])
    assets = {a["asset"]: a for a in json.loads(capsys.readouterr().out)["assets"]}
    assert code == 1
    box = assets["nba_raw/player_boxscores"]
    assert box["check_failures"] == {"no_duplicate_player_games": ["2024-03-05"],
                                     "team_points_match_schedule": ["2024-03-05"]}
    assert box["checks"]["points_arithmetic"] == "passed"
    main(["health", "--start", START.isoformat(), "--end", END.isoformat()])
    assert ("nba_raw/player_boxscores: check no_duplicate_player_games failed on 2024-03-05"
            in capsys.readouterr().out)


def _held(defs: Definitions, instance: DagsterInstance) -> set[str]:
    """The days of START..END whose player_game_summary the blocking-check hold stops."""
    gated = defs.map_resolved_asset_specs(
        func=lambda spec: spec.replace_attributes(automation_condition=no_blocking_check_failed()),
        selection=AssetSelection.assets(PGS))
    result = evaluate_automation_conditions(gated, instance,
                                            asset_selection=AssetSelection.assets(PGS))
    allowed = set(result.get_requested_partitions(PGS))
    return {d for d in ("2024-03-04", "2024-03-05", "2024-03-06") if d not in allowed}


def test_the_bad_day_holds_only_itself_until_fixed(bad_range):
    dagster_home, home, _ = bad_range
    defs = build_definitions_for(home)
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        assert _held(defs, instance) == {"2024-03-05"}  # the other two days may go on
        for fetch in sorted((home / "landing" / "nba_com" / "leaguegamelog" /
                             DAY.isoformat()).iterdir())[1:]:  # drop the bad re-landed fetch
            for f in fetch.iterdir():
                f.unlink()
            fetch.rmdir()
        fixed = run_range(defs, DAY, DAY, selection=[BOX], instance=instance)
        assert fixed.success, fixed.failure
        assert _held(defs, instance) == set()
