"""Checks on the predictions each system publishes."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from nba_pipeline.lib.checks import Check, Outcome, sample
from nba_pipeline.ml.coverage import UNEXPLAINED

RECOMMENDATIONS = {"OVER", "UNDER", "PASS"}
COVERAGE_SLO = 0.99


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
    """Measured against the lines, not the expected players: of the line player-games whose
    player then played (a box-score row), the share with a prediction from every system.

    `frame` is the gaps table; `line_coverage` (ml/coverage.py) has every line player-game.
    Before the games (no box scores yet) only the second rule can fail: a gap with no reason
    (`unexplained`: a context row but no prediction) is a bug and fails at any share.
    """
    cov = inputs.get("line_coverage", pd.DataFrame())
    if cov.empty:
        return Outcome(True, {"line_player_games": 0, "gaps": 0})
    cov = cov.assign(game_date=pd.to_datetime(cov["game_date"]).dt.date.astype(str),
                     _full=cov["reason"].isna())
    played = cov[cov["played"].eq(True).fillna(False).astype(bool)]
    per_day = played.groupby("game_date").agg(played=("_full", "size"), covered=("_full", "sum"))
    per_day["coverage"] = (per_day["covered"] / per_day["played"]).round(4)
    below = per_day[per_day["coverage"] < COVERAGE_SLO].reset_index()
    unexplained = cov[cov["reason"].eq(UNEXPLAINED).fillna(False).astype(bool)]
    misses = played[~played["_full"]]
    cols = ["game_date", "player_lookup", "player_name", "reason", "detail", "missing_systems"]
    cold = cov[cov["cold_start"].notna() & cov["_full"]]
    return Outcome(len(below) == 0 and len(unexplained) == 0, {
        "line_player_games": len(cov), "graded_line_player_games": len(played),
        "coverage_of_played": round(float(played["_full"].mean()), 4) if len(played) else None,
        "coverage_of_lines": round(float(cov["_full"].mean()), 4),
        "gaps": int((~cov["_full"]).sum()),
        "gaps_by_reason": {str(k): int(v) for k, v in
                           cov.loc[~cov["_full"], "reason"].value_counts().items()},
        "missed_players_who_played": len(misses), "unexplained": len(unexplained),
        "predicted_cold_starts": {str(k): int(v) for k, v in
                                  cold["cold_start"].value_counts().items()},
        "below_slo": below.to_dict("records")[:30],
        "misses": sample(pd.concat([unexplained, misses]).drop_duplicates(
            ["game_date", "player_lookup"]), cols, 50)})


def _unique_gap(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    if frame.empty:
        return Outcome(True, {"duplicate_rows": 0})
    keys = ["game_date", "player_lookup"]
    dup = frame[frame.duplicated(keys, keep=False)]
    return Outcome(len(dup) == 0, {"duplicate_rows": len(dup), "sample": sample(dup, keys)})


PREDICTION_CHECKS = [
    Check("one_active_prediction",
          "Exactly one active row per (game_id, player_lookup, system_id) (0 duplicates).",
          _one_active, blocking=True, threshold="0 duplicate active rows"),
    Check("confidence_in_unit_interval", "confidence is in [0, 1] on every row (0 bad rows).",
          _confidence_range, threshold="0 bad rows"),
    Check("recommendation_in_enum",
          "recommendation is one of OVER, UNDER, PASS on every row (0 bad rows).",
          _recommendation_enum, threshold="0 bad rows"),
    Check("line_value_positive", "line_value > 0 wherever a line is present (0 bad rows).",
          _line_positive, threshold="0 bad rows"),
]

# On nba_predictions.prediction_gaps: it is rebuilt once the box scores exist, so the coverage
# of the players who played is measured there (the predictions are written before the games).
GAP_CHECKS = [
    Check("unique_gap_row", "At most one gap row per (game_date, player_lookup) (0 duplicates).",
          _unique_gap, blocking=True, threshold="0 duplicate rows"),
    Check("prediction_coverage",
          f"Against the lines: on every game date, at least {COVERAGE_SLO:.0%} of the line "
          "player-games whose player played have a prediction from every system, and no line "
          "player-game lacks one without a reason (0 `unexplained`).",
          _coverage, blocking=True,
          threshold=f">= {COVERAGE_SLO:.0%} of played line player-games per day; 0 unexplained"),
]
