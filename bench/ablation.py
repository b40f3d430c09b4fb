"""Walk-forward LightGBM variants on a materialized home: which features help the line players.

    python -m bench.ablation --home DIR [--start 2024-03-02] [--end 2024-04-14] [--json]

DIR holds a warehouse the assets wrote (`model-report --keep-home DIR`, or a demo/backfill
home) with the feature store and player_game_summary for the history seasons and the span.
Each variant retrains the weekly models exactly as `points_model` does (ml/model.py:
`train_with_validation`, the same cutoffs, windows and parameters) with its own feature list,
then predicts the span's rows that have a consensus line. Printed per variant:

- `line MAE` and the paired gap to the line on those rows (what issue 17's bar reads; the
  held-back span: report it, never choose by it);
- `val MAE (10+ ppg)`: the weekly validation windows' MAE (always before the cutoff) on players
  averaging 10+ points over their last 10 games, the line players' kind. This is the figure a
  variant may be chosen by: the span's lines start 2024-03-02, so no earlier window has lines.

Not part of `make bench`: about 2-4 minutes per variant on one core.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from nba_pipeline.features import feature_store
from nba_pipeline.ml import model as points_model

V21 = tuple(f for f in feature_store.FEATURES if f not in (
    "implied_team_points", "expected_margin", "pts_share_last10", "share_implied_points",
    "rotation_absent_count", "rotation_absent_pts", "rotation_absent_min",
    "games_missed_before", "min_trend_3v10"))
ABSENCES = ("rotation_absent_count", "rotation_absent_pts", "rotation_absent_min",
            "games_missed_before")
VARIANTS: dict[str, tuple[str, ...]] = {
    "shipped (46)": feature_store.FEATURES,
    "v2.1 set (37)": V21,
    "without absences (42)": tuple(f for f in feature_store.FEATURES if f not in ABSENCES),
    "v2.1 + game lines (39)": (*V21, "implied_team_points", "expected_margin"),
}
VOLUME_PPG = 10.0


def load(home: Path) -> pd.DataFrame:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        features = con.execute("SELECT * FROM nba_precompute.ml_feature_store_v2").df()
        outcomes = con.execute("SELECT game_date, player_lookup, points "
                               "FROM nba_analytics.player_game_summary").df()
    finally:
        con.close()
    return points_model.labelled_rows(features, outcomes)


def paired_gap(pred: np.ndarray, line: np.ndarray, actual: np.ndarray) -> tuple[float, float]:
    diff = np.abs(pred - actual) - np.abs(line - actual)
    return float(diff.mean()), float(1.96 * diff.std(ddof=1) / np.sqrt(len(diff)))


def run_variant(labelled: pd.DataFrame, span: pd.DataFrame, names: tuple[str, ...]
                ) -> tuple[dict, np.ndarray]:
    """The variant's figures and its prediction for each span row."""
    points_model.MODEL_FEATURES = names  # what train_with_validation and predict read
    preds = np.full(len(span), np.nan)
    val_err: list[np.ndarray] = []
    cutoffs = span["game_date"].dt.date.map(points_model.training_cutoff)
    for cutoff in sorted(cutoffs.unique()):
        booster, _, validation = points_model.train_with_validation(labelled, cutoff)
        week = (cutoffs == cutoff).to_numpy()
        preds[week] = points_model.predict(booster, span[week])
        volume = validation["pts_avg_last10"] >= VOLUME_PPG
        val_err.append(np.abs(validation.loc[volume, "lgbm_pred"]
                              - validation.loc[volume, "points"]).to_numpy())
    line, actual = span["points_line"].to_numpy(float), span["points"].to_numpy(float)
    gap, half = paired_gap(preds, line, actual)
    return {"features": len(names), "rows": len(span),
            "line_mae": float(np.mean(np.abs(preds - actual))),
            "gap_to_line": gap, "gap_half_width": half,
            "val_mae_volume": float(np.mean(np.concatenate(val_err))),
            "val_rows_volume": int(sum(len(e) for e in val_err))}, preds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2024, 3, 2))
    parser.add_argument("--end", type=date.fromisoformat, default=date(2024, 4, 14))
    parser.add_argument("--variant", action="append", choices=sorted(VARIANTS))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    labelled = load(args.home)
    dates = labelled["game_date"].dt.date
    span = labelled[(dates >= args.start) & (dates <= args.end)
                    & labelled["points_line"].notna()].reset_index(drop=True)
    line_mae = float(np.mean(np.abs(span["points_line"] - span["points"])))
    results = {}
    for name in args.variant or list(VARIANTS):
        results[name], _ = run_variant(labelled, span, VARIANTS[name])
        r = results[name]
        sys.stderr.write(f"{name:26} line MAE {r['line_mae']:.3f} gap {r['gap_to_line']:+.3f} "
                         f"± {r['gap_half_width']:.3f}  val MAE (10+ ppg) "
                         f"{r['val_mae_volume']:.3f} on {r['val_rows_volume']}\n")
    out = {"span": [args.start.isoformat(), args.end.isoformat()], "rows": len(span),
           "the_line_mae": line_mae, "variants": results}
    print(json.dumps(out, indent=1) if args.json else
          f"the line: MAE {line_mae:.3f} on {len(span)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
