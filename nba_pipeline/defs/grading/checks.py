"""Checks on the grading: each system's accuracy against its own recent past."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from nba_pipeline.lib.checks import Check, Outcome, unique_rows

# Drift: the rolling ROLLING_DAYS ending on each date against the BASELINE_DAYS before them.
ROLLING_DAYS = 7
BASELINE_DAYS = 30
DRIFT_LOOKBACK_DAYS = ROLLING_DAYS - 1 + BASELINE_DAYS  # accuracy partitions the check needs
MAX_MAE_INCREASE = 0.15  # relative: rolling MAE more than 15% above the baseline warns
MAX_HIT_RATE_DROP = 0.08  # absolute: 8 points below the baseline hit rate warns
MIN_BASELINE_ROWS = 200
MIN_ROLLING_ROWS = 50
MIN_PICKS = 30


def _drift(frame: pd.DataFrame, inputs: Mapping[str, pd.DataFrame]) -> Outcome:
    """Rolling MAE and hit rate per system against the baseline before it (warning only)."""
    graded = inputs.get("prediction_accuracy", pd.DataFrame())
    if frame.empty or graded.empty:
        return Outcome(True, {"compared": 0, "skipped": "no graded predictions"})
    graded = graded.assign(game_date=pd.to_datetime(graded["game_date"]))
    rows = []
    for game_date in sorted(pd.to_datetime(frame["game_date"]).unique()):
        roll_start = game_date - pd.Timedelta(days=ROLLING_DAYS - 1)
        base_start = roll_start - pd.Timedelta(days=BASELINE_DAYS)
        for system_id in sorted(frame["system_id"].unique()):
            g = graded[graded["system_id"] == system_id]
            recent = g[(g["game_date"] >= roll_start) & (g["game_date"] <= game_date)]
            base = g[(g["game_date"] >= base_start) & (g["game_date"] < roll_start)]
            rows.append(_drift_row(pd.Timestamp(game_date), system_id, recent, base))
    table = pd.DataFrame(rows)
    compared = table[table["status"] != "insufficient history"]
    flagged = table[table["status"] == "drift"]
    return Outcome(len(flagged) == 0, {
        "compared": len(compared), "skipped_insufficient_history": len(table) - len(compared),
        "flagged": len(flagged), "drift": flagged.to_dict("records")[:30],
        "by_system": table.tail(12).to_dict("records")})


def _drift_row(game_date: pd.Timestamp, system_id: str, recent: pd.DataFrame,
               base: pd.DataFrame) -> dict[str, object]:
    row: dict[str, object] = {"game_date": game_date.date().isoformat(), "system_id": system_id,
                              "rolling_rows": len(recent), "baseline_rows": len(base)}
    if len(base) < MIN_BASELINE_ROWS or len(recent) < MIN_ROLLING_ROWS:
        return {**row, "status": "insufficient history"}
    mae_recent, mae_base = recent["absolute_error"].mean(), base["absolute_error"].mean()
    row.update(rolling_mae=round(float(mae_recent), 3), baseline_mae=round(float(mae_base), 3))
    flags = []
    if mae_recent > mae_base * (1 + MAX_MAE_INCREASE):
        flags.append("mae")
    picks_recent, picks_base = recent["is_hit"].dropna(), base["is_hit"].dropna()
    if len(picks_recent) >= MIN_PICKS and len(picks_base) >= MIN_PICKS:
        hit_recent, hit_base = picks_recent.astype(float).mean(), picks_base.astype(float).mean()
        row.update(rolling_hit_rate=round(float(hit_recent), 3),
                   baseline_hit_rate=round(float(hit_base), 3))
        if hit_recent < hit_base - MAX_HIT_RATE_DROP:
            flags.append("hit_rate")
    return {**row, "status": "drift" if flags else "ok", "flags": ",".join(flags)}


ACCURACY_CHECKS = [
    unique_rows("unique_graded_prediction", ["game_id", "player_lookup", "system_id"],
                "A prediction graded twice counts twice in every MAE and hit rate."),
]

PERFORMANCE_CHECKS = [
    unique_rows("unique_system_day", ["game_date", "system_id"],
                "One performance row per system and day, or the day's numbers are summed twice."),
    Check("accuracy_drift",
          f"Warns when, per system, the rolling {ROLLING_DAYS}-day MAE is more than "
          f"{MAX_MAE_INCREASE:.0%} above the previous {BASELINE_DAYS} days' MAE, or the rolling "
          f"hit rate is more than {MAX_HIT_RATE_DROP * 100:.0f} points below it (needs "
          f">= {MIN_BASELINE_ROWS} baseline and {MIN_ROLLING_ROWS} rolling graded rows).",
          _drift, warn=True, window_inputs=("prediction_accuracy",),
          threshold=f"rolling MAE <= baseline x {1 + MAX_MAE_INCREASE:.2f}; hit rate >= "
          f"baseline - {MAX_HIT_RATE_DROP:.2f}"),
]
