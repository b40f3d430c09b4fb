"""Phase 6: every prediction graded against the box score the morning after."""

from collections.abc import Iterator

import pandas as pd
from dagster import AssetExecutionContext, MetadataValue

from nba_pipeline.defs.grading.checks import (
    ACCURACY_CHECKS,
    DRIFT_LOOKBACK_DAYS,
    PERFORMANCE_CHECKS,
)
from nba_pipeline.lib.warehouse_asset import (
    checked_output,
    history,
    in_window,
    same_day,
    table_frame,
    warehouse_asset,
)
from nba_pipeline.ml import scoring, systems
from nba_pipeline.tables import ACCURACY, DAILY_PERFORMANCE, PGS, PREDICTIONS

# Prediction columns `systems.grade` carries through; the accuracy table does not keep them.
ACCURACY_WORKING = ("player_name", "team_abbr", "opponent_abbr", "edge", "confidence",
                    "model_version", "feature_version", "created_at", "is_active",
                    "over_price", "under_price")


@warehouse_asset(
    ACCURACY,
    ins=same_day(player_prop_predictions=PREDICTIONS, player_game_summary=PGS),
    checks=ACCURACY_CHECKS,
)
def prediction_accuracy(context: AssetExecutionContext, player_prop_predictions: pd.DataFrame,
                        player_game_summary: pd.DataFrame) -> Iterator:
    graded = scoring.add_bets(systems.grade(player_prop_predictions, player_game_summary))
    frame = table_frame(graded, ACCURACY, working=ACCURACY_WORKING)
    yield from checked_output(context, ACCURACY, ACCURACY_CHECKS, frame, {
        "graded": len(frame), "hits": int(frame["is_hit"].fillna(False).sum()),
        "bets": int(frame["profit"].notna().sum()) if len(frame) else 0,
        "profit": round(float(frame["profit"].sum()), 3) if len(frame) else 0.0})


# The input reaches back DRIFT_LOOKBACK_DAYS so the drift check can compare against history.
@warehouse_asset(DAILY_PERFORMANCE,
                 ins={"prediction_accuracy": history(ACCURACY, DRIFT_LOOKBACK_DAYS,
                                                     through_game_date=True)},
                 checks=PERFORMANCE_CHECKS)
def system_daily_performance(context: AssetExecutionContext,
                             prediction_accuracy: pd.DataFrame) -> Iterator:
    start, end = context.partition_time_window.start, context.partition_time_window.end
    window = in_window(prediction_accuracy, pd.Timestamp(start.date()), pd.Timestamp(end.date()))
    perf = systems.daily_performance(window)
    if len(perf):
        keys = ["game_date", "system_id"]
        perf = perf.merge(scoring.daily_probability(window).assign(
            game_date=lambda f: f["game_date"].astype(perf["game_date"].dtype)), on=keys,
            how="left")
    frame = table_frame(perf, DAILY_PERFORMANCE)
    summary = (frame.groupby("system_id")[["mae", "brier", "market_brier"]].mean().round(3)
               .reset_index() if len(frame) else frame)
    metadata = {"days": int(frame["game_date"].nunique()) if len(frame) else 0,
                "mae_by_system": MetadataValue.md(
                    summary.to_markdown(index=False) if len(summary) else "")}
    yield from checked_output(context, DAILY_PERFORMANCE, PERFORMANCE_CHECKS, frame, metadata,
                              {"prediction_accuracy": prediction_accuracy})


grading_assets = [prediction_accuracy, system_daily_performance]
