"""Held-back evaluation statistics: every system against the averages and the line, same rows.

Pure pandas over the tables the assets write (`nba-pipeline model-report` reads them from the
warehouse), so the report scores exactly what the pipeline predicted; no Dagster here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from nba_pipeline.ml import systems

REFERENCES = ("line", "season_avg", "last10_avg")


def wilson_interval(hits: int, n: int, z: float = 1.959964) -> tuple[float, float] | None:
    """95% Wilson score interval for a hit rate (sound for small n, unlike the normal one)."""
    if n == 0:
        return None
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (round(centre - half, 4), round(centre + half, 4))


def evaluation_rows(predictions: pd.DataFrame, features: pd.DataFrame,
                    outcomes: pd.DataFrame) -> pd.DataFrame:
    """One row per scored player-game with a line: every system's and reference's prediction.

    Rows are the same for every column compared: a line, an actual, and all predictors present.
    """
    predictions = predictions.assign(game_date=pd.to_datetime(predictions["game_date"]))
    wide = predictions.pivot_table(index=["game_date", "player_lookup"], columns="system_id",
                                   values="predicted_points", aggfunc="first")
    feats = features.assign(game_date=pd.to_datetime(features["game_date"])).set_index(
        ["game_date", "player_lookup"])
    wide["line"] = feats["points_line"].reindex(wide.index)
    wide["season_avg"] = feats["pts_avg_season"].reindex(wide.index)
    wide["last10_avg"] = feats["pts_avg_last10"].reindex(wide.index)
    actual = outcomes.assign(game_date=pd.to_datetime(outcomes["game_date"])).set_index(
        ["game_date", "player_lookup"])["points"].astype(float)
    wide["actual"] = actual.reindex(wide.index)
    return wide.dropna().reset_index()


def summarize(rows: pd.DataFrame, system_ids: list[str], sigma: float = systems.DEFAULT_SIGMA,
              ) -> dict:
    """MAE, bias, hit rate vs the line (n, Wilson 95%) for the line, averages and systems."""
    report: dict = {"rows": len(rows), "mae": {}, "bias": {}, "hit_rate": {}, "n_picks": {},
                    "hit_rate_ci95": {}, "over_rate_actual": None}
    if rows.empty:
        return report
    line = rows["line"]
    diff = rows["actual"] - line
    report["over_rate_actual"] = round(float((diff > 0).mean()), 4)
    for name in [*REFERENCES, *system_ids]:
        err = rows[name] - rows["actual"]
        report["mae"][name] = round(float(err.abs().mean()), 4)
        report["bias"][name] = round(float(err.mean()), 4)
        if name == "line":
            report["hit_rate"][name], report["n_picks"][name] = None, 0
            report["hit_rate_ci95"][name] = None
            continue
        rec = systems.recommend(rows[name].to_numpy(dtype=float), line, sigma)["recommendation"]
        rec = rec.to_numpy()
        picked = (rec != "PASS") & (diff.to_numpy() != 0)
        hits = int(((rec == "OVER") & (diff.to_numpy() > 0) | (rec == "UNDER")
                    & (diff.to_numpy() < 0))[picked].sum())
        n = int(picked.sum())
        report["n_picks"][name] = n
        report["hit_rate"][name] = round(hits / n, 4) if n else None
        report["hit_rate_ci95"][name] = wilson_interval(hits, n)
    return report


def mean_importances(gains: Iterable[dict[str, float]]) -> dict[str, float]:
    """Share of gain per feature, averaged over the weekly models, largest first."""
    frame = pd.DataFrame(list(gains))
    if frame.empty:
        return {}
    mean = frame.mean().sort_values(ascending=False)
    return {str(k): round(float(v), 4) for k, v in mean.items()}
