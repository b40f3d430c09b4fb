"""Checks on the feature store: shape, completeness and point-in-time correctness."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from nba_pipeline.features.feature_store import FEATURE_VERSION, FEATURES, REQUIRED_FEATURES
from nba_pipeline.lib.checks import Check, Outcome, sample, unique_rows

# A row is "complete enough" at this share of required features; this share of a day's rows must
# be. On real 2024 data every day has 100% of rows at >= 0.8 (the minimum seen is 0.82).
MIN_ROW_COMPLETENESS = 0.7
MIN_COMPLETE_ROW_SHARE = 0.9
# Largest NaN share allowed per required feature (pts_std_last10 is NaN after one game: ~11%),
# among the rows of players with at least ESTABLISHED_GAMES games this season: in a season's
# first days (checked per day since checks report per game day) nearly every windowed feature is
# legitimately NaN, and a broken feature shows up on established players all the same.
MAX_NAN_SHARE = 0.25
ESTABLISHED_GAMES = 5


def _point_in_time(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    """No row may use a source game on or after its own game date."""
    if frame.empty:
        return Outcome(True, {"leaking_rows": 0})
    leaking = frame[pd.to_datetime(frame["source_max_game_date"])
                    >= pd.to_datetime(frame["game_date"])]
    return Outcome(len(leaking) == 0, {"leaking_rows": len(leaking), "sample": sample(
        leaking, ["game_date", "player_lookup", "source_max_game_date"]) if len(leaking) else []})


def _version(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    missing = [f for f in FEATURES if f not in frame.columns]
    if frame.empty:
        return Outcome(not missing, {"expected_version": FEATURE_VERSION,
                                     "missing_feature_columns": missing})
    bad = frame[(frame["feature_version"] != FEATURE_VERSION)
                | (frame["feature_count"] != len(FEATURES))]
    return Outcome(len(bad) == 0 and not missing, {
        "expected_version": FEATURE_VERSION, "expected_count": len(FEATURES), "bad_rows": len(bad),
        "missing_feature_columns": missing,
        "sample": sample(bad, ["game_date", "player_lookup", "feature_version", "feature_count"])})


def _completeness(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    """Per game date, the share of rows with completeness >= MIN_ROW_COMPLETENESS."""
    if frame.empty:
        return Outcome(True, {"days": 0})
    ok = frame.assign(_ok=frame["completeness"] >= MIN_ROW_COMPLETENESS)
    by_day = ok.groupby(pd.to_datetime(ok["game_date"]).dt.date)["_ok"].mean()
    failing = by_day[by_day < MIN_COMPLETE_ROW_SHARE]
    worst = ok[~ok["_ok"]].sort_values("completeness")
    return Outcome(len(failing) == 0, {
        "days": len(by_day), "worst_day_share": round(float(by_day.min()), 4),
        "failing_days": {d.isoformat(): round(float(v), 4) for d, v in failing.items()},
        "incomplete_rows": int((~ok["_ok"]).sum()),
        "sample": sample(worst, ["game_date", "player_lookup", "completeness"])})


def _required_nans(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    """NaN share per required feature, among the rows of established players."""
    present = [f for f in REQUIRED_FEATURES if f in frame.columns]
    if frame.empty or not present:
        return Outcome(True, {"features_over_threshold": {}, "rows_checked": 0})
    established = frame[frame["games_played_season"].fillna(0) >= ESTABLISHED_GAMES]
    if established.empty:
        return Outcome(True, {"features_over_threshold": {}, "rows_checked": 0,
                              "rows_skipped_early_season": len(frame)})
    shares = established[present].isna().mean()
    over = shares[shares > MAX_NAN_SHARE].sort_values(ascending=False)
    return Outcome(len(over) == 0, {
        "rows_checked": len(established),
        "rows_skipped_early_season": len(frame) - len(established),
        "features_over_threshold": {k: round(float(v), 4) for k, v in over.items()},
        "highest_nan_share": {k: round(float(v), 4)
                              for k, v in shares.sort_values(ascending=False).head(5).items()}})


FEATURE_STORE_CHECKS = [
    Check("point_in_time",
          "Every feature for game date D comes from games strictly before D "
          "(source_max_game_date < game_date on every row).",
          _point_in_time, blocking=True, threshold="0 leaking rows"),
    unique_rows("unique_feature_row", ["game_date", "player_lookup"]),
    Check("feature_version_and_count",
          f"feature_version = {FEATURE_VERSION} and feature_count = {len(FEATURES)} on every row, "
          "and every feature column present.",
          _version, threshold=f"version {FEATURE_VERSION}, {len(FEATURES)} features, 0 bad rows"),
    Check("feature_completeness",
          f"On every game date at least {MIN_COMPLETE_ROW_SHARE:.0%} of rows have completeness "
          f">= {MIN_ROW_COMPLETENESS} (share of required features present).",
          _completeness, blocking=True,
          threshold=f">= {MIN_COMPLETE_ROW_SHARE:.0%} of rows per day with completeness >= "
          f"{MIN_ROW_COMPLETENESS}"),
    Check("required_features_not_nan",
          f"No required feature is NaN in more than {MAX_NAN_SHARE:.0%} of the rows of players "
          f"with {ESTABLISHED_GAMES}+ games this season.",
          _required_nans, threshold=f"NaN share <= {MAX_NAN_SHARE:.0%} per required feature"),
]
