"""Prediction systems, recommendations and grading: plain pandas, shared by assets and reports."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

SYSTEMS = ("rolling_average", "lightgbm", "ensemble")
BASELINE_VERSION = "rolling-average-l10"
EDGE_THRESHOLD = 1.5
DEFAULT_SIGMA = 6.0
# The a-priori blend (chosen before any graded history): it serves until ml/blending.py has
# enough graded rows before a week's cutoff to learn the week's weights.
ENSEMBLE_LINE_WEIGHT = 0.55
ENSEMBLE_BASELINE_WEIGHT = 0.15
# A player with no game in the feature window (a rookie) has no history for any system to read.
# His prior is the line: the books price his expected role (minutes, shots), which nothing in
# our data knows before his first game (leaguegamelog has no positions, no projected minutes).
# Without a line (never for a cold-start row, which comes from a line): the mean points of a
# player's first game in the 2022-23..2023-24 box scores (213 players; median 2).
PRIOR_VERSION = "prior-line"
NO_LINE_PRIOR_POINTS = 3.3


def rolling_average(features: pd.DataFrame) -> np.ndarray:
    """The honest baseline: last-10 average, falling back to season then previous season."""
    return (features["pts_avg_last10"].fillna(features["pts_avg_season"])
            .fillna(features["pts_avg_prev_season"]).fillna(0.0).to_numpy())


def ensemble(lgbm: np.ndarray, baseline: np.ndarray, line: pd.Series,
             line_weight: float = ENSEMBLE_LINE_WEIGHT,
             baseline_weight: float = ENSEMBLE_BASELINE_WEIGHT) -> np.ndarray:
    """Blend the model with the market line where one exists (known before tip-off), else with
    the rolling average; the weights serving a week are learned before it (ml/blending.py)."""
    blended = np.where(line.notna(), line_weight * line.fillna(0) + (1 - line_weight) * lgbm,
                       (1 - baseline_weight) * lgbm + baseline_weight * baseline)
    return np.asarray(blended, dtype=float)


def recommend(predicted: np.ndarray, line: pd.Series, sigma: float,
              threshold: float = EDGE_THRESHOLD) -> pd.DataFrame:
    """Edge, OVER/UNDER/PASS and a confidence in [0, 1]: P(the recommended side wins)."""
    line_values = line.to_numpy(dtype=float)
    edge = predicted - line_values
    p_over = 1.0 - norm.cdf(line_values, loc=predicted, scale=max(sigma, 1e-6))
    rec = np.where(np.isnan(edge), "PASS",
                   np.where(edge >= threshold, "OVER", np.where(edge <= -threshold, "UNDER",
                                                               "PASS")))
    confidence = np.where(np.isnan(p_over), 0.5, np.maximum(p_over, 1.0 - p_over))
    return pd.DataFrame({"edge": edge, "recommendation": rec,
                         "confidence": np.clip(confidence, 0.0, 1.0)})


def grade(predictions: pd.DataFrame, actuals: pd.DataFrame) -> pd.DataFrame:
    """Active predictions joined to actual points: error, actual side, hit (None on PASS/push).

    Joined on the game too: on (date, player) alone, a second box-score game for a player on
    the same date (a game the schedule does not list, a replayed or mislabelled feed) matched
    every prediction twice and each was graded twice.
    """
    active = predictions[predictions["is_active"].astype(bool)]
    act = actuals[["game_date", "game_id", "player_lookup", "points"]].rename(
        columns={"points": "actual_points"})
    graded = active.merge(act, on=["game_date", "game_id", "player_lookup"], how="inner")
    graded["signed_error"] = graded["predicted_points"] - graded["actual_points"]
    graded["absolute_error"] = graded["signed_error"].abs()
    diff = graded["actual_points"] - graded["line_value"]
    graded["actual_over_under"] = np.select([diff > 0, diff < 0, diff == 0],
                                            ["OVER", "UNDER", "PUSH"], default=None)
    graded.loc[graded["line_value"].isna(), "actual_over_under"] = None
    picked = graded["recommendation"].isin(["OVER", "UNDER"]) & graded["actual_over_under"].isin(
        ["OVER", "UNDER"])
    graded["is_hit"] = pd.Series(
        np.where(picked, graded["recommendation"] == graded["actual_over_under"], pd.NA),
        index=graded.index, dtype="boolean")
    return graded


def daily_performance(graded: pd.DataFrame) -> pd.DataFrame:
    if graded.empty:
        return pd.DataFrame()
    g = graded.assign(_pick=graded["is_hit"].notna(), _hit=graded["is_hit"].fillna(False),
                      _pass=graded["recommendation"] == "PASS")
    out = g.groupby(["game_date", "system_id"], as_index=False).agg(
        predictions=("player_lookup", "size"), mae=("absolute_error", "mean"),
        bias=("signed_error", "mean"), picks=("_pick", "sum"), hits=("_hit", "sum"),
        pass_count=("_pass", "sum"))
    out["hit_rate"] = np.where(out["picks"] > 0, out["hits"] / out["picks"].clip(lower=1), np.nan)
    return out


def predict_systems(day: pd.DataFrame, lgbm: np.ndarray, model_version: str, sigma: float,
                    feature_version: str, created_at: pd.Timestamp,
                    line_weight: float = ENSEMBLE_LINE_WEIGHT,
                    baseline_weight: float = ENSEMBLE_BASELINE_WEIGHT) -> pd.DataFrame:
    """One row per feature row and system: prediction, edge, recommendation, confidence.

    `lgbm` holds the LightGBM predictions for `day`'s rows (from the model serving that date).
    A row without history (`history_games` 0) gets the prior in every system (PRIOR_VERSION);
    a returning or moved player is predicted from his older history like anyone else.
    """
    baseline = rolling_average(day)
    history = (day["history_games"] if "history_games" in day else pd.Series(
        1, index=day.index)).fillna(0).to_numpy()
    cold_start = day["cold_start"] if "cold_start" in day else pd.Series(None, index=day.index)
    no_history = history == 0
    prior = day["points_line"].fillna(NO_LINE_PRIOR_POINTS).to_numpy(dtype=float)
    by_system = {
        "rolling_average": (baseline, BASELINE_VERSION),
        "lightgbm": (lgbm, model_version),
        "ensemble": (ensemble(lgbm, baseline, day["points_line"], line_weight,
                              baseline_weight), f"ensemble-{model_version}"),
    }
    frames = []
    for system_id, (predicted, version) in by_system.items():
        predicted = np.where(no_history, prior, np.asarray(predicted, dtype=float))
        rec = recommend(predicted, day["points_line"], sigma)
        frames.append(pd.DataFrame({
            "game_date": day["game_date"].to_numpy(), "game_id": day["game_id"].to_numpy(),
            "player_lookup": day["player_lookup"].to_numpy(),
            "player_name": day["player_name"].to_numpy(), "team_abbr": day["team_abbr"].to_numpy(),
            "opponent_abbr": day["opponent_abbr"].to_numpy(), "system_id": system_id,
            "predicted_points": np.round(predicted, 2),
            "line_value": day["points_line"].to_numpy(dtype=float),
            "edge": rec["edge"].round(2).to_numpy(), "recommendation": rec["recommendation"],
            "confidence": rec["confidence"].round(4).to_numpy(),
            "model_version": np.where(no_history, PRIOR_VERSION, version),
            "feature_version": feature_version, "cold_start": cold_start.to_numpy(dtype=object),
            "history_games": history.astype("int64"), "created_at": created_at,
            "is_active": True,
        }))
    return pd.concat(frames, ignore_index=True)
