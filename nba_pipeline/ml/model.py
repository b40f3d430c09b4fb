"""LightGBM points model: time-ordered training and validation, artifacts as plain text."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta

import lightgbm as lgb
import numpy as np
import pandas as pd

from nba_pipeline.features.feature_store import FEATURE_VERSION, FEATURES

MODEL_FEATURES: tuple[str, ...] = FEATURES
VALIDATION_DAYS = 21
# ...and at least this many game days: before a season opener the last 21 calendar days hold no
# game, so the window reaches back across the off-season to the last game days played.
MIN_VALIDATION_GAME_DAYS = 14
# Train on the ~3 seasons before the cutoff; the points_model asset loads this window (+1 week).
TRAINING_WINDOW_DAYS = 1095
MIN_TRAIN_ROWS = 2000
PARAMS = {
    "objective": "regression_l1",
    # 0.1 rather than 0.05: the same walk-forward MAE (5.272 vs 5.278 on the held-back span) with
    # half the boosting rounds; weekly retraining is the largest cost of a season backfill.
    "learning_rate": 0.1,
    "num_leaves": 31,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "verbose": -1,
    # One thread: on a shared 2-core machine LightGBM's spinning threads made training 4x slower.
    "num_threads": 1,
    "force_col_wise": True,
    "seed": 7,
    "deterministic": True,
}


class NotEnoughHistoryError(ValueError):
    """Too few labelled rows before the cutoff to train an honest model."""


@dataclass(frozen=True)
class ModelInfo:
    """What is stored next to each artifact: versions, training window, validation metrics."""

    model_version: str
    feature_version: str
    trained_through: str
    train_rows: int
    validation_rows: int
    validation_mae: float | None
    best_iteration: int
    residual_std: float
    trained_from: str = ""  # first game date in the training rows
    validation_from: str = ""  # first date of the time-ordered validation window
    validation_bias: float | None = None  # mean(prediction - actual) on the validation window
    features: tuple[str, ...] = ()
    # The ensemble weights serving this model's week, learned from graded history before the
    # cutoff (ml/blending.py); None in artifacts written before they were (the defaults serve).
    ensemble_line_weight: float | None = None
    ensemble_baseline_weight: float | None = None
    blend_line_rows: int = 0
    blend_baseline_rows: int = 0
    blend_graded_from: str = ""
    blend_graded_through: str = ""
    blend_source: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelInfo:
        """Tolerates artifacts written before fields were added (they keep the defaults)."""
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        if "features" in data:
            data["features"] = tuple(data["features"])
        return cls(**{k: v for k, v in data.items() if k in known})


def training_cutoff(game_date: date, cadence_days: int = 7) -> date:
    """Retrain weekly: a game date is served by the model trained through the previous Sunday."""
    monday = game_date - timedelta(days=game_date.weekday())
    return monday if cadence_days == 7 else game_date


def model_version(cutoff: date) -> str:
    return f"lgbm-{FEATURE_VERSION}-{cutoff.isoformat()}"


def labelled_rows(features: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """Feature rows joined to the points actually scored on that date."""
    actual = outcomes[["game_date", "player_lookup", "points"]].assign(
        game_date=lambda f: pd.to_datetime(f["game_date"]))
    return features.assign(game_date=pd.to_datetime(features["game_date"])).merge(
        actual, on=["game_date", "player_lookup"], how="inner")


def train(labelled: pd.DataFrame, cutoff: date) -> tuple[lgb.Booster, ModelInfo]:
    """The week's model and its info (`train_with_validation` without the validation rows)."""
    booster, info, _ = train_with_validation(labelled, cutoff)
    return booster, info


