"""Checks on the predictions each system publishes."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from nba_pipeline.lib.checks import Check, Outcome, sample

RECOMMENDATIONS = {"OVER", "UNDER", "PASS"}
COVERAGE_SLO = 0.95


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
