"""Compare the systems, the averages and the line on a held-back span (walk-forward, no leakage).

Runs on a fresh clone: the recorded real data is replayed through the pipeline's own parsers,
analytics, feature store and weekly training (nba_pipeline/ml/evaluation.py); no warehouse or
Dagster instance is needed. Each date is scored by a model trained only on earlier dates.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

from nba_pipeline.commands.display import cell, is_null
from nba_pipeline.ml import evaluation


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--start", type=date.fromisoformat, default=evaluation.SPAN_START,
                        help=f"first held-back game date (default {evaluation.SPAN_START})")
    parser.add_argument("--end", type=date.fromisoformat, default=evaluation.SPAN_END,
                        help=f"last held-back game date (default {evaluation.SPAN_END})")
    parser.add_argument("--history-start", type=date.fromisoformat,
                        default=evaluation.HISTORY_START,
                        help=f"first date of training history (default {evaluation.HISTORY_START})")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="recorded data (default: NBA_PIPELINE_DATA_DIR or ../shared/data)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    if not args.history_start < args.start <= args.end:
        sys.stderr.write("need --history-start < --start <= --end\n")
        return 2
    started = time.perf_counter()
    report = evaluation.model_report(args.start, args.end, args.history_start, args.data_dir)
    report["seconds"] = round(time.perf_counter() - started, 1)
    sys.stdout.write((json.dumps(report, indent=2) if args.json else render(report)) + "\n")
    return 0 if report["rows"] else 1


def render(report: dict) -> str:
    """The report as a plain-text table a person can read; a missing figure prints as "-"."""
    span = report["span"]
    over = report.get("over_rate_actual")
    lines = [
        f"Held-back span {span['start']}..{span['end']} (history from {span['history_start']}), "
        f"players with a line: {report['rows']} rows, feature version "
        f"{report['feature_version']}, picks at |edge| >= {report['edge_threshold']}",
        "" if is_null(over) else f"Actual went OVER the line on {cell(over, '.1%')} of rows.",
        "",
        f"{'predictor':<16}{'MAE':>8}{'bias':>8}{'picks':>8}{'hit rate':>10}  95% interval",
    ]
    by_mae = sorted(report["mae"].items(),
                    key=lambda kv: (is_null(kv[1]), 0.0 if is_null(kv[1]) else kv[1]))
    for name, mae in by_mae:
        hit, ci = report["hit_rate"].get(name), report["hit_rate_ci95"].get(name)
        interval = "" if not ci else f"[{cell(ci[0], '.1%')}, {cell(ci[1], '.1%')}]"
        lines.append(
            f"{name:<16}{cell(mae, '.3f', 8)}{cell(report['bias'].get(name), '.3f', 8)}"
            f"{cell(report['n_picks'].get(name), '', 8)}"
            f"{'' if hit is None else cell(hit, '.1%'):>10}  {interval}")
    lines += ["", "Models (weekly retrain, each trained only on rows before its week):"]
    for m in report["models"]:
        val = m["validation_mae"]
        lines.append(f"  {m['model_version']}: trained through {m['trained_through']}, "
                     f"{m['train_rows']} rows, validation MAE "
                     f"{'n/a' if is_null(val) else cell(val, '.3f')}")
    lines += ["", "Feature importance (share of gain, mean over the weekly models):"]
    lines += [f"  {name:<24}{cell(share, '.3f')}" for name, share in
              list(report["feature_importance"].items())[:15]]
    lines.append(f"\n({report.get('seconds', 0)} s)")
    return "\n".join(lines)
