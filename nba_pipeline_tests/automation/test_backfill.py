"""`nba-pipeline backfill`: one run per range, the bad day named, --submit creates a backfill."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance
from dagster._core.execution.backfill import BulkActionStatus

from nba_pipeline.cli import main
from nba_pipeline.commands.backfill import resolve_selection
from nba_pipeline.paths import instance_template
from nba_pipeline.storage.landing import LocalLandingStore
from nba_pipeline_tests.conftest import build_definitions_for


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """NBA_PIPELINE_HOME and DAGSTER_HOME (with the repo's dagster.yaml) in temp folders."""
    home, dagster_home = tmp_path / "home", tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(instance_template(), dagster_home / "dagster.yaml")
    monkeypatch.setenv("NBA_PIPELINE_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    monkeypatch.setenv("NBA_PIPELINE_PROFILE", "local")
    return home


def test_selection_accepts_groups_keys_and_downstream():
    defs = build_definitions_for(Path("/nonexistent"))
    raw = resolve_selection(defs, ["raw"])
    assert {k.path[-1] for k in raw} == {"schedule", "player_boxscores", "player_prop_lines",
                                         "game_lines", "injury_report"}
    down = resolve_selection(defs, ["nba_raw/player_boxscores+"])
    assert AssetKey(["nba_predictions", "prediction_accuracy"]) in down
    assert AssetKey(["nba_raw", "schedule"]) not in down
    with pytest.raises(SystemExit, match="unknown asset group or key"):
        resolve_selection(defs, ["nba_raw/nope"])


def test_one_bad_day_fails_the_range_naming_that_day(env: Path, capsys):
    assert main(["backfill", "--start", "2024-03-04", "--end", "2024-03-06",
                 "--select", "landing"]) == 0
    store = LocalLandingStore(base_dir=str(env / "landing"))
    (bad,) = store.latest_fetch("nba_com", "leaguegamelog", date(2024, 3, 5))
    store.write_bytes(bad, b'{"resultSets": [{"name": "LeagueGameLog", "rowSet": "truncated')
    capsys.readouterr()
    assert main(["backfill", "--start", "2024-03-04", "--end", "2024-03-06",
                 "--select", "raw"]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "2024-03-05" in out
    assert "2024-03-04" not in out.split("FAILED", 1)[1]  # only the bad day is named
    # The box-score step wrote nothing for the range: the good days are not half-loaded.
    con = duckdb.connect(str(env / "warehouse.duckdb"), read_only=True)
    tables = {t for (t,) in con.execute("select table_name from information_schema.tables "
                                        "where table_schema = 'nba_raw'").fetchall()}
    if "player_boxscores" in tables:
        assert con.execute("select count(*) from nba_raw.player_boxscores").fetchone()[0] == 0
    con.close()


@pytest.mark.parametrize("select", [["--select", "nba_raw/player_boxscores+"], []],
                         ids=["downstream-of-box-scores", "whole-graph"])
def test_submit_creates_a_dagster_backfill_for_the_daemon(env: Path, capsys, select):
    assert main(["backfill", "--start", "2024-03-04", "--end", "2024-03-06", *select,
                 "--submit"]) == 0
    assert "submitted backfill" in capsys.readouterr().out
    with DagsterInstance.get() as instance:
        (backfill,) = instance.get_backfills()
    assert backfill.status == BulkActionStatus.REQUESTED
    assert backfill.tags["nba_pipeline/trigger"] == "cli_backfill"
    selected = set(backfill.asset_selection)
    assert AssetKey(["nba_predictions", "prediction_accuracy"]) in selected
    assert (AssetKey(["landing", "nba_boxscores"]) in selected) == (not select)
    # `--submit` sends what the UI's "Materialize -> date range" sends (dates on the roots,
    # mapped downstream), and every selected asset targets exactly the three dates: history
    # windows are no partition mappings any more (features of 03-05 read box scores of 03-04:
    # as a window mapping that once put the feature store, the models and the predictions of
    # every later date in the backfill).
    target = backfill.asset_backfill_data.target_subset
    assert target.asset_keys == selected
    assert {key.to_user_string(): sorted(target.get_partitions_subset(key).get_partition_keys())
            for key in selected} == {key.to_user_string(): ["2024-03-04", "2024-03-05",
                                                            "2024-03-06"] for key in selected}
