"""Phase 5: the points model, predictions per system, and grading against the box scores."""

import json
from collections.abc import Iterator

import lightgbm as lgb
import pandas as pd
from dagster import AssetExecutionContext, AssetIn, Failure, MetadataValue, Output

from nba_pipeline.assets.analytics import PGS
from nba_pipeline.assets.common import (
    in_window,
    partition_dates,
    table_frame,
    table_key,
    warehouse_asset,
    window_label,
)
from nba_pipeline.assets.features import FEATURE_STORE
from nba_pipeline.checks.framework import evaluate, specs
from nba_pipeline.checks.predictions import (
    DRIFT_LOOKBACK_DAYS,
    PERFORMANCE_CHECKS,
    PREDICTION_CHECKS,
)
from nba_pipeline.features.feature_store import FEATURE_VERSION
from nba_pipeline.ml import model as points_model_lib
from nba_pipeline.ml import systems
from nba_pipeline.partitions import history, history_through
from nba_pipeline.storage.landing import LandingStore

POINTS_MODEL = "nba_predictions.points_model"
PREDICTIONS = "nba_predictions.player_prop_predictions"
ACCURACY = "nba_predictions.prediction_accuracy"
DAILY_PERFORMANCE = "nba_predictions.system_daily_performance"
# A date's model trains through the Sunday before it: load its window plus that week.
TRAINING_HISTORY_DAYS = points_model_lib.TRAINING_WINDOW_DAYS + 7
MODEL_PREFIX = "models/points_model"
# Prediction columns `systems.grade` carries through; the accuracy table does not keep them.
ACCURACY_WORKING = ("player_name", "team_abbr", "opponent_abbr", "edge", "confidence",
                    "model_version", "feature_version", "created_at", "is_active")


def _artifact_keys(version: str) -> tuple[str, str]:
    return f"{MODEL_PREFIX}/{version}/model.txt", f"{MODEL_PREFIX}/{version}/info.json"


@warehouse_asset(
    POINTS_MODEL, group="predictions",
    ins={
        "training_features": AssetIn(table_key(FEATURE_STORE),
                                     partition_mapping=history(TRAINING_HISTORY_DAYS)),
        "training_outcomes": AssetIn(table_key(PGS),
                                     partition_mapping=history(TRAINING_HISTORY_DAYS)),
    },
)
def points_model(context: AssetExecutionContext, landing_store: LandingStore,
                 training_features: pd.DataFrame, training_outcomes: pd.DataFrame) -> Output:
    """Weekly retraining: each game date is served by the model trained through the prior Sunday.

    Artifacts live in the landing store; a week's model is trained once and reused by every date
    (and every re-run) of that week, so re-materializing is idempotent.
    """
    labelled = points_model_lib.labelled_rows(training_features, training_outcomes)
    rows, trained = [], []
    for game_date in partition_dates(context):
        cutoff = points_model_lib.training_cutoff(game_date)
        version = points_model_lib.model_version(cutoff)
        model_key, info_key = _artifact_keys(version)
        if not landing_store.exists(info_key):
            try:
                booster, info = points_model_lib.train(labelled, cutoff)
            except points_model_lib.NotEnoughHistoryError as exc:
                raise Failure(description=f"points_model for {game_date}: {exc}") from None
            landing_store.write_bytes(model_key, points_model_lib.dump(booster))
            landing_store.write_bytes(info_key, info.to_json().encode())
            trained.append(info)
        info = points_model_lib.ModelInfo.from_json(landing_store.read_bytes(info_key).decode())
        rows.append({"game_date": game_date, "model_version": info.model_version,
                     "feature_version": info.feature_version,
                     "trained_through": info.trained_through, "train_rows": info.train_rows,
                     "validation_rows": info.validation_rows,
                     "validation_mae": info.validation_mae, "artifact_key": model_key})
    frame = table_frame(pd.DataFrame(rows), POINTS_MODEL)
    return Output(frame, metadata={
        "models_trained": len(trained),
        "trained": MetadataValue.json([json.loads(i.to_json()) for i in trained]),
        "latest_version": rows[-1]["model_version"] if rows else "",
        # The serving model's feature version, training window and validation metrics.
        "latest_model": MetadataValue.json(json.loads(info.to_json()) if rows else {}),
    })


