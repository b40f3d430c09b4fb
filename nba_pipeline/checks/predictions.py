"""Checks on predictions."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from nba_pipeline.checks.framework import Check, Outcome, sample

RECOMMENDATIONS = {"OVER", "UNDER", "PASS"}


def _one_active(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    if frame.empty:
        return Outcome(True, {"duplicate_active": 0})
    keys = ["game_id", "player_lookup", "system_id"]
    active = frame[frame["is_active"].astype(bool)]
    dup = active[active.duplicated(keys, keep=False)]
    return Outcome(len(dup) == 0, {"duplicate_active": len(dup), "sample": sample(dup, keys)})


def _confidence_range(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    if frame.empty:
        return Outcome(True, {"bad_rows": 0})
    bad = frame[~frame["confidence"].between(0, 1) | ~frame["recommendation"].isin(
        RECOMMENDATIONS)]
    return Outcome(len(bad) == 0, {"bad_rows": len(bad), "sample": sample(
        bad, ["player_lookup", "system_id", "confidence", "recommendation"])})


PREDICTION_CHECKS = [
    Check("one_active_prediction",
          "Exactly one active row per (game_id, player_lookup, system_id).", _one_active,
          blocking=True),
    Check("confidence_and_recommendation",
          "confidence in [0, 1] and recommendation in OVER/UNDER/PASS.", _confidence_range),
]
