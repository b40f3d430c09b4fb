"""The ensemble's blend weights, learned walk-forward from graded history only.

At each weekly model cutoff C the weights are the ones that would have minimised the MAE of the
`lightgbm` system's graded predictions in the BLEND_HISTORY_DAYS before C: each of those dates
predicted by the model that served it (trained before its own week), scored against the points
scored. Nothing on or after C is read, so the weight serving a week is known before its first
game. With fewer than MIN_BLEND_ROWS graded rows (the first week of a new feature version, a
span whose earlier weeks had no model, a season without points lines) the a-priori weights of
`systems.py` serve instead, and the model's info says so (`blend_source`).

Why from the served predictions and not from `prediction_accuracy`: the grading table is built
from the predictions, which are built with these weights; reading it back would close a cycle
in the asset graph. The served models and the feature rows reproduce the same predictions
(tested against what the asset wrote).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

import lightgbm as lgb
import numpy as np
import pandas as pd

from nba_pipeline.ml import model as model_lib
from nba_pipeline.ml import systems

BLEND_HISTORY_DAYS = 56  # eight weeks of graded predictions before the cutoff
MIN_BLEND_ROWS = 300  # about a week of player-games with a line
WEIGHT_GRID = np.round(np.linspace(0.0, 1.0, 21), 2)  # steps of 0.05


@dataclass(frozen=True)
class Blend:
    """The weights serving one week, and what they were learned from."""

    line_weight: float  # on the line, where a line exists (1 - it on LightGBM)
    line_rows: int  # graded rows with a line it was chosen on (0 = fallback)
    baseline_weight: float  # on the rolling average, where there is no line
    baseline_rows: int
    graded_from: str = ""  # first and last graded date used ("" = none)
    graded_through: str = ""
    source: str = "fallback"  # "learned" when both weights were learned

    @classmethod
    def fallback(cls) -> Blend:
        return cls(systems.ENSEMBLE_LINE_WEIGHT, 0, systems.ENSEMBLE_BASELINE_WEIGHT, 0)


def best_weight(anchor: np.ndarray, model: np.ndarray, actual: np.ndarray) -> float:
    """The grid weight w minimising mean |w·anchor + (1 - w)·model - actual| (the lowest w on
    a tie)."""
    blended = WEIGHT_GRID[:, None] * anchor[None, :] + (1 - WEIGHT_GRID[:, None]) * model[None, :]
    mae = np.abs(blended - actual[None, :]).mean(axis=1)
    return float(WEIGHT_GRID[int(np.argmin(np.round(mae, 9)))])


def learn_blend(graded: pd.DataFrame, cutoff: date) -> Blend:
    """Weights from the graded rows in the BLEND_HISTORY_DAYS strictly before `cutoff`.

    `graded`: game_date, lightgbm, baseline, points_line, actual (one row per player-game).
    Each weight falls back on its own when it has fewer than MIN_BLEND_ROWS rows.
    """
    cut = pd.Timestamp(cutoff)
    dates = pd.to_datetime(graded["game_date"])
    rows = graded[(dates < cut) & (dates >= cut - pd.Timedelta(days=BLEND_HISTORY_DAYS))]
    default = Blend.fallback()
    lined = rows[rows["points_line"].notna()]
    unlined = rows[rows["points_line"].isna()]
    line_ok, base_ok = len(lined) >= MIN_BLEND_ROWS, len(unlined) >= MIN_BLEND_ROWS
    line_w = best_weight(lined["points_line"].to_numpy(float), lined["lightgbm"].to_numpy(float),
                         lined["actual"].to_numpy(float)) if line_ok else default.line_weight
    base_w = best_weight(unlined["baseline"].to_numpy(float),
                         unlined["lightgbm"].to_numpy(float),
                         unlined["actual"].to_numpy(float)) if base_ok else (
        default.baseline_weight)
    used = pd.to_datetime(pd.concat([part["game_date"] for part, ok in
                                     ((lined, line_ok), (unlined, base_ok)) if ok] or [
        pd.Series([], dtype="datetime64[ns]")]))
    source = {(True, True): "learned", (True, False): "learned_line",
              (False, True): "learned_baseline", (False, False): "fallback"}[(line_ok, base_ok)]
    return Blend(line_w, len(lined) if line_ok else 0, base_w, len(unlined) if base_ok else 0,
                 used.min().date().isoformat() if len(used) else "",
                 used.max().date().isoformat() if len(used) else "", source)


def earlier_cutoffs(cutoff: date) -> list[date]:
    """The weekly cutoffs whose served weeks lie in the BLEND_HISTORY_DAYS before `cutoff`."""
    return [cutoff - timedelta(days=7 * k) for k in range(1, BLEND_HISTORY_DAYS // 7 + 1)]


def served_graded_rows(labelled: pd.DataFrame, boosters: Mapping[date, lgb.Booster],
                       cutoff: date) -> pd.DataFrame:
    """The `lightgbm` system's graded predictions before `cutoff`: each earlier week's rows
    predicted by the model that served that week (`boosters`, keyed by its cutoff), with the
    rolling average and the line beside them.

    `labelled` are feature rows joined to the points scored (model.labelled_rows). Rows
    without history get the line prior in every system (no blend to learn) and are left out.
    """
    cut = pd.Timestamp(cutoff)
    dates = pd.to_datetime(labelled["game_date"])
    parts = []
    for week_cutoff, booster in sorted(boosters.items()):
        start = pd.Timestamp(week_cutoff)
        end = min(start + pd.Timedelta(days=7), cut)
        week = labelled[(dates >= start) & (dates < end) & (labelled["history_games"] > 0)]
        if week.empty:
            continue
        parts.append(pd.DataFrame({
            "game_date": week["game_date"].to_numpy(),
            "player_lookup": week["player_lookup"].to_numpy(),
            "lightgbm": model_lib.predict(booster, week),
            "baseline": systems.rolling_average(week),
            "points_line": week["points_line"].to_numpy(dtype=float),
            "actual": week["points"].to_numpy(dtype=float),
        }))
    if not parts:
        return pd.DataFrame(columns=["game_date", "player_lookup", "lightgbm", "baseline",
                                     "points_line", "actual"])
    return pd.concat(parts, ignore_index=True)


def with_blend(info: model_lib.ModelInfo, blend: Blend) -> model_lib.ModelInfo:
    """The model's info with the week's blend recorded beside it (info.json, points_model)."""
    return replace(info, ensemble_line_weight=blend.line_weight,
                   ensemble_baseline_weight=blend.baseline_weight,
                   blend_line_rows=blend.line_rows, blend_baseline_rows=blend.baseline_rows,
                   blend_graded_from=blend.graded_from,
                   blend_graded_through=blend.graded_through, blend_source=blend.source)


def serving_weights(info: model_lib.ModelInfo) -> tuple[float, float, str]:
    """(line weight, baseline weight, source) serving the model's week; an artifact written
    before learned blending serves the a-priori weights."""
    if info.ensemble_line_weight is None or info.ensemble_baseline_weight is None:
        return systems.ENSEMBLE_LINE_WEIGHT, systems.ENSEMBLE_BASELINE_WEIGHT, "prior"
    return info.ensemble_line_weight, info.ensemble_baseline_weight, info.blend_source
