"""Checks on the parsed raw tables."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from nba_pipeline.checks.framework import Check, Outcome, duplicate_keys, sample

STATS = ["points", "fgm", "fga", "fg3m", "fg3a", "ftm", "fta", "oreb", "dreb", "reb", "ast",
         "stl", "blk", "tov", "pf"]


def _points_arithmetic(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    if frame.empty:
        return Outcome(True, {"bad_rows": 0})
    expected = 2 * frame["fgm"] + frame["fg3m"] + frame["ftm"]
    bad = frame[expected != frame["points"]]
    return Outcome(len(bad) == 0, {
        "bad_rows": len(bad),
        "sample": sample(bad, ["game_date", "game_id", "player_name", "points", "fgm", "fg3m",
                               "ftm"]) if len(bad) else []})


def _no_negative_stats(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    if frame.empty:
        return Outcome(True, {"bad_rows": 0})
    bad = frame[(frame[STATS] < 0).any(axis=1)]
    return Outcome(len(bad) == 0, {"bad_rows": len(bad), "sample": sample(
        bad, ["game_date", "game_id", "player_name", *STATS]) if len(bad) else []})


def _games_complete(frame: pd.DataFrame, inputs: Mapping[str, pd.DataFrame]) -> Outcome:
    """Every final game in the schedule has box-score rows for both teams."""
    schedule = inputs.get("schedule", pd.DataFrame())
    if schedule.empty:
        return Outcome(True, {"final_games": 0, "missing_team_games": 0})
    final = schedule[schedule["game_status"] == 3]
    expected = pd.concat([
        final[["game_date", "game_id", "home_team_abbr"]].rename(
            columns={"home_team_abbr": "team_abbr"}),
        final[["game_date", "game_id", "away_team_abbr"]].rename(
            columns={"away_team_abbr": "team_abbr"}),
    ])
    have = frame[["game_id", "team_abbr"]].drop_duplicates() if len(frame) else pd.DataFrame(
        columns=["game_id", "team_abbr"])
    merged = expected.merge(have, on=["game_id", "team_abbr"], how="left", indicator=True)
    missing = merged[merged["_merge"] == "left_only"]
    return Outcome(len(missing) == 0, {
        "final_games": len(final), "missing_team_games": len(missing),
        "missing": sample(missing, ["game_date", "game_id", "team_abbr"], 20)})


BOXSCORE_CHECKS = [
    Check("no_duplicate_player_games",
          "Each (game_id, player_id) appears once; duplicates would double-count points.",
          duplicate_keys(["game_id", "player_id"]), blocking=True),
    Check("games_complete_vs_schedule",
          "Every final game in nba_raw.schedule has box-score rows for both teams.",
          _games_complete, blocking=True),
    Check("points_arithmetic", "points = 2*FGM + FG3M + FTM on every row.", _points_arithmetic),
    Check("no_negative_stats", "No counting stat is negative.", _no_negative_stats),
]

def _primary_schedule_source(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    """Warn when games came from a fallback source (ESPN, Ball Don't Lie) instead of nba.com."""
    if frame.empty:
        return Outcome(True, {"fallback_games": 0, "sources": []})
    fallback = frame[frame["source"] != "nba_com"]
    return Outcome(len(fallback) == 0, {
        "fallback_games": len(fallback),
        "sources": sorted(frame["source"].astype(str).unique()),
        "fallback_days": sorted({str(d) for d in fallback["game_date"]}),
        "sample": sample(fallback, ["game_date", "game_id", "source", "landing_key"], 10)})


SCHEDULE_CHECKS = [
    Check("unique_game_id", "Each game_id appears once per schedule.",
          duplicate_keys(["game_id"]), blocking=True),
    Check("schedule_primary_source",
          "Every game came from nba.com; a fallback source (ESPN, Ball Don't Lie) only warns.",
          _primary_schedule_source, warn=True),
]

PROP_LINE_CHECKS = [
    Check("unique_line_key",
          "One row per (event, book, player, line): repeated snapshots must not stack.",
          duplicate_keys(["event_id", "bookmaker", "player_lookup", "line_value"])),
]
