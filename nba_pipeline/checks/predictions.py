"""Checks on predictions and their grading."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from nba_pipeline.checks.framework import Check, Outcome, sample

RECOMMENDATIONS = {"OVER", "UNDER", "PASS"}
COVERAGE_SLO = 0.95

# Drift: the rolling ROLLING_DAYS ending on each date against the BASELINE_DAYS before them.
ROLLING_DAYS = 7
BASELINE_DAYS = 30
DRIFT_LOOKBACK_DAYS = ROLLING_DAYS - 1 + BASELINE_DAYS  # accuracy partitions the check needs
MAX_MAE_INCREASE = 0.15  # relative: rolling MAE more than 15% above the baseline warns
MAX_HIT_RATE_DROP = 0.08  # absolute: 8 points below the baseline hit rate warns
MIN_BASELINE_ROWS = 200
MIN_ROLLING_ROWS = 50
MIN_PICKS = 30


def _active(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["is_active"].astype(bool)]


def _one_active(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    if frame.empty:
        return Outcome(True, {"duplicate_active": 0})
    keys = ["game_id", "player_lookup", "system_id"]
    active = _active(frame)
    dup = active[active.duplicated(keys, keep=False)]
    return Outcome(len(dup) == 0, {"duplicate_active": len(dup), "sample": sample(dup, keys)})


def _confidence_range(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    if frame.empty:
        return Outcome(True, {"bad_rows": 0})
    bad = frame[~frame["confidence"].between(0, 1)]
    return Outcome(len(bad) == 0, {"bad_rows": len(bad), "sample": sample(
        bad, ["game_date", "player_lookup", "system_id", "confidence"])})


def _recommendation_enum(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    if frame.empty:
        return Outcome(True, {"bad_rows": 0})
    bad = frame[~frame["recommendation"].isin(RECOMMENDATIONS)]
    return Outcome(len(bad) == 0, {
        "bad_rows": len(bad), "allowed": sorted(RECOMMENDATIONS),
        "bad_values": sorted(map(str, bad["recommendation"].unique()))[:20],
        "sample": sample(bad, ["game_date", "player_lookup", "system_id", "recommendation"])})


def _line_positive(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    if frame.empty:
        return Outcome(True, {"bad_rows": 0})
    bad = frame[frame["line_value"].notna() & ~(frame["line_value"] > 0)]
    return Outcome(len(bad) == 0, {"bad_rows": len(bad), "sample": sample(
        bad, ["game_date", "player_lookup", "system_id", "line_value"])})


def _coverage(frame: pd.DataFrame, inputs: Mapping[str, pd.DataFrame]) -> Outcome:
    """Per game date and system: share of players with a line that have an active prediction."""
    features = inputs.get("features", pd.DataFrame())
    lined = features[features["points_line"].notna()] if len(features) else features
    if lined.empty:
        return Outcome(True, {"players_with_line": 0})
    lined = lined[["game_date", "player_lookup"]].drop_duplicates().assign(
        game_date=lambda f: pd.to_datetime(f["game_date"]))
    systems = sorted(frame["system_id"].dropna().unique()) if len(frame) else []
    active = _active(frame).assign(game_date=lambda f: pd.to_datetime(f["game_date"])) \
        if len(frame) else frame
    rows, missing = [], []
    for system_id in systems or ["(no predictions)"]:
        have = active[(active["system_id"] == system_id) & active["line_value"].notna()]
        merged = lined.merge(have[["game_date", "player_lookup"]].drop_duplicates().assign(
            _have=True), on=["game_date", "player_lookup"], how="left")
        for game_date, day in merged.groupby("game_date"):
            share = float(day["_have"].notna().mean())
            rows.append({"game_date": game_date.date().isoformat(), "system_id": system_id,
                         "players_with_line": len(day), "coverage": round(share, 4)})
            if share < COVERAGE_SLO:
                missing += [{"game_date": game_date.date().isoformat(), "system_id": system_id,
                             "player_lookup": p}
                            for p in day.loc[day["_have"].isna(), "player_lookup"].head(10)]
    table = pd.DataFrame(rows)
    below = table[table["coverage"] < COVERAGE_SLO]
    return Outcome(len(below) == 0, {
        "players_with_line": len(lined), "lowest_coverage": float(table["coverage"].min()),
        "below_slo": below.to_dict("records")[:30], "missing_sample": missing[:30]})


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


PREDICTION_CHECKS = [
    Check("one_active_prediction",
          "Exactly one active row per (game_id, player_lookup, system_id) (0 duplicates).",
          _one_active, blocking=True, threshold="0 duplicate active rows"),
    Check("prediction_coverage",
          f"SLO: on every game date, at least {COVERAGE_SLO:.0%} of players with a points line "
          "have an active prediction with that line, in every prediction system.",
          _coverage, threshold=f">= {COVERAGE_SLO:.0%} per system and day"),
    Check("confidence_in_unit_interval", "confidence is in [0, 1] on every row (0 bad rows).",
          _confidence_range, threshold="0 bad rows"),
    Check("recommendation_in_enum",
          "recommendation is one of OVER, UNDER, PASS on every row (0 bad rows).",
          _recommendation_enum, threshold="0 bad rows"),
    Check("line_value_positive", "line_value > 0 wherever a line is present (0 bad rows).",
          _line_positive, threshold="0 bad rows"),
]

PERFORMANCE_CHECKS = [
    Check("accuracy_drift",
          f"Warns when, per system, the rolling {ROLLING_DAYS}-day MAE is more than "
          f"{MAX_MAE_INCREASE:.0%} above the previous {BASELINE_DAYS} days' MAE, or the rolling "
          f"hit rate is more than {MAX_HIT_RATE_DROP * 100:.0f} points below it (needs "
          f">= {MIN_BASELINE_ROWS} baseline and {MIN_ROLLING_ROWS} rolling graded rows).",
          _drift, warn=True,
          threshold=f"rolling MAE <= baseline x {1 + MAX_MAE_INCREASE:.2f}; hit rate >= "
          f"baseline - {MAX_HIT_RATE_DROP:.2f}"),
]
