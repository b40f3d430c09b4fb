"""Smoke test of the benchmark harness (bench/, outside the package) in its quick plan: every
result key, sane types and internal consistency. Never asserts a timing (the machine is shared;
ratios are for the report).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import dagster
import pytest

from bench.run import main

REQUIRED = ("day_wall_s", "day_asset_code_s", "season_backfill_s", "single_run_speedup",
            "feature_store_speedup", "peak_rss_mb")


@pytest.mark.slow
def test_quick_bench_writes_every_figure(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    output = tmp_path / "results.json"
    assert main(["--quick", "--output", str(output)]) == 0
    results = json.loads(output.read_text())

    for key in REQUIRED:
        assert isinstance(results[key], float | int) and results[key] > 0, key
    # Steps run one after another inside the run, so their sum cannot exceed its wall time.
    assert results["day_asset_code_s"] <= results["day_wall_s"]
    assert results["day_dagster_overhead_s"] >= 0
    assert results["day_checks_passed"] > 0

    season = results["season"]
    assert season["game_days"] == 2 and season["player_games"] > 0
    assert season["models_trained"] >= 1 and season["predictions"] > 0
    assert "nba_predictions__points_model" in season["steps_s"]
    assert results["day_in_memory_wall_s"] > 0 and results["day_cpu_s"] > 0
    assert 0 < results["landing_to_precompute"]["speedup"]
    # The operator's path through a real daemon: the range as one backfill run, nothing
    # re-done by the landing sensor or automation (issue 15).
    daemon = results["daemon"]
    assert daemon["status"].startswith("COMPLETED"), daemon
    assert daemon["runs"] == {"backfill": 1, "sensor": 0, "automation": 0, "other": 0}

    # The same day in process on the on-disk sqlite instance and on the Postgres instance
    # (a throwaway cluster): both recorded the same run, the ratio is theirs.
    inst = results["instances"]
    assert inst["day"] == "2024-02-27" and inst["repeats"] == 1
    assert inst["sqlite_wall_s"] > 0 and inst["postgres_wall_s"] > 0
    assert inst["postgres_events"] == inst["sqlite_events"] > 0
    assert inst["postgres_vs_sqlite"] == round(inst["postgres_wall_s"] / inst["sqlite_wall_s"], 2)

    fs = results["feature_store"]
    assert fs["players"] > fs["naive_players"] == 10
    assert fs["naive_queries"] == fs["naive_players"] + 3
    assert fs["same_features"] is True  # the naive loop reproduces the vectorized features

    scaling = results["scaling"]
    assert [row["seasons"] for row in scaling] == [1]
    for row in scaling:
        assert isinstance(row["feature_store_s"], float) and row["feature_store_s"] > 0
        assert isinstance(row["backfill_s"], float) and row["backfill_s"] > 0
        assert row["feature_rows"] > 0 and row["player_games"] > 0

    machine = results["machine"]
    assert isinstance(machine["cores"], int) and machine["cores"] > 0
    assert machine["memory_gb"] > 0
    assert machine["dagster"] == dagster.__version__
    assert machine["python"].count(".") == 2

    printed = capsys.readouterr().out
    for label in ("one game day", "asset code", "per game day", "feature store",
                  "peak RSS", "scaling: 1 season", "Postgres instance"):
        assert label in printed, label


def test_bench_runs_as_a_module_from_the_checkout() -> None:
    """`make bench` runs `python -m bench` from the checkout root (not an installed command)."""
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-m", "bench", "--help"], cwd=root,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    for option in ("--quick", "--output", "--keep", "--from-stages"):
        assert option in proc.stdout, option
