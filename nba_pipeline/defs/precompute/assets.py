"""Phase 4: point-in-time features, one row per expected player per game date."""

from collections.abc import Iterator

import pandas as pd
from dagster import AssetExecutionContext, AssetIn

from nba_pipeline.defs.precompute.checks import FEATURE_STORE_CHECKS
from nba_pipeline.features import feature_store
from nba_pipeline.features.feature_store import FEATURE_VERSION, build_feature_rows
from nba_pipeline.features.feature_store import FEATURES as FEATURE_NAMES
from nba_pipeline.lib.warehouse_asset import (
    checked_output,
    history,
    same_day,
    table_frame,
    table_key,
    warehouse_asset,
)
from nba_pipeline.tables import (
    CONTEXT,
    FEATURES,
    GAME_LINES,
    INJURY_REPORT,
    PGS,
    TEAM_DEFENSE,
    TEAM_OFFENSE,
)

# Exactly the windows the feature code counts games in (so a day and a range pass agree).
PLAYER_HISTORY_DAYS = feature_store.PLAYER_HISTORY_DAYS
TEAM_HISTORY_DAYS = feature_store.TEAM_HISTORY_DAYS
# Context columns the feature rows carry through from upcoming_player_game_context.
FEATURE_WORKING = ("tipoff_utc", "has_line", "line_books", "last_game_date")


@warehouse_asset(
    FEATURES,
    ins={
        "upcoming_player_game_context": AssetIn(table_key(CONTEXT)),
        "player_history": history(PGS, PLAYER_HISTORY_DAYS),
        "team_offense": history(TEAM_OFFENSE, TEAM_HISTORY_DAYS),
        "team_defense": history(TEAM_DEFENSE, TEAM_HISTORY_DAYS),
        # The day's closing lines (pre-game by definition). Not a gating same-day input
        # (tables.py): a day without lines gets NaN line features, and the rows are rebuilt
        # when the lines land.
        # Pre-game injury reports (only those published before tip-off are read): their Out
        # players are the absent rotation teammates. Not gating either.
        **same_day(game_lines=GAME_LINES, injury_report=INJURY_REPORT),
    },
    checks=FEATURE_STORE_CHECKS,
)
def ml_feature_store_v2(context: AssetExecutionContext,
                        upcoming_player_game_context: pd.DataFrame,
                        player_history: pd.DataFrame, team_offense: pd.DataFrame,
                        team_defense: pd.DataFrame, game_lines: pd.DataFrame,
                        injury_report: pd.DataFrame) -> Iterator:
    rows = build_feature_rows(upcoming_player_game_context, player_history, team_offense,
                              team_defense, created_at=pd.Timestamp.now(tz="UTC"),
                              game_lines=game_lines, injury_report=injury_report)
    frame = table_frame(rows, FEATURES, working=FEATURE_WORKING)
    yield from checked_output(context, FEATURES, FEATURE_STORE_CHECKS, frame, {
        "rows": len(frame), "feature_version": FEATURE_VERSION,
        "feature_count": len(FEATURE_NAMES),
        "mean_completeness": float(frame["completeness"].mean()) if len(frame) else 0.0,
        "rows_with_game_line": int(frame["implied_team_points"].notna().sum()),
    })


feature_assets = [ml_feature_store_v2]
