"""Run the whole pipeline on real replayed game days, offline, and print what it built."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import duckdb
from dagster import AssetSelection, DagsterInstance, Definitions

from nba_pipeline import paths
from nba_pipeline.commands.display import cell, is_null, text
from nba_pipeline.commands.instance import checked_range, local_instance
from nba_pipeline.definitions import build_definitions
from nba_pipeline.runner import RangeRunResult, run_range
from nba_pipeline.storage.schema import load_schemas

# History for the features and the model: three regular seasons, one single run each.
HISTORY = (
    (date(2021, 10, 19), date(2022, 4, 10)),
    (date(2022, 10, 18), date(2023, 4, 9)),
    (date(2023, 10, 24), date(2024, 3, 1)),
)
HISTORY_GROUPS = ("landing", "raw", "analytics", "precompute")
HISTORY_SELECTION = AssetSelection.groups(*HISTORY_GROUPS)
# Game days with real sportsbook points lines: every asset, predictions graded next day.
PREDICT = (date(2024, 3, 2), date(2024, 3, 31))
# `--quick`: the same code path on six weeks of history and three game days (about a minute):
# the fixture span of the test suite, used by CI's wheel-install check.
QUICK_HISTORY = ((date(2024, 1, 22), date(2024, 3, 1)),)
QUICK_PREDICT = (date(2024, 3, 4), date(2024, 3, 6))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--predict-start", type=date.fromisoformat, default=None,
                        help=f"first game day with every asset (default {PREDICT[0]})")
    parser.add_argument("--predict-end", type=date.fromisoformat, default=None,
                        help=f"last game day with every asset (default {PREDICT[1]})")
    parser.add_argument("--skip-history", action="store_true",
                        help="reuse history already in the warehouse")
    parser.add_argument("--quick", action="store_true",
                        help=f"six weeks of history, predictions for {QUICK_PREDICT[0]}.."
                             f"{QUICK_PREDICT[1]} (a check of the install, about a minute)")


def _step(label: str, result: RangeRunResult, seconds: float) -> None:
    state = "ok" if result.success else "FAILED"
    print(f"  {state:6} {label:26} {seconds:6.1f}s  checks passed {result.checks_passed}, "
          f"warned {len(result.checks_warned)}, failed {len(result.checks_failed)}")
    for failed in result.checks_failed[:10]:
        print(f"         failed check: {failed} on {', '.join(result.check_days.get(failed, []))}")
    for warned in sorted(set(result.checks_warned))[:10]:
        print(f"         warning: {warned}")
    if not result.success:
        raise SystemExit(
            f"demo stopped: {result.failure}\n"
            f"The run ({result.run_id}) and its logs are in the Dagster instance at "
            f"{os.environ['DAGSTER_HOME']}: `make dev`, then Runs. The runbook for failing "
            "checks is docs/checks.md; `make clean` removes the warehouse and the instance "
            "to start again.")


def run(args: argparse.Namespace) -> int:
    history, (predict_start, predict_end) = (QUICK_HISTORY, QUICK_PREDICT) if args.quick else (
        HISTORY, PREDICT)
    predict_start = args.predict_start or predict_start
    predict_end = args.predict_end or predict_end
    checked_range("demo", predict_start, predict_end)
    data = paths.recorded_data_dir()
    if os.environ.get("NBA_PIPELINE_SOURCE", "replay") == "replay" and not data.is_dir():
        raise SystemExit(f"demo: no recorded data at {data}. Put the shared data beside the "
                         "repo (../shared/data) or set NBA_PIPELINE_DATA_DIR to its folder.")
    defs = build_definitions("local")
    instance = local_instance(defs)
    home = paths.local_home()
    print(f"nba_pipeline demo: local profile, warehouse {home / 'warehouse.duckdb'}, "
          f"landing {home / 'landing'}, Dagster instance {os.environ['DAGSTER_HOME']}, "
          f"data {data}")
    started = time.perf_counter()
    results = []
    if not args.skip_history:
        print("1/2 history (landing -> raw -> analytics -> features), one single run per season:")
        results += run_ranges(defs, instance, history, _step, HISTORY_SELECTION)
    print("2/2 game days with real points lines, every asset (model, predictions, grading, JSON):")
    results += run_ranges(defs, instance, [(predict_start, predict_end)], _step)
    passed = sum(r.checks_passed for r in results)
    warned = sum(len(r.checks_warned) for r in results)
    failed = sum(len(r.checks_failed) for r in results)
    print(f"done in {time.perf_counter() - started:.0f}s; asset checks passed {passed}, "
          f"warned {warned}, failed {failed}\n")
    print(summary(home / "warehouse.duckdb", predict_end))
    return 0


def run_ranges(defs: Definitions, instance: DagsterInstance, ranges: Sequence[tuple[date, date]],
               step: Callable[[str, RangeRunResult, float], None],
               selection: AssetSelection | None = None) -> list[RangeRunResult]:
    """One single run per range (history: one per season, HISTORY_SELECTION), each reported to
    `step`, which may stop on a failure. Shared with `model-report`, which evaluates exactly
    what the demo builds."""
    results = []
    for start, end in ranges:
        t = time.perf_counter()
        result = run_range(defs, start, end, selection=selection, instance=instance)
        step(f"{start}..{end}", result, time.perf_counter() - t)
        results.append(result)
    return results


def summary(database: Path, last_day: date) -> str:
    """Rows per table, the last day's top LightGBM picks with their results, graded totals.

    Reads plain rows (`fetchall`), and every value is printed through `display.cell`, so a
    player who did not play, a push, a day without lines or an empty table prints as "-".
    """
    if not database.exists():
        return f"no warehouse at {database}: nothing was materialized"
    con = duckdb.connect(str(database), read_only=True)
    try:
        existing = {f"{schema}.{table}" for schema, table in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables()").fetchall()}
        lines = ["rows per table:"]
        for name in load_schemas():
            rows = (con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
                    if name in existing else None)
            lines.append(f"  {name:48} {cell(rows, ',', 9)}")
        needed = {"nba_predictions.player_prop_predictions", "nba_predictions.prediction_accuracy"}
        if needed <= existing:
            lines += _top_picks(con, last_day)
        if "nba_predictions.system_daily_performance" in existing:
            lines += _graded(con)
    finally:
        con.close()
    lines.append("\nopen the Dagster UI on the same data: `make dev`, then http://127.0.0.1:3000 "
                 "(Assets -> View global asset lineage; each asset's Partitions and Checks tabs).")
    return "\n".join(lines)


def _top_picks(con: duckdb.DuckDBPyConnection, last_day: date) -> list[str]:
    rows = con.execute(
        """
        SELECT p.game_date, p.player_name, p.team_abbr, p.opponent_abbr, p.predicted_points,
               p.line_value, p.recommendation, p.confidence, a.actual_points, a.is_hit
        FROM nba_predictions.player_prop_predictions p
        LEFT JOIN nba_predictions.prediction_accuracy a USING (game_date, player_lookup,
                                                               system_id)
        WHERE p.system_id = 'lightgbm' AND p.recommendation <> 'PASS'
          AND p.game_date = (SELECT max(game_date) FROM nba_predictions.player_prop_predictions
                             WHERE game_date <= ? AND line_value IS NOT NULL)
        ORDER BY p.confidence DESC NULLS LAST LIMIT 10
        """, [last_day]).fetchall()
    if not rows:
        return [f"\nno LightGBM picks on or before {last_day} (no day with points lines)"]
    lines = [f"\ntop LightGBM picks for {cell(rows[0][0])} (graded against the box score; "
             "'-' = not graded yet or did not play):",
             f"  {'player':24} {'game':9} {'pred':>5} {'line':>5} {'pick':5} {'conf':>5} "
             f"{'actual':>6} hit"]
    for (_, player, team, opponent, predicted, line, pick, confidence, actual, is_hit) in rows:
        game = f"{cell(team)}-{cell(opponent)}"
        lines.append(f"  {text(player, 24)} {text(game, 9)} {cell(predicted, '.1f', 5)} "
                     f"{cell(line, '.1f', 5)} {text(pick, 5)} {cell(confidence, '.2f', 5)} "
                     f"{cell(actual, 'd', 6)} {cell(is_hit)}")
    return lines


def _graded(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        """
        SELECT system_id, sum(predictions)::BIGINT n,
               sum(mae * predictions) / nullif(sum(predictions), 0) mae,
               sum(hits)::BIGINT hits, sum(picks)::BIGINT picks
        FROM nba_predictions.system_daily_performance GROUP BY 1 ORDER BY mae NULLS LAST
        """).fetchall()
    if not rows:
        return ["\nno graded predictions yet (grading runs the day after a game)"]
    lines = ["\ngraded predictions (all expected players):"]
    for system, n, mae, hits, picks in rows:
        rate = cell(hits / picks, ".1%") if picks and not is_null(hits) else "n/a"
        lines.append(f"  {text(system, 16)} n={cell(n, '', 0):<6} MAE {cell(mae, '.2f', 5)}  "
                     f"hit rate {rate} on {cell(picks)} picks")
    return lines
