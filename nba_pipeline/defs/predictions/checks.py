"""Checks on the predictions each system publishes."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from nba_pipeline.constants import MAX_LINE, MIN_LINE
from nba_pipeline.lib.checks import Check, Outcome, out_of_range, sample
from nba_pipeline.ml.coverage import UNEXPLAINED
from nba_pipeline.ml.probabilities import MIN_EV
from nba_pipeline.ml.systems import rolling_average

RECOMMENDATIONS = {"OVER", "UNDER", "PASS"}
COVERAGE_SLO = 0.99
# Predicted points are an expectation, not a game: 80 is beyond any player's mean. Against the
# player's own history (last-10 average, else season, else last season: the rolling_average
# system), a prediction more than MAX_DEVIATION points away is a broken input (a line of 999.5
# pulled the ensemble to 559.6); on the real test days the largest gap is under 12 points.
MAX_PREDICTED_POINTS = 80.0
MAX_DEVIATION = 25.0


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


PROB_KEYS = ["game_date", "game_id", "player_lookup", "system_id", "line_value"]


def _probabilities(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    """p_over and market_p_over in [0, 1], and p_over present wherever a line is."""
    if frame.empty:
        return Outcome(True, {"bad_rows": 0})
    ranged = out_of_range(frame, {"p_over": (0, 1), "market_p_over": (0, 1)}, PROB_KEYS)
    missing = frame[frame["line_value"].notna() & frame["p_over"].isna()]
    return Outcome(ranged.passed and missing.empty, {
        **ranged.metadata, "lined_rows_without_p_over": len(missing),
        "missing_sample": sample(missing, PROB_KEYS)})


def _ev_consistent(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    """ev is finite and >= -1 wherever both prices and p_over exist; a pick has ev >= MIN_EV.

    A pick without a price, or an EV that cannot lose more than the stake, is a pricing bug
    (a price of 0, a lost sign): publishing it would tell a user to bet at a price nobody offers.
    """
    if frame.empty:
        return Outcome(True, {"bad_rows": 0})
    priced = frame["over_price"].notna() & frame["under_price"].notna() & frame["p_over"].notna()
    ev = frame["ev"].astype(float)
    unpriced_ev = ~priced & ev.notna()
    bad_ev = priced & ~(np.isfinite(ev) & (ev >= -1.0))
    picks = frame["recommendation"].isin(["OVER", "UNDER"])
    bad_pick = picks & ~(ev.fillna(-np.inf) >= MIN_EV)
    bad = frame[bad_ev | bad_pick | unpriced_ev]
    return Outcome(len(bad) == 0, {
        "priced_rows": int(priced.sum()), "bad_ev": int(bad_ev.sum()),
        "picks_below_min_ev_or_unpriced": int(bad_pick.sum()),
        "ev_without_price": int(unpriced_ev.sum()), "min_ev": MIN_EV,
        "sample": sample(bad, [*PROB_KEYS, "recommendation", "over_price", "under_price", "p_over",
                               "ev"])})


def _recommendation_enum(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    if frame.empty:
        return Outcome(True, {"bad_rows": 0})
    bad = frame[~frame["recommendation"].isin(RECOMMENDATIONS)]
    return Outcome(len(bad) == 0, {
        "bad_rows": len(bad), "allowed": sorted(RECOMMENDATIONS),
        "bad_values": sorted(map(str, bad["recommendation"].unique()))[:20],
        "sample": sample(bad, ["game_date", "player_lookup", "system_id", "recommendation"])})


def _line_range(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    return out_of_range(frame, {"line_value": (MIN_LINE, MAX_LINE)},
                        ["game_date", "game_id", "player_lookup", "system_id"])


def _predicted_plausible(frame: pd.DataFrame, inputs: Mapping[str, pd.DataFrame]) -> Outcome:
    """predicted_points in 0..80 and within MAX_DEVIATION of the player's own average.

    The history is the feature row's (the same fallback as the rolling_average system); a
    player without any history is held to the 0..80 range only.
    """
    if frame.empty:
        return Outcome(True, {"bad_rows": 0})
    features = inputs.get("features", pd.DataFrame())
    history = pd.DataFrame(columns=["game_date", "player_lookup", "history_points"])
    if len(features):
        history = features[["game_date", "player_lookup"]].assign(
            history_points=rolling_average(features),
            _known=features[["pts_avg_last10", "pts_avg_season", "pts_avg_prev_season"]]
            .notna().any(axis=1).to_numpy())
        history = history[history["_known"]].drop(columns="_known").drop_duplicates(
            ["game_date", "player_lookup"])
        history["game_date"] = pd.to_datetime(history["game_date"])
    rows = frame.assign(game_date=pd.to_datetime(frame["game_date"])).merge(
        history, on=["game_date", "player_lookup"], how="left")
    rows["deviation"] = (rows["predicted_points"] - rows["history_points"]).abs().round(2)
    ranged = out_of_range(rows, {"predicted_points": (0, MAX_PREDICTED_POINTS),
                                 "deviation": (0, MAX_DEVIATION)},
                          ["game_date", "game_id", "player_lookup", "system_id",
                           "history_points", "line_value"])
    return Outcome(ranged.passed, {**ranged.metadata,
                                   "largest_deviation": float(rows["deviation"].max())
                                   if rows["deviation"].notna().any() else None})


def _lined_days_predicted(frame: pd.DataFrame, inputs: Mapping[str, pd.DataFrame]) -> Outcome:
    """A date with points lines and scheduled games has active predictions with a line.

    Checked on the predictions themselves, before publishing: `prediction_coverage` (on the
    gaps table) measures per player and blocks nothing downstream of the predictions; here a
    day that lost every row (no context, no features) stops the JSON, since the raw lines and
    schedule still say there was a slate to predict.
    """
    lines = inputs.get("player_prop_lines", pd.DataFrame())
    schedule = inputs.get("schedule", pd.DataFrame())
    if lines.empty or schedule.empty:
        return Outcome(True, {"lined_scheduled_days": 0, "days_without_predictions": []})
    lined = lines.groupby(pd.to_datetime(lines["game_date"]))["player_lookup"].nunique()
    games = schedule.groupby(pd.to_datetime(schedule["game_date"]))["game_id"].nunique()
    active = _active(frame) if len(frame) else frame
    with_line = active[active["line_value"].notna()] if len(active) else active
    predicted = (with_line.groupby(pd.to_datetime(with_line["game_date"]))["player_lookup"]
                 .nunique() if len(with_line) else pd.Series(dtype="int64"))
    days = [d for d in lined.index if d in games.index]
    missing = [{"game_date": d.date().isoformat(), "players_with_line": int(lined[d]),
                "scheduled_games": int(games[d]), "predicted_players": int(predicted.get(d, 0))}
               for d in days if predicted.get(d, 0) == 0]
    return Outcome(len(missing) == 0, {"lined_scheduled_days": len(days),
                                       "days_without_predictions": missing[:30]})


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
    Check("probabilities_in_unit_interval",
          "p_over and market_p_over are in [0, 1] where present, and every row with a line has "
          "p_over (0 bad rows).", _probabilities, blocking=True, threshold="0 bad rows"),
    Check("ev_consistent_with_prices",
          f"ev is finite and >= -1 on every row with both prices and p_over, NULL without a "
          f"price, and every OVER/UNDER has ev >= {MIN_EV:g} (0 bad rows).",
          _ev_consistent, blocking=True, threshold="0 bad rows"),
    Check("recommendation_in_enum",
          "recommendation is one of OVER, UNDER, PASS on every row (0 bad rows).",
          _recommendation_enum, threshold="0 bad rows"),
    Check("line_value_in_range",
          f"line_value in {MIN_LINE:g}..{MAX_LINE:g} wherever a line is present (0 bad rows); "
          "a pick against a 0 or 999.5 line would be published.",
          _line_range, blocking=True, threshold=f"0 lines outside {MIN_LINE:g}..{MAX_LINE:g}"),
    Check("predicted_points_plausible",
          f"predicted_points in 0..{MAX_PREDICTED_POINTS:g} and within {MAX_DEVIATION:g} "
          "points of the player's own average (last 10, else season, else last season) on "
          "every row (0 bad rows).",
          _predicted_plausible, blocking=True,
          threshold=f"0 rows outside 0..{MAX_PREDICTED_POINTS:g} or more than "
          f"{MAX_DEVIATION:g} points from the player's average"),
    Check("lined_days_have_predictions",
          "Every date with points lines and scheduled games has active predictions with a "
          "line (0 days without).", _lined_days_predicted, blocking=True,
          threshold="0 lined, scheduled days without predictions"),
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
