"""Benchmark the pipeline (ratios measured in one run) and write bench/results.json.

Run from the checkout: `make bench`, or `.venv/bin/python -m bench [--quick] ...`.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from bench import benchmarks

BENCH_DIR = Path(__file__).resolve().parent


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="tiny plan (a few weeks, one day): checks the harness, not the speed")
    parser.add_argument("--output", type=Path, default=None,
                        help="results file (default: bench/results.json; --quick: "
                             "bench/results.quick.json)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep the temp homes and per-stage JSON in this folder")
    parser.add_argument("--from-stages", type=Path, default=None,
                        help="re-render results from a --keep folder's stage JSON (no runs)")
    return parser


def run(args: argparse.Namespace) -> int:
    plan = benchmarks.QUICK if args.quick else benchmarks.FULL
    output = args.output or BENCH_DIR / (
        "results.quick.json" if args.quick else "results.json")
    print(f"nba_pipeline bench ({plan.name} plan): every stage in a child process with its own "
          "temp warehouse and Dagster instance; the machine's other load makes numbers noisy.")
    if args.from_stages:
        previous = json.loads(output.read_text()) if output.exists() else {}
        results = benchmarks.resummarize(plan, args.from_stages,
                                         previous.get("bench_total_s", 0.0))
        if previous.get("machine"):  # keep the load seen while the stages ran
            results["machine"] = previous["machine"]
    else:
        results = benchmarks.run_bench(
            plan, log=lambda msg: print(f"  ... {msg}", flush=True), keep=args.keep)
    benchmarks.write_results(results, output)
    print()
    print(benchmarks.table(results))
    print(f"\nhow it was measured: {results['method']}")
    if not results["feature_store"]["same_features"]:
        print("WARNING: the per-player loop did not reproduce the vectorized features")
    print(f"\nwrote {output}")
    print(json.dumps({k: results[k] for k in (
        "day_wall_s", "day_asset_code_s", "season_backfill_s", "single_run_speedup",
        "feature_store_speedup", "peak_rss_mb")}))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))
