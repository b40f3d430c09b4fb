"""Checks on the predictions each system publishes."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from nba_pipeline.constants import MAX_LINE, MIN_LINE
from nba_pipeline.lib.checks import Check, Outcome, out_of_range, sample
from nba_pipeline.ml.systems import rolling_average

RECOMMENDATIONS = {"OVER", "UNDER", "PASS"}
COVERAGE_SLO = 0.95
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

    `prediction_coverage` measures players on the feature rows, so a day that lost all of them
    (no context, no features) has nothing to measure and passes; the raw lines and schedule
    still say there was a slate to predict.
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
