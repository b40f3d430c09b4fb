"""Checks on the feature store: shape, completeness and point-in-time correctness."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from nba_pipeline.checks.framework import Check, Outcome, duplicate_keys, sample
from nba_pipeline.features.feature_store import FEATURE_VERSION, FEATURES


def _point_in_time(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    """No row may use a source game on or after its own game date."""
    if frame.empty:
        return Outcome(True, {"leaking_rows": 0})
    leaking = frame[pd.to_datetime(frame["source_max_game_date"])
                    >= pd.to_datetime(frame["game_date"])]
    return Outcome(len(leaking) == 0, {"leaking_rows": len(leaking), "sample": sample(
        leaking, ["game_date", "player_lookup", "source_max_game_date"]) if len(leaking) else []})


def _version(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    if frame.empty:
        return Outcome(True, {"expected_version": FEATURE_VERSION})
    bad = frame[(frame["feature_version"] != FEATURE_VERSION)
                | (frame["feature_count"] != len(FEATURES))]
    return Outcome(len(bad) == 0, {"expected_version": FEATURE_VERSION,
                                   "expected_count": len(FEATURES), "bad_rows": len(bad)})


FEATURE_STORE_CHECKS = [
    Check("point_in_time",
          "Every feature for game date D comes from games strictly before D.",
          _point_in_time, blocking=True),
    Check("unique_feature_row", "One row per (game_date, player_lookup).",
          duplicate_keys(["game_date", "player_lookup"]), blocking=True),
    Check("feature_version_and_count",
          f"feature_version = {FEATURE_VERSION} and feature_count = {len(FEATURES)} on every row.",
          _version),
]
