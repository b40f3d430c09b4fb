"""Compare the systems, the averages and the line on a held-back span, from what the assets wrote.

One pipeline: the report reads the warehouse tables and model artifacts the Dagster assets
produced, never a re-implementation of them. By default it materializes them first, in process,
on a temporary Dagster instance and a temporary local home (the demo's history seasons, then the
span through every asset: weekly `points_model`, predictions, grading); `--home` reads a home a
backfill or the demo already wrote. Each date is scored by the model trained through the Sunday
before its week, on rows strictly before that Monday (the `points_model` asset's rule).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from dagster import DagsterInstance

from nba_pipeline import paths
from nba_pipeline.commands import demo
from nba_pipeline.commands.display import cell, is_null
from nba_pipeline.commands.instance import checked_range
from nba_pipeline.definitions import build_definitions
from nba_pipeline.features.feature_store import FEATURE_VERSION
from nba_pipeline.ml import blending, evaluation, systems
from nba_pipeline.ml import model as model_lib
from nba_pipeline.profiles import local_resources
from nba_pipeline.runner import RangeRunResult
from nba_pipeline.sources.replay import ReplaySource
from nba_pipeline.storage.landing import LocalLandingStore

SPAN_START = date(2024, 3, 2)
SPAN_END = date(2024, 4, 14)
PREDICTIONS = "nba_predictions.player_prop_predictions"
MODELS = "nba_predictions.points_model"
FEATURES = "nba_precompute.ml_feature_store_v2"
OUTCOMES = "nba_analytics.player_game_summary"


class MissingSpanError(RuntimeError):
    """The home does not hold the span: names the table and the dates that are missing."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--start", type=date.fromisoformat, default=None,
                        help=f"first held-back game date (default {SPAN_START})")
    parser.add_argument("--end", type=date.fromisoformat, default=None,
                        help=f"last held-back game date (default {SPAN_END})")
    parser.add_argument("--home", "--warehouse", dest="home", type=Path, default=None,
                        help="read an NBA_PIPELINE_HOME (warehouse.duckdb + landing/) that a "
                             "backfill or the demo already wrote, instead of materializing")
    parser.add_argument("--keep-home", type=Path, default=None,
                        help="materialize into this new folder instead of a temporary one and "
                             "keep it (read it again with --home, or with bench.ablation)")
    parser.add_argument("--quick", action="store_true",
                        help=f"the demo's short span: history {demo.QUICK_HISTORY[0][0]}.., "
                             f"span {demo.QUICK_PREDICT[0]}..{demo.QUICK_PREDICT[1]} (a minute)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="recorded data (default: NBA_PIPELINE_DATA_DIR or ../shared/data)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    default_span = demo.QUICK_PREDICT if args.quick else (SPAN_START, SPAN_END)
    start, end = args.start or default_span[0], args.end or default_span[1]
    checked_range("model-report", start, end)
    started = time.perf_counter()
    if args.home is not None:
        try:
            report = read_report(args.home, start, end)
        except MissingSpanError as exc:
            sys.stderr.write(f"model-report: {exc}\n")
            return 2
    else:
        history = history_for(start, demo.QUICK_HISTORY if args.quick else demo.HISTORY)
        if not history:
            sys.stderr.write(f"model-report: no history before {start} (history starts "
                             f"{demo.HISTORY[0][0]})\n")
            return 2
        if args.keep_home is not None:
            if args.keep_home.exists() and any(args.keep_home.iterdir()):
                sys.stderr.write(f"model-report: --keep-home {args.keep_home} is not empty\n")
                return 2
            report = materialize_and_report(args.keep_home, history, start, end, args.data_dir)
        else:
            with tempfile.TemporaryDirectory(prefix="nba-model-report-") as tmp:
                report = materialize_and_report(Path(tmp), history, start, end, args.data_dir)
    report["seconds"] = round(time.perf_counter() - started, 1)
    sys.stdout.write((json.dumps(report, indent=2) if args.json else render(report)) + "\n")
    return 0 if report["rows"] else 1


def history_for(start: date, seasons: tuple[tuple[date, date], ...]) -> list[tuple[date, date]]:
    """The seasons that begin before `start`, the last one run up to the day before it, so a
    later span's features see every game before it."""
    kept = [(s, e) for s, e in seasons if s < start]
    if kept:
        kept[-1] = (kept[-1][0], start - timedelta(days=1))
    return kept


def _progress(label: str, result: RangeRunResult, seconds: float) -> None:
    """One line per run on stderr (stdout stays the report); a failed run stops the report."""
    state = "ok" if result.success else "FAILED"
    sys.stderr.write(f"  {state:6} {label:26} {seconds:6.1f}s\n")
    if not result.success:
        raise SystemExit(f"model-report: the run for {label} failed ({result.run_id}): "
                         f"{result.failure}")


def materialize_and_report(home: Path, history: list[tuple[date, date]], start: date,
                           end: date, data_dir: Path | None = None,
                           instance: DagsterInstance | None = None) -> dict:
    """Materialize history (landing..precompute, one run per season) and then the span through
    every asset into `home`, on recorded data, then report from what was written."""
    resources = local_resources(home)
    resources["nba_source"] = ReplaySource(
        data_dir=str(data_dir) if data_dir else str(paths.recorded_data_dir()))
    defs = build_definitions(resources=resources)
    sys.stderr.write(f"model-report: materializing history {history[0][0]}..{history[-1][1]} "
                     f"and {start}..{end} (every asset) into {home}\n")
    own = instance is None
    instance = instance or DagsterInstance.ephemeral()
    try:
        demo.run_ranges(defs, instance, history, _progress, demo.HISTORY_SELECTION)
        demo.run_ranges(defs, instance, [(start, end)], _progress)
    finally:
        if own:
            instance.dispose()
    return read_report(home, start, end, history_start=history[0][0])


@dataclass
class SpanTables:
    """The warehouse rows the report scores: active predictions, the references, the actuals."""

    predictions: pd.DataFrame
    features: pd.DataFrame
    outcomes: pd.DataFrame
    models: pd.DataFrame


def _ranges(days: list[date]) -> str:
    """2024-04-01..2024-04-03, 2024-04-05: dates as the runs that would fill them."""
    days = sorted(days)
    parts, first = [], None
    for i, day in enumerate(days):
        first = first or day
        if i + 1 == len(days) or days[i + 1] != day + timedelta(days=1):
            parts.append(first.isoformat() if first == day else f"{first}..{day}")
            first = None
    shown = ", ".join(parts[:6]) + (f", ... ({len(days)} dates)" if len(parts) > 6 else "")
    return shown


def _dates(frame: pd.DataFrame) -> set[date]:
    return set(pd.to_datetime(frame["game_date"]).dt.date)


def read_span(home: Path, start: date, end: date) -> SpanTables:
    """The span's rows from `home`'s warehouse; MissingSpanError names what is not there.

    `points_model` writes one row per materialized date (game or not), so its dates say which
    partitions of the predictions phase ran; every date with predictions needs its features and
    box scores.
    """
    database = home / "warehouse.duckdb"
    if not database.exists():
        raise MissingSpanError(f"no warehouse at {database}: run `nba-pipeline demo` or a "
                               "backfill into that home first, or drop --home")
    con = duckdb.connect(str(database), read_only=True)
    try:
        existing = {f"{s}.{t}" for s, t in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables()").fetchall()}
        absent = [t for t in (MODELS, PREDICTIONS, FEATURES, OUTCOMES) if t not in existing]
        if absent:
            raise MissingSpanError(f"{database} has no table {', '.join(absent)}: materialize "
                                   f"{start}..{end} through every asset first")
        where, span = "game_date BETWEEN ? AND ?", [start, end]
        tables = SpanTables(
            predictions=con.execute(
                "SELECT game_date, player_lookup, system_id, predicted_points, model_version, "
                "cold_start, line_value, recommendation, p_over, market_p_over, over_price, "
                "under_price, ev "
                f"FROM {PREDICTIONS} WHERE is_active AND {where}", span).df(),
            features=con.execute(
                "SELECT game_date, player_lookup, points_line, pts_avg_season, pts_avg_last10 "
                f"FROM {FEATURES} WHERE {where}", span).df(),
            outcomes=con.execute(
                f"SELECT game_date, player_lookup, points FROM {OUTCOMES} WHERE {where}",
                span).df(),
            models=con.execute(
                f"SELECT game_date, model_version, artifact_key FROM {MODELS} WHERE {where}",
                span).df(),
        )
    finally:
        con.close()
    wanted = {start + timedelta(days=i) for i in range((end - start).days + 1)}
    missing = wanted - _dates(tables.models)
    if missing:
        raise MissingSpanError(
            f"{MODELS} has no rows for {_ranges(list(missing))} in {home}: materialize those "
            f"dates through every asset (`nba-pipeline backfill --start ... --end ...`), or "
            "drop --home to materialize the span in a temporary home")
    predicted = _dates(tables.predictions)
    for table, frame in ((FEATURES, tables.features), (OUTCOMES, tables.outcomes)):
        lacking = predicted - _dates(frame)
        if lacking:
            raise MissingSpanError(f"{table} has no rows for {_ranges(list(lacking))}, which "
                                   f"have predictions in {home}")
    if not predicted:
        raise MissingSpanError(f"{PREDICTIONS} has no rows for {start}..{end} in {home}")
    return tables


def read_models(home: Path, artifact_keys: list[str]) -> tuple[list[dict], list[dict], float]:
    """Each weekly model's info.json (beside its model.txt in the landing store), the boosters'
    gain shares and the mean validation residual std (the sigma the systems recommend with)."""
    store = LocalLandingStore(base_dir=str(home / "landing"))
    infos, gains = [], []
    for key in artifact_keys:
        info = model_lib.ModelInfo.from_json(
            store.read_bytes(key.rsplit("/", 1)[0] + "/info.json").decode())
        infos.append(info)
        gains.append(model_lib.importances(model_lib.load(store.read_bytes(key))))
    models = []
    for i in infos:
        line_weight, baseline_weight, source = blending.serving_weights(i)
        models.append({"model_version": i.model_version, "trained_through": i.trained_through,
                       "train_rows": i.train_rows, "validation_mae": i.validation_mae,
                       # The ensemble blend serving the week: its path over time.
                       "ensemble_line_weight": line_weight,
                       "ensemble_baseline_weight": baseline_weight,
                       "blend_line_rows": i.blend_line_rows, "blend_source": source})
    sigma = (float(np.mean([i.residual_std for i in infos])) if infos
             else systems.DEFAULT_SIGMA)
    return models, gains, sigma


def read_report(home: Path, start: date, end: date, history_start: date | None = None) -> dict:
    """The held-back comparison over what the assets wrote into `home`, JSON-ready."""
    tables = read_span(home, start, end)
    keys = (tables.models.drop_duplicates("model_version").sort_values("model_version")
            ["artifact_key"].tolist())
    models, gains, sigma = read_models(home, keys)
    rows = evaluation.evaluation_rows(tables.predictions, tables.features, tables.outcomes)
    report = evaluation.summarize(rows, list(systems.SYSTEMS), sigma)
    # The systems' picks are the ones the predictions asset published (EV >= MIN_EV); the
    # averages, which publish nothing, keep the |edge| >= EDGE_THRESHOLD rule.
    for system_id, picks in evaluation.asset_picks(tables.predictions, rows,
                                                   list(systems.SYSTEMS)).items():
        report["n_picks"][system_id] = picks["n"]
        report["hit_rate"][system_id] = picks["hit_rate"]
        report["hit_rate_ci95"][system_id] = picks["ci95"]
    report["mae_gap_to_line"] = evaluation.paired_mae_gaps(
        rows, [n for n in report["mae"] if n != "line"])
    report["probabilities"] = evaluation.probability_report(
        tables.predictions, rows, list(systems.SYSTEMS))
    report["cold_start"] = evaluation.cold_start_breakdown(
        tables.predictions, tables.features, tables.outcomes, list(systems.SYSTEMS))
    report.update({
        "span": {"start": start.isoformat(), "end": end.isoformat(),
                 "history_start": history_start.isoformat() if history_start else None,
                 "home": None if history_start else str(home)},
        "feature_version": FEATURE_VERSION,
        "edge_threshold": systems.EDGE_THRESHOLD,
        "models": models,
        "feature_importance": evaluation.mean_importances(gains),
    })
    return report


def _ci(ci: list | None, fmt: str) -> str:
    return "" if not ci else f"[{cell(ci[0], fmt)}, {cell(ci[1], fmt)}]"


def _gap_lines(gaps: dict | None) -> list[str]:
    """MAE minus the line's MAE, paired per player-game, with its 95% interval."""
    if not gaps:
        return []
    lines = ["", "MAE gap to the line (predictor - line, paired per player-game; 95% normal "
                 "interval; < 0 beats the line):",
             f"{'predictor':<16}{'n':>7}{'gap':>9}  95% interval"]
    for name, g in sorted(gaps.items(), key=lambda kv: kv[1]["mean"] or 0.0):
        lines.append(f"{name:<16}{g['n']:>7}{cell(g['mean'], '+.3f', 9)}  "
                     f"{_ci(g['ci95'], '+.3f')}")
    return lines


def _probability_lines(prob: dict | None) -> list[str]:
    """Brier / log loss against the market, the EV picks' ROI, the calibration deciles."""
    if not prob or not prob.get("systems"):
        return []
    lines = ["", f"P(over) against the market (rows with a market price at the consensus line "
                 f"and no push; {cell(prob.get('priced_share'), '.1%')} of rows are priced); "
                 "95% normal intervals:",
             f"{'system':<16}{'n':>6}{'Brier':>8}{'market':>8}  gap [95%]{'':>12}"
             f"{'log loss':>9}{'market':>8}  gap [95%]"]
    for name, s in prob["systems"].items():
        lines.append(
            f"{name:<16}{s['rows']:>6}{cell(s['brier']['mean'], '.4f', 8)}"
            f"{cell(s['market_brier']['mean'], '.4f', 8)}  "
            f"{cell(s['brier_gap']['mean'], '+.4f')} {_ci(s['brier_gap']['ci95'], '+.4f'):<20}"
            f"{cell(s['log_loss']['mean'], '.4f', 9)}{cell(s['market_log_loss']['mean'], '.4f', 8)}"
            f"  {cell(s['log_loss_gap']['mean'], '+.4f')} "
            f"{_ci(s['log_loss_gap']['ci95'], '+.4f')}")
    lines += ["", f"EV picks (ev >= {prob['min_ev']}) graded at the best price taken: ROI per "
                  "unit staked, 95% normal interval:",
              f"{'system':<16}{'bets':>6}{'won':>6}{'profit':>9}{'ROI':>8}  95% interval"
              f"{'':>8}OVER / UNDER bets"]
    for name, s in prob["systems"].items():
        b = s["bets"]
        sides = " / ".join(str(s["bets_by_side"][k]["bets"]) for k in ("OVER", "UNDER"))
        lines.append(f"{name:<16}{b['bets']:>6}{b['won']:>6}{cell(b['profit'], '+.2f', 9)}"
                     f"{cell(b['roi'], '+.1%', 8)}  {_ci(b['roi_ci95'], '+.1%'):<20}{sides}")
    tables = [(n, s["calibration"]) for n, s in prob["systems"].items()]
    tables.append(("market", prob.get("market_calibration") or []))
    lines += ["", "Calibration (deciles of the probability: n, mean P(over) -> observed over "
                  "rate):", f"{'bin':<9}" + "".join(f"{n:>24}" for n, _ in tables)]
    for i in range(10):
        row = f"{tables[0][1][i]['bin'] if tables[0][1] else '':<9}"
        for _, table in tables:
            b = table[i] if table else None
            text = ("-" if not b or not b["n"] else
                    f"{b['n']} {b['mean_p']:.3f}->{b['observed']:.3f}")
            row += f"{text:>24}"
        lines.append(row)
    return lines


def _cold_start_lines(breakdown: dict | None) -> list[str]:
    """MAE without and with `cold_start` (rows with a line, an actual and every system)."""
    if not breakdown:
        return []
    names = list(breakdown["without"]["mae"])
    lines = ["", "MAE by cold_start (rows with a line, the actual and every system; averages "
                 "not required):", f"{'rows':<22}{'n':>6}" + "".join(f"{n:>17}" for n in names)]
    parts = [("without cold_start", breakdown["without"]), ("with cold_start", breakdown["with"]),
             *((f"  {kind}", part) for kind, part in breakdown["by_kind"].items())]
    for label, part in parts:
        lines.append(f"{label:<22}{part['rows']:>6}" + "".join(
            cell(part["mae"].get(n), ".3f", 17) for n in names))
    return lines


def render(report: dict) -> str:
    """The report as a plain-text table a person can read; a missing figure prints as "-"."""
    span = report["span"]
    over = report.get("over_rate_actual")
    source = (f"history from {span['history_start']}" if span.get("history_start")
              else f"read from {span.get('home')}")
    lines = [
        f"Held-back span {span['start']}..{span['end']} ({source}), "
        f"players with a line: {report['rows']} rows, feature version "
        f"{report['feature_version']}; the systems' picks are their published EV picks "
        f"(ev >= {report.get('probabilities', {}).get('min_ev')}), the averages' picks "
        f"|edge| >= {report['edge_threshold']}",
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
    lines += _gap_lines(report.get("mae_gap_to_line"))
    lines += _probability_lines(report.get("probabilities"))
    lines += _cold_start_lines(report.get("cold_start"))
    lines += ["", "Models (points_model artifacts, weekly, each trained only on rows before "
                  "its week):"]
    for m in report["models"]:
        val = m["validation_mae"]
        lines.append(f"  {m['model_version']}: trained through {m['trained_through']}, "
                     f"{m['train_rows']} rows, validation MAE "
                     f"{'n/a' if is_null(val) else cell(val, '.3f')}; ensemble line weight "
                     f"{cell(m.get('ensemble_line_weight'), '.2f')} "
                     f"({m.get('blend_source', 'prior')}, {m.get('blend_line_rows', 0)} graded "
                     "rows with a line)")
    lines += ["", "Feature importance (share of gain, mean over the stored weekly models):"]
    lines += [f"  {name:<24}{cell(share, '.3f')}" for name, share in
              list(report["feature_importance"].items())[:15]]
    lines.append(f"\n({report.get('seconds', 0)} s)")
    return "\n".join(lines)