@warehouse_asset(
    PREDICTIONS, group="predictions",
    ins={
        "features": AssetIn(table_key(FEATURE_STORE)),
        "points_model": AssetIn(table_key(POINTS_MODEL)),
    },
    check_specs=specs(table_key(PREDICTIONS), PREDICTION_CHECKS),
)
def player_prop_predictions(context: AssetExecutionContext, landing_store: LandingStore,
                            features: pd.DataFrame, points_model: pd.DataFrame) -> Iterator:
    """Every expected player gets one active row per system; re-running a day replaces it."""
    created_at = pd.Timestamp.now(tz="UTC")
    out = []
    for model_row in points_model.itertuples(index=False):
        day = features[pd.to_datetime(features["game_date"]) == pd.Timestamp(model_row.game_date)]
        if day.empty:
            continue
        booster = points_model_lib.load(landing_store.read_bytes(model_row.artifact_key))
        info_key = _artifact_keys(model_row.model_version)[1]
        info = points_model_lib.ModelInfo.from_json(landing_store.read_bytes(info_key).decode())
        out.append(predict_day(day, booster, info, created_at))
    frame = table_frame(pd.concat(out, ignore_index=True) if out else pd.DataFrame(), PREDICTIONS)
    yield Output(frame, metadata={
        "predictions": len(frame),
        "with_line": int(frame["line_value"].notna().sum()),
        "picks": int(frame["recommendation"].isin(["OVER", "UNDER"]).sum()),
    })
    yield from evaluate(table_key(PREDICTIONS), PREDICTION_CHECKS, frame, window_label(context),
                        {"features": features})


def predict_day(day: pd.DataFrame, booster: lgb.Booster, info: points_model_lib.ModelInfo,
                created_at: pd.Timestamp) -> pd.DataFrame:
    """Every system's rows for one date, served by the week's model (ml/systems.py)."""
    return systems.predict_systems(day, points_model_lib.predict(booster, day),
                                   info.model_version, info.residual_std, FEATURE_VERSION,
                                   created_at)


@warehouse_asset(
    ACCURACY, group="grading",
    ins={"player_prop_predictions": AssetIn(table_key(PREDICTIONS)),
         "player_game_summary": AssetIn(table_key(PGS))},
)
def prediction_accuracy(context: AssetExecutionContext, player_prop_predictions: pd.DataFrame,
                        player_game_summary: pd.DataFrame) -> Output:
    graded = systems.grade(player_prop_predictions, player_game_summary)
    frame = table_frame(graded, ACCURACY, working=ACCURACY_WORKING)
    return Output(frame, metadata={"graded": len(frame),
                                   "hits": int(frame["is_hit"].fillna(False).sum())})


# The input reaches back DRIFT_LOOKBACK_DAYS so the drift check can compare against history.
@warehouse_asset(DAILY_PERFORMANCE, group="grading",
                 ins={"prediction_accuracy": AssetIn(
                     table_key(ACCURACY), partition_mapping=history_through(DRIFT_LOOKBACK_DAYS))},
                 check_specs=specs(table_key(DAILY_PERFORMANCE), PERFORMANCE_CHECKS))
def system_daily_performance(context: AssetExecutionContext,
                             prediction_accuracy: pd.DataFrame) -> Iterator:
    start, end = context.partition_time_window.start, context.partition_time_window.end
    perf = systems.daily_performance(in_window(prediction_accuracy, pd.Timestamp(start.date()),
                                               pd.Timestamp(end.date())))
    frame = table_frame(perf, DAILY_PERFORMANCE)
    summary = (frame.groupby("system_id")[["mae"]].mean().round(3).reset_index()
               if len(frame) else frame)
    yield Output(frame, metadata={"days": int(frame["game_date"].nunique()) if len(frame) else 0,
                                  "mae_by_system": MetadataValue.md(
                                      summary.to_markdown(index=False) if len(summary) else "")})
    yield from evaluate(table_key(DAILY_PERFORMANCE), PERFORMANCE_CHECKS, frame,
                        window_label(context), {"prediction_accuracy": prediction_accuracy})


prediction_assets = [points_model, player_prop_predictions, prediction_accuracy,
                     system_daily_performance]
