"""Run the whole pipeline on real replayed game days, offline, and print what it built."""

from __future__ import annotations

import argparse
import os
import time
from datetime import date
from pathlib import Path

import duckdb
from dagster import AssetSelection, DagsterInstance

from nba_pipeline.definitions import build_definitions
from nba_pipeline.profiles import REPO_ROOT, local_home
from nba_pipeline.runner import RangeRunResult, run_range
from nba_pipeline.storage.schema import load_schemas

# History for the features and the model: three regular seasons, one single run each.
HISTORY = (
    (date(2021, 10, 19), date(2022, 4, 10)),
    (date(2022, 10, 18), date(2023, 4, 9)),
    (date(2023, 10, 24), date(2024, 3, 1)),
)
HISTORY_GROUPS = ("landing", "raw", "analytics", "precompute")
# Game days with real sportsbook points lines: every asset, predictions graded next day.
PREDICT = (date(2024, 3, 2), date(2024, 3, 31))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--predict-start", type=date.fromisoformat, default=PREDICT[0])
    parser.add_argument("--predict-end", type=date.fromisoformat, default=PREDICT[1])
    parser.add_argument("--skip-history", action="store_true",
                        help="reuse history already in the warehouse")


def _instance() -> DagsterInstance:
    if not os.environ.get("DAGSTER_HOME"):
        home = REPO_ROOT / ".dagster_home"
        home.mkdir(exist_ok=True)
        if not (home / "dagster.yaml").exists():
            (home / "dagster.yaml").write_text((REPO_ROOT / "dagster.yaml").read_text())
        os.environ["DAGSTER_HOME"] = str(home)
    return DagsterInstance.get()


def _step(label: str, result: RangeRunResult, seconds: float) -> None:
    state = "ok" if result.success else "FAILED"
    print(f"  {state:6} {label:26} {seconds:6.1f}s  checks passed {result.checks_passed}, "
          f"warned {len(result.checks_warned)}, failed {len(result.checks_failed)}")
    for failed in result.checks_failed[:10]:
        print(f"         failed check: {failed}")
    for warned in sorted(set(result.checks_warned))[:10]:
        print(f"         warning: {warned}")
    if not result.success:
        raise SystemExit(f"demo stopped: {result.failure}")


def run(args: argparse.Namespace) -> int:
    instance = _instance()
    defs = build_definitions("local")
    home = local_home()
    print(f"nba_pipeline demo: local profile, warehouse {home / 'warehouse.duckdb'}, "
          f"landing {home / 'landing'}, Dagster instance {os.environ['DAGSTER_HOME']}")
    started = time.perf_counter()
    passed, warned, failed = 0, 0, 0
    if not args.skip_history:
        print("1/2 history (landing -> raw -> analytics -> features), one single run per season:")
        for start, end in HISTORY:
            t = time.perf_counter()
            result = run_range(defs, start, end, selection=AssetSelection.groups(*HISTORY_GROUPS),
                               instance=instance)
            _step(f"{start}..{end}", result, time.perf_counter() - t)
            passed += result.checks_passed
            warned += len(result.checks_warned)
            failed += len(result.checks_failed)
    print("2/2 game days with real points lines, every asset (model, predictions, grading, JSON):")
    t = time.perf_counter()
    result = run_range(defs, args.predict_start, args.predict_end, instance=instance)
    _step(f"{args.predict_start}..{args.predict_end}", result, time.perf_counter() - t)
    passed += result.checks_passed
    warned += len(result.checks_warned)
    failed += len(result.checks_failed)
    print(f"done in {time.perf_counter() - started:.0f}s; asset checks passed {passed}, "
          f"warned {warned}, failed {failed}\n")
    print(summary(home / "warehouse.duckdb", args.predict_end))
    return 0


def summary(database: Path, last_day: date) -> str:
    con = duckdb.connect(str(database), read_only=True)
    try:
        lines = ["rows per table:"]
        for name in load_schemas():
            rows = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            lines.append(f"  {name:48} {rows:>9,}")
        top = con.execute(
            """
            SELECT p.game_date, p.player_name, p.team_abbr, p.opponent_abbr, p.predicted_points,
                   p.line_value, p.recommendation, p.confidence, a.actual_points, a.is_hit
            FROM nba_predictions.player_prop_predictions p
            LEFT JOIN nba_predictions.prediction_accuracy a USING (game_date, player_lookup,
                                                                   system_id)
            WHERE p.system_id = 'lightgbm' AND p.recommendation <> 'PASS'
              AND p.game_date = (SELECT max(game_date) FROM nba_predictions.player_prop_predictions
                                 WHERE game_date <= ? AND line_value IS NOT NULL)
            ORDER BY p.confidence DESC LIMIT 10
            """, [last_day]).fetchdf()
        if len(top):
            lines.append(f"\ntop LightGBM picks for {top['game_date'].iloc[0]:%Y-%m-%d} "
                         "(graded against the box score):")
            lines.append(f"  {'player':24} {'game':9} {'pred':>5} {'line':>5} {'pick':5} "
                         f"{'conf':>5} {'actual':>6} hit")
            for r in top.itertuples(index=False):
                hit = "-" if r.is_hit is None or r.is_hit != r.is_hit else (
                    "yes" if r.is_hit else "no")
                lines.append(f"  {r.player_name[:24]:24} {r.team_abbr}-{r.opponent_abbr:5} "
                             f"{r.predicted_points:5.1f} {r.line_value:5.1f} {r.recommendation:5} "
                             f"{r.confidence:5.2f} {r.actual_points!s:>6} {hit}")
        perf = con.execute(
            """
            SELECT system_id, sum(predictions)::BIGINT n,
                   sum(mae * predictions) / sum(predictions) mae,
                   sum(hits)::BIGINT hits, sum(picks)::BIGINT picks
            FROM nba_predictions.system_daily_performance GROUP BY 1 ORDER BY mae
            """).fetchdf()
        if len(perf):
            lines.append("\ngraded predictions (all expected players):")
            for r in perf.itertuples(index=False):
                rate = f"{r.hits / r.picks:.1%}" if r.picks else "n/a"
                lines.append(f"  {r.system_id:16} n={r.n:<6} MAE {r.mae:5.2f}  "
                             f"hit rate {rate} on {r.picks} picks")
    finally:
        con.close()
    lines.append("\nopen the Dagster UI on the same data: `make dev`, then http://127.0.0.1:3000 "
                 "(Assets -> View global asset lineage; each asset's Partitions and Checks tabs).")
    return "\n".join(lines)
