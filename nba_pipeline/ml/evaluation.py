"""Held-back evaluation statistics: every system against the averages and the line, same rows.

Pure pandas over the tables the assets write (`nba-pipeline model-report` reads them from the
warehouse), so the report scores exactly what the pipeline predicted; no Dagster here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from nba_pipeline.ml import probabilities, scoring, systems

REFERENCES = ("line", "season_avg", "last10_avg")


def wilson_interval(hits: int, n: int, z: float = 1.959964) -> tuple[float, float] | None:
    """95% Wilson score interval for a hit rate (sound for small n, unlike the normal one)."""
    if n == 0:
        return None
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (round(centre - half, 4), round(centre + half, 4))


def scored_rows(predictions: pd.DataFrame, features: pd.DataFrame,
                outcomes: pd.DataFrame) -> pd.DataFrame:
    """One row per predicted player-game: every system's prediction, the references where
    the feature store has them, the actual points, and `cold_start` (NULL for a usual row)."""
    predictions = predictions.assign(game_date=pd.to_datetime(predictions["game_date"]))
    wide = predictions.pivot_table(index=["game_date", "player_lookup"], columns="system_id",
                                   values="predicted_points", aggfunc="first")
    wide.columns = [str(c) for c in wide.columns]
    feats = features.assign(game_date=pd.to_datetime(features["game_date"])).set_index(
        ["game_date", "player_lookup"])
    wide["line"] = feats["points_line"].reindex(wide.index)
    wide["season_avg"] = feats["pts_avg_season"].reindex(wide.index)
    wide["last10_avg"] = feats["pts_avg_last10"].reindex(wide.index)
    actual = outcomes.assign(game_date=pd.to_datetime(outcomes["game_date"])).set_index(
        ["game_date", "player_lookup"])["points"].astype(float)
    wide["actual"] = actual.reindex(wide.index)
    cold = (predictions.dropna(subset=["cold_start"]).drop_duplicates(
        ["game_date", "player_lookup"]).set_index(["game_date", "player_lookup"])["cold_start"]
        if "cold_start" in predictions else pd.Series(dtype=object))
    wide["cold_start"] = cold.reindex(wide.index).astype(object)
    return wide.reset_index()


def evaluation_rows(predictions: pd.DataFrame, features: pd.DataFrame,
                    outcomes: pd.DataFrame) -> pd.DataFrame:
    """One row per scored player-game with a line: every system's and reference's prediction.

    Rows are the same for every column compared: a line, an actual, and all predictors present
    (so a rookie, who has no averages, is scored in `cold_start_breakdown` only).
    """
    rows = scored_rows(predictions, features, outcomes)
    compared = [c for c in rows.columns if c != "cold_start"]
    return rows.dropna(subset=compared).reset_index(drop=True)


def cold_start_breakdown(predictions: pd.DataFrame, features: pd.DataFrame,
                         outcomes: pd.DataFrame, system_ids: list[str]) -> dict:
    """MAE of the line and every system on rows without and with `cold_start`, and per kind.

    Cold starts (a rookie, a player back after 200+ days, an off-season move) are predicted
    from less, so a figure over all rows would hide how they do. Rows: a line, an actual and
    every system's prediction (the averages are not required: a rookie has none).
    """
    rows = scored_rows(predictions, features, outcomes)
    rows = rows.dropna(subset=["line", "actual", *[s for s in system_ids if s in rows]])
    cold = rows["cold_start"].notna()

    def mae(part: pd.DataFrame) -> dict:
        names = ["line", *[s for s in system_ids if s in part]]
        return {"rows": len(part), "mae": {
            n: (round(float((part[n] - part["actual"]).abs().mean()), 4) if len(part) else None)
            for n in names}}

    return {"without": mae(rows[~cold]), "with": mae(rows[cold]),
            "by_kind": {str(k): mae(part) for k, part in rows[cold].groupby("cold_start")}}


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


def paired_mae_gaps(rows: pd.DataFrame, names: list[str]) -> dict:
    """Per predictor, MAE minus the line's MAE on the same player-games, with a paired 95%
    interval (normal approximation of the mean per-row difference |pred - actual| - |line -
    actual|): negative beats the line."""
    line_err = (rows["line"] - rows["actual"]).abs()
    return {n: scoring.mean_ci((rows[n] - rows["actual"]).abs() - line_err) for n in names
            if n in rows}


def priced_rows(predictions: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Each system's active predictions on the evaluation rows, graded as the grading asset does
    (actual side against the prediction's line, bet price and profit)."""
    keys = ["game_date", "player_lookup"]
    preds = predictions.assign(game_date=pd.to_datetime(predictions["game_date"]))
    graded = preds.merge(rows[[*keys, "actual"]], on=keys, how="inner")
    diff = graded["actual"] - graded["line_value"]
    graded["actual_over_under"] = np.select([diff > 0, diff < 0, diff == 0],
                                            ["OVER", "UNDER", "PUSH"], default=None)
    graded.loc[graded["line_value"].isna(), "actual_over_under"] = None
    return scoring.add_bets(graded)


def probability_report(predictions: pd.DataFrame, rows: pd.DataFrame,
                       system_ids: list[str]) -> dict:
    """Per system on the evaluation rows: Brier and log loss of p_over next to the market's
    (same rows: a market price and no push), the calibration deciles of both, the EV picks'
    ROI at the prices taken. Intervals: normal approximation (scoring.py)."""
    graded = priced_rows(predictions, rows)
    out: dict = {"systems": {}, "market_calibration": None, "min_ev": probabilities.MIN_EV}
    for system_id in system_ids:
        part = graded[graded["system_id"] == system_id]
        prob = scoring.probability_rows(part)
        out["systems"][system_id] = {
            **scoring.probability_scores(part),
            "calibration": scoring.calibration_table(prob["p_over"], prob["_y"]),
            "bets": scoring.roi(part),
            "bets_by_side": {side: scoring.roi(part[part["recommendation"] == side])
                             for side in ("OVER", "UNDER")},
        }
        if out["market_calibration"] is None and len(prob):
            out["market_calibration"] = scoring.calibration_table(prob["market_p_over"],
                                                                  prob["_y"])
    market_rows = graded.drop_duplicates(["game_date", "player_lookup"])
    out["priced_share"] = (round(float(market_rows["market_p_over"].notna().mean()), 4)
                           if len(market_rows) else None)
    return out


def asset_picks(predictions: pd.DataFrame, rows: pd.DataFrame, system_ids: list[str]) -> dict:
    """Per system, the OVER/UNDER picks the predictions asset made (EV >= MIN_EV) on the
    evaluation rows, pushes left out: n, hits, hit rate and its Wilson interval."""
    graded = priced_rows(predictions, rows)
    out = {}
    for system_id in system_ids:
        part = graded[(graded["system_id"] == system_id)
                      & graded["recommendation"].isin(["OVER", "UNDER"])
                      & graded["actual_over_under"].isin(["OVER", "UNDER"])]
        n = len(part)
        hits = int((part["recommendation"] == part["actual_over_under"]).sum())
        out[system_id] = {"n": n, "hit_rate": round(hits / n, 4) if n else None,
                          "ci95": wilson_interval(hits, n)}
    return out
