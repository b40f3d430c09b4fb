"""Phase 3: one clean row per player per game, team summaries, and each date's expected players."""

from collections.abc import Iterator

import pandas as pd
from dagster import AssetExecutionContext, AssetIn

from nba_pipeline.defs.analytics.checks import (
    CONTEXT_CHECKS,
    PLAYER_GAME_SUMMARY_CHECKS,
    TEAM_OFFENSE_CHECKS,
    TEAM_SUMMARY_CHECKS,
)
from nba_pipeline.domain import analytics
from nba_pipeline.lib.warehouse_asset import (
    checked_output,
    history,
    in_window,
    partition_window,
    same_day,
    table_frame,
    table_key,
    warehouse_asset,
)
from nba_pipeline.tables import (
    BOXSCORES,
    CONTEXT,
    PGS,
    PROP_LINES,
    SCHEDULE,
    TEAM_DEFENSE,
    TEAM_OFFENSE,
)

REST_LOOKBACK_DAYS = 30
ROSTER_LOOKBACK_DAYS = analytics.ROSTER_LOOKBACK_DAYS  # the domain filters to the same window
# Line players are looked up further back (returning from a long absence): the asset loads this.
LINE_LOOKBACK_DAYS = analytics.LINE_LOOKBACK_DAYS
# Box-score columns the domain passes through and its two-point intermediates; not in the table.
PGS_WORKING = ("team_id", "matchup", "wl", "pf", "plus_minus", "source", "landing_key",
               "fg2m", "fg2a")


@warehouse_asset(
    PGS,
    ins={
        "player_boxscores": history(BOXSCORES, REST_LOOKBACK_DAYS, through_game_date=True),
        "player_prop_lines": AssetIn(table_key(PROP_LINES)),
    },
    checks=PLAYER_GAME_SUMMARY_CHECKS,
)
def player_game_summary(context: AssetExecutionContext, player_boxscores: pd.DataFrame,
                        player_prop_lines: pd.DataFrame) -> Iterator:
    start, end = partition_window(context)
    frame = table_frame(
        analytics.player_game_summary(player_boxscores, player_prop_lines, start, end), PGS,
        working=PGS_WORKING)
    yield from checked_output(context, PGS, PLAYER_GAME_SUMMARY_CHECKS, frame, {
        "player_games": len(frame), "with_line": int(frame["points_line"].notna().sum())})


@warehouse_asset(TEAM_OFFENSE, ins=same_day(player_game_summary=PGS), checks=TEAM_OFFENSE_CHECKS)
def team_offense_game_summary(context: AssetExecutionContext,
                              player_game_summary: pd.DataFrame) -> Iterator:
    frame = table_frame(analytics.team_offense_summary(player_game_summary), TEAM_OFFENSE)
    yield from checked_output(context, TEAM_OFFENSE, TEAM_OFFENSE_CHECKS, frame,
                              {"team_games": len(frame)},
                              {"player_game_summary": player_game_summary})


@warehouse_asset(TEAM_DEFENSE, ins=same_day(team_offense_game_summary=TEAM_OFFENSE),
                 checks=TEAM_SUMMARY_CHECKS)
def team_defense_game_summary(context: AssetExecutionContext,
                              team_offense_game_summary: pd.DataFrame) -> Iterator:
    frame = table_frame(analytics.team_defense_summary(team_offense_game_summary), TEAM_DEFENSE)
    yield from checked_output(context, TEAM_DEFENSE, TEAM_SUMMARY_CHECKS, frame,
                              {"team_games": len(frame)})


@warehouse_asset(
    CONTEXT,
    ins={
        "schedule": AssetIn(table_key(SCHEDULE)),
        "recent_games": history(PGS, LINE_LOOKBACK_DAYS),
        "player_prop_lines": AssetIn(table_key(PROP_LINES)),
    },
    checks=CONTEXT_CHECKS,
)
def upcoming_player_game_context(context: AssetExecutionContext, schedule: pd.DataFrame,
                                 recent_games: pd.DataFrame,
                                 player_prop_lines: pd.DataFrame) -> Iterator:
    start, end = partition_window(context)
    frame, name_matches = analytics.context_with_line_names(
        in_window(schedule, start, end), recent_games, player_prop_lines)
    frame = table_frame(frame, CONTEXT)
    yield from checked_output(
        context, CONTEXT, CONTEXT_CHECKS, frame,
        {"expected_players": len(frame), "with_line": int(frame["has_line"].sum()),
         "cold_starts": frame["cold_start"].value_counts().to_dict()},
        {"player_prop_lines": player_prop_lines, "line_name_matches": name_matches})


analytics_assets = [player_game_summary, team_offense_game_summary, team_defense_game_summary,
                    upcoming_player_game_context]