def train_with_validation(labelled: pd.DataFrame, cutoff: date
                          ) -> tuple[lgb.Booster, ModelInfo, pd.DataFrame]:
    """Fit on rows in the TRAINING_WINDOW_DAYS strictly before `cutoff`; validate on the last
    VALIDATION_DAYS of them, or the last MIN_VALIDATION_GAME_DAYS game days if that is more
    (time-ordered), then refit on all of them with the best round count.

    Also returns the validation rows with `lgbm_pred`, the early-stopped model's out-of-sample
    prediction (trained on the earlier rows only): the residuals the probabilities are fitted on.
    """
    cut = pd.Timestamp(cutoff)
    start = cut - pd.Timedelta(days=TRAINING_WINDOW_DAYS)
    rows = labelled[(labelled["game_date"] < cut) & (labelled["game_date"] >= start)]
    rows = rows.sort_values("game_date", kind="stable")
    if len(rows) < MIN_TRAIN_ROWS:
        raise NotEnoughHistoryError(
            f"only {len(rows)} labelled feature rows before {cutoff}; need {MIN_TRAIN_ROWS}. "
            "Backfill earlier dates of ml_feature_store_v2 and player_game_summary first."
        )
    val_start = validation_start(rows["game_date"], cut)
    fit, val = rows[rows["game_date"] < val_start], rows[rows["game_date"] >= val_start]
    x = list(MODEL_FEATURES)
    best_iter, val_mae, val_bias = 400, None, None
    resid_std = float(rows["points"].std())
    validation = val.iloc[0:0].assign(lgbm_pred=pd.Series(dtype=float))
    # Bin the features once: the validation fit and the refit share the full set's bin edges.
    full = lgb.Dataset(rows[x], rows["points"], free_raw_data=False).construct()
    if len(fit) >= MIN_TRAIN_ROWS // 2 and len(val):
        booster = lgb.train(PARAMS, full.subset(np.arange(len(fit))), num_boost_round=600,
                            valid_sets=[full.subset(np.arange(len(fit), len(rows)))],
                            callbacks=[lgb.early_stopping(25, verbose=False)])
        best_iter = max(booster.best_iteration, 50)
        pred = booster.predict(val[x], num_iteration=best_iter)
        val_mae = float(np.mean(np.abs(pred - val["points"])))
        val_bias = float(np.mean(pred - val["points"]))
        resid_std = float(np.std(pred - val["points"]))
        validation = val.assign(lgbm_pred=np.clip(pred, 0.0, None))
    final = lgb.train(PARAMS, full, num_boost_round=best_iter)
    info = ModelInfo(
        model_version=model_version(cutoff), feature_version=FEATURE_VERSION,
        trained_through=(cutoff - timedelta(days=1)).isoformat(), train_rows=len(rows),
        validation_rows=len(val), validation_mae=val_mae, best_iteration=best_iter,
        residual_std=resid_std, trained_from=rows["game_date"].min().date().isoformat(),
        validation_from=val_start.date().isoformat(), validation_bias=val_bias,
        features=tuple(x),
    )
    return final, info, validation


def validation_start(game_dates: pd.Series, cutoff: pd.Timestamp) -> pd.Timestamp:
    """First date of the validation window: VALIDATION_DAYS before the cutoff, moved earlier
    until it holds MIN_VALIDATION_GAME_DAYS distinct game days (off-season, All-Star break)."""
    start = cutoff - pd.Timedelta(days=VALIDATION_DAYS)
    days = pd.Series(game_dates.unique()).sort_values()
    if len(days) and (days >= start).sum() < MIN_VALIDATION_GAME_DAYS:
        start = min(start, days.iloc[-min(MIN_VALIDATION_GAME_DAYS, len(days))])
    return start


def predict(booster: lgb.Booster, features: pd.DataFrame) -> np.ndarray:
    return np.clip(booster.predict(features[list(MODEL_FEATURES)]), 0.0, None)


def dump(booster: lgb.Booster) -> bytes:
    return booster.model_to_string().encode()


def load(data: bytes) -> lgb.Booster:
    return lgb.Booster(model_str=data.decode())


def importances(booster: lgb.Booster) -> dict[str, float]:
    gain = booster.feature_importance(importance_type="gain")
    total = float(gain.sum()) or 1.0
    pairs = sorted(zip(booster.feature_name(), gain, strict=True), key=lambda p: -p[1])
    return {name: round(float(g) / total, 4) for name, g in pairs}
