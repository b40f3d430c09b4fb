"""Phase 5: the weekly points model and every system's predictions."""

import json
from collections.abc import Iterator
from datetime import date

import lightgbm as lgb
import pandas as pd
from dagster import AssetExecutionContext, Failure, MetadataValue, Output

from nba_pipeline.defs.predictions.checks import GAP_CHECKS, PREDICTION_CHECKS
from nba_pipeline.domain.injuries import reported_out, schedule_tipoffs
from nba_pipeline.features.feature_store import FEATURE_VERSION
from nba_pipeline.lib.warehouse_asset import (
    checked_output,
    history,
    partition_dates,
    same_day,
    table_frame,
    warehouse_asset,
)
from nba_pipeline.ml import blending, coverage, probabilities, systems
from nba_pipeline.ml import model as points_model_lib
from nba_pipeline.storage.landing import LandingStore
from nba_pipeline.tables import (
    CONTEXT,
    FEATURES,
    INJURY_REPORT,
    PGS,
    POINTS_MODEL,
    PREDICTION_GAPS,
    PREDICTIONS,
    PROP_LINES,
    SCHEDULE,
)

# A date's model trains through the Sunday before it: load its window plus that week.
TRAINING_HISTORY_DAYS = points_model_lib.TRAINING_WINDOW_DAYS + 7
MODEL_PREFIX = "models/points_model"

def _artifact_keys(version: str) -> tuple[str, str]:
    return f"{MODEL_PREFIX}/{version}/model.txt", f"{MODEL_PREFIX}/{version}/info.json"


def _calibration_key(version: str) -> str:
    """Each system's out-of-sample residual distribution, fitted with the week's model."""
    return f"{MODEL_PREFIX}/{version}/calibration.json"


def _read_calibration(landing_store: LandingStore, version: str
                      ) -> probabilities.Calibration | None:
    """None for an artifact trained before calibrations existed (the normal fallback)."""
    key = _calibration_key(version)
    if not landing_store.exists(key):
        return None
    return probabilities.Calibration.from_json(landing_store.read_bytes(key).decode())


@warehouse_asset(
    POINTS_MODEL,
    ins={
        "training_features": history(FEATURES, TRAINING_HISTORY_DAYS),
        "training_outcomes": history(PGS, TRAINING_HISTORY_DAYS),
    },
)
def points_model(context: AssetExecutionContext, landing_store: LandingStore,
                 training_features: pd.DataFrame, training_outcomes: pd.DataFrame) -> Output:
    """Weekly retraining: each game date is served by the model trained through the prior Sunday.

    Artifacts live in the landing store; a week's model is trained once and reused by every date
    (and every re-run) of that week, so re-materializing is idempotent.
    """
    labelled = points_model_lib.labelled_rows(training_features, training_outcomes)
    served: dict[date, lgb.Booster | None] = {}

    def served_model(cutoff: date) -> lgb.Booster | None:
        """The stored model that served the week starting at `cutoff` (None if none was)."""
        if cutoff not in served:
            key = _artifact_keys(points_model_lib.model_version(cutoff))[0]
            served[cutoff] = (points_model_lib.load(landing_store.read_bytes(key))
                              if landing_store.exists(key) else None)
        return served[cutoff]

    rows, trained = [], []
    for game_date in partition_dates(context):
        cutoff = points_model_lib.training_cutoff(game_date)
        version = points_model_lib.model_version(cutoff)
        model_key, info_key = _artifact_keys(version)
        if not landing_store.exists(info_key):
            try:
                booster, info, validation = points_model_lib.train_with_validation(
                    labelled, cutoff)
            except points_model_lib.NotEnoughHistoryError as exc:
                raise Failure(description=f"points_model for {game_date}: {exc}") from None
            # The week's ensemble weights, from the earlier weeks' graded predictions only.
            earlier = {c: b for c in blending.earlier_cutoffs(cutoff)
                       if (b := served_model(c)) is not None}
            graded = blending.served_graded_rows(labelled, earlier, cutoff)
            info = blending.with_blend(info, blending.learn_blend(graded, cutoff))
            # Each system's residuals as served: the ensemble with this week's weights.
            calibration = probabilities.calibrate(validation, info)
            landing_store.write_bytes(_calibration_key(version), calibration.to_json().encode())
            landing_store.write_bytes(model_key, points_model_lib.dump(booster))
            landing_store.write_bytes(info_key, info.to_json().encode())
            served[cutoff] = booster
            trained.append(info)
        info = points_model_lib.ModelInfo.from_json(landing_store.read_bytes(info_key).decode())
        line_weight, baseline_weight, blend_source = blending.serving_weights(info)
        rows.append({"game_date": game_date, "model_version": info.model_version,
                     "feature_version": info.feature_version,
                     "trained_through": info.trained_through, "train_rows": info.train_rows,
                     "validation_rows": info.validation_rows,
                     "validation_mae": info.validation_mae, "artifact_key": model_key,
                     "ensemble_line_weight": line_weight,
                     "ensemble_baseline_weight": baseline_weight,
                     "blend_line_rows": info.blend_line_rows, "blend_source": blend_source})
    frame = table_frame(pd.DataFrame(rows), POINTS_MODEL)
    return Output(frame, metadata={
        "models_trained": len(trained),
        "trained": MetadataValue.json([json.loads(i.to_json()) for i in trained]),
        "latest_version": rows[-1]["model_version"] if rows else "",
        # The serving model's feature version, training window and validation metrics.
        "latest_model": MetadataValue.json(json.loads(info.to_json()) if rows else {}),
    })


