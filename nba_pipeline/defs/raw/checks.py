"""Checks on the parsed raw tables."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from nba_pipeline.constants import BOX_SCORE_STATS
from nba_pipeline.lib.checks import Check, Outcome, sample, unique_rows

MIN_PLAYERS_PER_TEAM = 5
MAX_PLAYERS_PER_TEAM = 20
STATS = list(BOX_SCORE_STATS)


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
    """Every final game the schedule *source* lists has box-score rows for both teams.

    `schedule_source` holds every game the landed schedule payloads list (not what the parser
    kept), so a game the schedule parse drops fails here twice over: it is missing from
    nba_raw.schedule (`dropped_from_schedule`) and, had its box scores been dropped with it,
    missing team-games. Without `schedule_source` the parsed schedule is the reference.
    """
    schedule = inputs.get("schedule", pd.DataFrame())
    source = inputs.get("schedule_source")
    listed = schedule
    dropped = pd.DataFrame(columns=["game_date", "game_id"])
    if source is not None and len(source):
        known = set(schedule["game_id"].astype(str)) if len(schedule) else set()
        dropped = source[~source["game_id"].astype(str).isin(known)]
        parsed = schedule.reindex(columns=source.columns) if len(schedule) else source.iloc[0:0]
        listed = pd.concat([source, parsed], ignore_index=True).drop_duplicates(
            "game_id", keep="first")
    if listed.empty:
        return Outcome(True, {"final_games": 0, "missing_team_games": 0,
                              "dropped_from_schedule": 0})
    expected = _final_sides(listed)[["game_date", "game_id", "team_abbr"]]
    have = frame[["game_id", "team_abbr"]].drop_duplicates() if len(frame) else pd.DataFrame(
        columns=["game_id", "team_abbr"])
    merged = expected.merge(have, on=["game_id", "team_abbr"], how="left", indicator=True)
    missing = merged[merged["_merge"] == "left_only"]
    return Outcome(len(missing) == 0 and len(dropped) == 0, {
        "final_games": len(expected) // 2, "missing_team_games": len(missing),
        "missing": sample(missing, ["game_date", "game_id", "team_abbr"], 20),
        "dropped_from_schedule": len(dropped),
        "dropped": sample(dropped, ["game_date", "game_id", "home_team_abbr", "away_team_abbr"],
                          20) if len(dropped) else []})


def _final_sides(schedule: pd.DataFrame) -> pd.DataFrame:
    """One row per (game, team) of the schedule's final games, with that team's final score."""
    final = schedule[schedule["game_status"] == 3]
    return pd.concat([
        final[["game_date", "game_id", "home_team_abbr", "home_score"]].rename(
            columns={"home_team_abbr": "team_abbr", "home_score": "final_score"}),
        final[["game_date", "game_id", "away_team_abbr", "away_score"]].rename(
            columns={"away_team_abbr": "team_abbr", "away_score": "final_score"}),
    ], ignore_index=True)


def _players_per_team(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    """A team-game with fewer than 5 or more than 20 player rows is a truncated or merged feed."""
    if frame.empty:
        return Outcome(True, {"team_games": 0, "out_of_range": 0})
    counts = frame.groupby(["game_date", "game_id", "team_abbr"], as_index=False).size()
    bad = counts[~counts["size"].between(MIN_PLAYERS_PER_TEAM, MAX_PLAYERS_PER_TEAM)]
    return Outcome(len(bad) == 0, {
        "team_games": len(counts), "out_of_range": len(bad),
        "min_players": int(counts["size"].min()), "max_players": int(counts["size"].max()),
        "sample": sample(bad.rename(columns={"size": "players"}),
                         ["game_date", "game_id", "team_abbr", "players"], 20)})


def _team_points_match(frame: pd.DataFrame, inputs: Mapping[str, pd.DataFrame]) -> Outcome:
    """Sum of player points per (game, team) equals that team's final score in the schedule."""
    schedule = inputs.get("schedule", pd.DataFrame())
    if schedule.empty or frame.empty:
        return Outcome(True, {"team_games_compared": 0, "mismatched": 0})
    sides = _final_sides(schedule)
    sums = frame.groupby(["game_id", "team_abbr"], as_index=False)["points"].sum()
    merged = sides.merge(sums, on=["game_id", "team_abbr"], how="inner")
    bad = merged[merged["points"] != merged["final_score"]].rename(
        columns={"points": "player_points_sum"})
    return Outcome(len(bad) == 0, {
        "team_games_compared": len(merged), "mismatched": len(bad),
        "sample": sample(bad, ["game_date", "game_id", "team_abbr", "player_points_sum",
                               "final_score"], 20)})


BOXSCORE_CHECKS = [
    unique_rows("no_duplicate_player_games", ["game_id", "player_id"],
                "Duplicates would double-count points downstream."),
    Check("games_complete_vs_schedule",
          "Every final game the landed schedule payloads list is in nba_raw.schedule and has "
          "box-score rows for both teams (0 dropped games, 0 missing team-games).",
          _games_complete, blocking=True,
          threshold="0 games dropped from the schedule, 0 missing team-games"),
    Check("players_per_team",
          f"Every team-game has {MIN_PLAYERS_PER_TEAM}..{MAX_PLAYERS_PER_TEAM} player rows.",
          _players_per_team, threshold=f"{MIN_PLAYERS_PER_TEAM} <= players <= "
          f"{MAX_PLAYERS_PER_TEAM} per team-game"),
    Check("team_points_match_schedule",
          "Player points summed per (game, team) equal the schedule's final score (0 "
          "mismatches); a gap means missing or extra player rows.",
          _team_points_match, blocking=True, threshold="0 mismatched team-games"),
    Check("points_arithmetic", "points = 2*FGM + FG3M + FTM on every row (0 bad rows).",
          _points_arithmetic, threshold="0 bad rows"),
    Check("no_negative_stats", "No counting stat is negative (0 bad rows).", _no_negative_stats,
          threshold="0 bad rows"),
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
    unique_rows("unique_game_id", ["game_id"]),
    Check("schedule_primary_source",
          "Every game came from nba.com; a fallback source (ESPN, Ball Don't Lie) only warns.",
          _primary_schedule_source, warn=True,
          threshold="0 games from a fallback source (warning)"),
]

PROP_LINE_CHECKS = [
    unique_rows("unique_line_key", ["event_id", "bookmaker", "player_lookup", "line_value"],
                "Repeated snapshots must not stack.", blocking=False),
]
