"""Backfill a game-date range as one single run (in process), e.g. a whole season in one pass."""

from __future__ import annotations

import argparse
import time
from datetime import date

from dagster import AssetSelection, DagsterInstance

from nba_pipeline.definitions import build_definitions
from nba_pipeline.runner import run_range


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--start", type=date.fromisoformat, required=True, help="first game date")
    parser.add_argument("--end", type=date.fromisoformat, required=True,
                        help="last game date (inclusive)")
    parser.add_argument("--groups", nargs="*", default=None,
                        help="asset groups to materialize (default: all), e.g. landing raw")


def run(args: argparse.Namespace) -> int:
    defs = build_definitions()
    selection = AssetSelection.groups(*args.groups) if args.groups else None
    started = time.perf_counter()
    result = run_range(defs, args.start, args.end, selection=selection,
                       instance=DagsterInstance.get())
    elapsed = time.perf_counter() - started
    status = "succeeded" if result.success else f"FAILED: {result.failure}"
    print(f"backfill {args.start}..{args.end} {status} in {elapsed:.1f}s (run {result.run_id}); "
          f"checks passed {result.checks_passed}, failed {len(result.checks_failed)}")
    for failed in result.checks_failed:
        print(f"  failed check: {failed}")
    return 0 if result.success else 1
