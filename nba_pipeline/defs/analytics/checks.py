"""Checks on the analytics tables."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from nba_pipeline.constants import TEAM_TOTAL_STATS
from nba_pipeline.domain.players import MATCH_COLUMNS, is_normalized
from nba_pipeline.lib.checks import Check, Outcome, sample, unique_rows

# Team totals that must equal the sum over the team's player rows.
SUMMED_STATS = list(TEAM_TOTAL_STATS)


def _lookups_normalized(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    if frame.empty:
        return Outcome(True, {"bad_lookups": 0})
    lookups = pd.Series(frame["player_lookup"].dropna().unique())
    bad = lookups[~lookups.map(is_normalized)]
    return Outcome(len(bad) == 0, {"bad_lookups": len(bad), "sample": list(bad.head(20))})


def _team_totals_match_players(frame: pd.DataFrame,
                               inputs: Mapping[str, pd.DataFrame]) -> Outcome:
    """Each team summary equals the sum of its player_game_summary rows, and none is missing."""
    players = inputs.get("player_game_summary", pd.DataFrame())
    if players.empty and frame.empty:
        return Outcome(True, {"team_games_compared": 0, "mismatched": 0})
    keys = ["game_id", "team_abbr"]
    sums = players.groupby(keys, as_index=False)[SUMMED_STATS].sum()
    merged = sums.merge(frame[[*keys, "game_date", *SUMMED_STATS]], on=keys, how="outer",
                        suffixes=("_players", "_team"), indicator=True)
    missing = merged[merged["_merge"] != "both"]
    both = merged[merged["_merge"] == "both"]
    diff_cols = [s for s in SUMMED_STATS
                 if (both[f"{s}_players"].fillna(0) != both[f"{s}_team"].fillna(0)).any()]
    bad = both[pd.concat([both[f"{s}_players"].fillna(0) != both[f"{s}_team"].fillna(0)
                          for s in SUMMED_STATS], axis=1).any(axis=1)] if len(both) else both
    return Outcome(len(bad) == 0 and len(missing) == 0, {
        "team_games_compared": len(both), "mismatched": len(bad),
        "mismatched_stats": diff_cols,
        "team_games_missing_on_one_side": len(missing),
        "sample": sample(bad, ["game_id", "team_abbr", "points_players", "points_team"], 20)
        + sample(missing.assign(side=missing["_merge"].astype(str)),
                 ["game_id", "team_abbr", "side"], 10)})


def _line_players_known(frame: pd.DataFrame, inputs: Mapping[str, pd.DataFrame]) -> Outcome:
    """Players the books priced who match no expected player with box-score history.

    A spelling no box score knows is matched by the asset among the expected players of its game
    (`line_name_matches`, domain/players.py `match_line_names`); every such auto-match is listed
    so a person can see it, and every name still unmatched fails the check with its reason. An
    alias in domain/players.py fixes a wrong or missing match.
    """
    lines = inputs.get("player_prop_lines", pd.DataFrame())
    matches = inputs.get("line_name_matches", pd.DataFrame(columns=MATCH_COLUMNS))
    if lines.empty:
        return Outcome(True, {"line_players": 0, "unknown_players": 0, "auto_matched": 0,
                              "auto_matched_names": [], "unknown_names": []})
    matches = matches.assign(game_date=pd.to_datetime(matches["game_date"]))
    priced = lines[["game_date", "player_lookup", "player_name"]].drop_duplicates(
        ["game_date", "player_lookup"]).assign(game_date=lambda f: pd.to_datetime(f["game_date"]))
    auto = matches[matches["rule"].notna()]
    to = auto.drop_duplicates(["game_date", "line_lookup"]).rename(
        columns={"line_lookup": "player_lookup", "player_lookup": "_to"})[
        ["game_date", "player_lookup", "_to"]]
    priced = priced.merge(to, on=["game_date", "player_lookup"], how="left")
    priced["_resolved"] = priced["_to"].fillna(priced["player_lookup"])
    # A `rookie` cold-start row is a name no box score knows: it still counts as unknown here.
    placed = frame[~frame["cold_start"].eq("rookie").fillna(False).astype(bool)] \
        if "cold_start" in frame else frame
    known = placed[["game_date", "player_lookup"]].assign(
        game_date=lambda f: pd.to_datetime(f["game_date"]), _known=True).rename(
        columns={"player_lookup": "_resolved"}).drop_duplicates()
    merged = priced.merge(known, on=["game_date", "_resolved"], how="left")
    unknown = merged[merged["_known"].isna()].sort_values(["game_date", "player_lookup"])
    why = matches[matches["rule"].isna()].drop_duplicates(["game_date", "line_lookup"])[
        ["game_date", "line_lookup", "reason"]].rename(columns={"line_lookup": "player_lookup"})
    unknown = unknown.merge(why, on=["game_date", "player_lookup"], how="left")
    unknown["reason"] = unknown["reason"].fillna(
        "known player not expected (no game for this team in the roster window)")
    return Outcome(len(unknown) == 0, {
        "line_players": len(priced), "unknown_players": len(unknown),
        "auto_matched": int(len(auto.drop_duplicates(["game_date", "line_lookup"]))),
        "auto_matched_names": _by_name(auto.rename(columns={"player_name": "nba_name"}),
                                       ["line_name", "nba_name", "team_abbr", "rule"]),
        "unknown_names": _by_name(unknown.rename(columns={"player_name": "line_name"}),
                                  ["line_name", "reason"]),
        "sample": sample(unknown, ["game_date", "player_lookup", "player_name", "reason"], 30)})


def _by_name(rows: pd.DataFrame, keys: list[str]) -> list[dict[str, str | int]]:
    """One entry per name (and match), with every date it occurred: short enough to list all."""
    if rows.empty:
        return []
    rows = rows.assign(_date=pd.to_datetime(rows["game_date"]).dt.strftime("%Y-%m-%d"))
    grouped = rows.fillna({k: "" for k in keys}).groupby(keys, sort=True)["_date"]
    return [{**dict(zip(keys, (str(k) for k in key), strict=True)),
             "games": int(len(dates)), "dates": ", ".join(sorted(set(dates)))}
            for key, dates in grouped]


PLAYER_GAME_SUMMARY_CHECKS = [
    unique_rows("unique_player_game", ["game_id", "player_lookup"]),
    Check("player_lookup_normalized",
          "Every player_lookup is already in normalized form (lower-case ASCII, no suffix); "
          "0 bad lookups.",
          _lookups_normalized, threshold="0 bad lookups"),
]

TEAM_SUMMARY_CHECKS = [
    unique_rows("unique_team_game", ["game_id", "team_abbr"]),
]

TEAM_OFFENSE_CHECKS = [
    *TEAM_SUMMARY_CHECKS,
    Check("team_totals_match_players",
          "Each team-game's totals (points, FGM, FGA, 3PM, 3PA, FTM, FTA, OREB, DREB, AST, TOV) "
          "equal the sum of its player_game_summary rows; 0 mismatched or unmatched team-games.",
          _team_totals_match_players, blocking=True, threshold="0 mismatched team-games"),
]

CONTEXT_CHECKS = [
    unique_rows("unique_context_row", ["game_date", "player_lookup"]),
    Check("line_players_known",
          "Warns when a player with a points line matches no expected player with recent "
          "box-score history, after a spelling no box score knows was matched to the one "
          "expected player of its game it fits (every auto-match listed); 0 unknown expected.",
          _line_players_known, warn=True, threshold="0 unknown players (warning)"),
]
