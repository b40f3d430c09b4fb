"""Smoke test of the benchmark harness in its quick plan: every result key, sane types and
internal consistency. Never asserts a timing (the machine is shared; ratios are for the report).
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster
import pytest

from nba_pipeline.cli import main

REQUIRED = ("day_wall_s", "day_asset_code_s", "season_backfill_s", "single_run_speedup",
            "feature_store_speedup", "peak_rss_mb")


@pytest.mark.slow
def test_quick_bench_writes_every_figure(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    output = tmp_path / "results.json"
    assert main(["bench", "--quick", "--output", str(output)]) == 0
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
                  "peak RSS", "scaling: 1 season"):
        assert label in printed, label