@warehouse_asset(
    PREDICTIONS,
    # Lines price the rows and, with the schedule, make the slate `lined_days_have_predictions`
    # checks. The injury report is read, not gating (tables.py): a day without one is priced
    # as it is, and a report that lands later rebuilds the day.
    ins=same_day(features=FEATURES, points_model=POINTS_MODEL, player_prop_lines=PROP_LINES,
                 schedule=SCHEDULE, injury_report=INJURY_REPORT),
    checks=PREDICTION_CHECKS,
)
def player_prop_predictions(context: AssetExecutionContext, landing_store: LandingStore,
                            features: pd.DataFrame, points_model: pd.DataFrame,
                            player_prop_lines: pd.DataFrame, schedule: pd.DataFrame,
                            injury_report: pd.DataFrame) -> Iterator:
    """Every expected player gets one active row per system; re-running a day replaces it.
    A player reported Out before tip-off gets PASS with the report named."""
    created_at = pd.Timestamp.now(tz="UTC")
    market = probabilities.market_prices(player_prop_lines, features)
    out_players = reported_out(injury_report, schedule_tipoffs(schedule))
    out = []
    for model_row in points_model.itertuples(index=False):
        day = features[pd.to_datetime(features["game_date"]) == pd.Timestamp(model_row.game_date)]
        if day.empty:
            continue
        booster = points_model_lib.load(landing_store.read_bytes(model_row.artifact_key))
        info_key = _artifact_keys(model_row.model_version)[1]
        info = points_model_lib.ModelInfo.from_json(landing_store.read_bytes(info_key).decode())
        out.append(probabilities.pass_reported_out(predict_day(
            day, booster, info, created_at, market,
            _read_calibration(landing_store, info.model_version)), out_players))
    frame = table_frame(pd.concat(out, ignore_index=True) if out else pd.DataFrame(), PREDICTIONS)
    pass_kinds = probabilities.pass_kinds(frame)
    yield from checked_output(context, PREDICTIONS, PREDICTION_CHECKS, frame, {
        "predictions": len(frame),
        "with_line": int(frame["line_value"].notna().sum()),
        "picks": int(frame["recommendation"].isin(["OVER", "UNDER"]).sum()),
        "priced": int(frame["ev"].notna().sum()) if len(frame) else 0,
        "reported_out": pass_kinds.get("reported Out", 0),
        "pass_reasons": pass_kinds,
        "cold_starts": frame.loc[frame["system_id"] == "lightgbm", "cold_start"]
        .value_counts().to_dict() if len(frame) else {},
    }, {"features": features, "player_prop_lines": player_prop_lines, "schedule": schedule})


def predict_day(day: pd.DataFrame, booster: lgb.Booster, info: points_model_lib.ModelInfo,
                created_at: pd.Timestamp, market: pd.DataFrame | None = None,
                calibration: probabilities.Calibration | None = None) -> pd.DataFrame:
    """Every system's rows for one date, served by the week's model with its learned ensemble
    weights (ml/systems.py, ml/blending.py), priced against the books (ml/probabilities.py):
    p_over, market_p_over, ev, an EV recommendation."""
    line_weight, baseline_weight, _ = blending.serving_weights(info)
    rows = systems.predict_systems(day, points_model_lib.predict(booster, day),
                                   info.model_version, info.residual_std, FEATURE_VERSION,
                                   created_at, line_weight, baseline_weight)
    market = market if market is not None else pd.DataFrame(
        columns=probabilities.MARKET_COLUMNS)
    return probabilities.price_rows(rows, market, calibration, info.residual_std)


@warehouse_asset(
    PREDICTION_GAPS,
    # player_game_summary is empty before the games; once they land, automation rebuilds the
    # day with `played`.
    ins=same_day(predictions=PREDICTIONS, upcoming_player_game_context=CONTEXT,
                 player_prop_lines=PROP_LINES, schedule=SCHEDULE, player_game_summary=PGS),
    checks=GAP_CHECKS,
)
def prediction_gaps(context: AssetExecutionContext, predictions: pd.DataFrame,
                    upcoming_player_game_context: pd.DataFrame,
                    player_prop_lines: pd.DataFrame, schedule: pd.DataFrame,
                    player_game_summary: pd.DataFrame) -> Iterator:
    """Every line player-game without a prediction from every system, and why (ml/coverage.py);
    the coverage check measures the predictions against the lines here."""
    cov = coverage.line_coverage(player_prop_lines, schedule, upcoming_player_game_context,
                                 predictions, player_game_summary)
    frame = table_frame(coverage.prediction_gaps(cov, pd.Timestamp.now(tz="UTC")),
                        PREDICTION_GAPS)
    yield from checked_output(context, PREDICTION_GAPS, GAP_CHECKS, frame, {
        "line_player_games": len(cov), "gaps": len(frame),
        "gaps_by_reason": frame["reason"].value_counts().to_dict() if len(frame) else {},
        # Every date of the window (0 included), for `nba-pipeline health`.
        "gaps_by_date": MetadataValue.json({
            d.isoformat(): int((pd.to_datetime(frame["game_date"]).dt.date == d).sum())
            if len(frame) else 0 for d in partition_dates(context)}),
    }, {"line_coverage": cov})


prediction_assets = [points_model, player_prop_predictions, prediction_gaps]
