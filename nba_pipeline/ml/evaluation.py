"""Walk-forward evaluation on a held-back span, with the pipeline's own domain code, no Dagster.

`model-report` uses it on a fresh clone: the recorded real data is replayed through the same
payload builders and parsers the landing/raw assets use, then analytics, features, weekly
training and the prediction systems run exactly as the assets run them. Each date is scored by
the model trained through the Sunday before its week, on rows strictly before that Monday, so
no model ever sees a row it is scored on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from nba_pipeline.domain import analytics
from nba_pipeline.domain.parsing import parse_landed
from nba_pipeline.features.feature_store import FEATURE_VERSION, build_feature_rows
from nba_pipeline.ml import model as model_lib
from nba_pipeline.ml import systems
from nba_pipeline.sources import recorded
from nba_pipeline.storage.schema import conform

HISTORY_START = date(2021, 10, 19)
SPAN_START = date(2024, 3, 2)
SPAN_END = date(2024, 4, 14)
REFERENCES = ("line", "season_avg", "last10_avg")


@dataclass
class Tables:
    """The analytics and feature tables over a date range, as the assets would write them."""

    player_game_summary: pd.DataFrame
    team_offense: pd.DataFrame
    team_defense: pd.DataFrame
    context: pd.DataFrame
    features: pd.DataFrame


def replayed_raw(start: date, end: date, root: Path | None = None) -> dict[str, pd.DataFrame]:
    """Raw tables for start..end (inclusive) from the recorded data, via the live parsers."""
    root = root or recorded.data_dir()
    frames: dict[str, list[pd.DataFrame]] = {"schedule": [], "boxscores": [], "lines": []}
    day = start
    while day <= end:
        key = f"replay/{day.isoformat()}"
        frames["schedule"].append(
            parse_landed("nba_com", "schedule", recorded.schedule_body(root, day), day, key))
        frames["boxscores"].append(parse_landed(
            "nba_com", "leaguegamelog", recorded.leaguegamelog_body(root, day), day, key))
        for _, body in recorded.event_odds_bodies(root, day):
            frames["lines"].append(
                parse_landed("odds_api", "event_odds_player_points", body, day, key))
        day += timedelta(days=1)
    tables = {"schedule": "nba_raw.schedule", "boxscores": "nba_raw.player_boxscores",
              "lines": "nba_raw.player_prop_lines"}
    out = {}
    for name, table in tables.items():
        parts = [f for f in frames[name] if len(f)]
        out[name] = conform(pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(),
                            table, allow_missing=not parts)
    return out


def build_tables(raw: dict[str, pd.DataFrame], start: date, end: date) -> Tables:
    """Analytics then features for start..end, each date's features from games before it."""
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    pgs = analytics.player_game_summary(raw["boxscores"], raw["lines"], lo, hi)
    offense = analytics.team_offense_summary(pgs)
    defense = analytics.team_defense_summary(offense)
    context = analytics.upcoming_player_game_context(raw["schedule"], pgs, raw["lines"])
    features = build_feature_rows(context, pgs, offense, defense,
                                  created_at=pd.Timestamp.now(tz="UTC"))
    return Tables(pgs, offense, defense, context, features)


@dataclass
class WalkForward:
    """Predictions of every system for the span, and the models that made them."""

    predictions: pd.DataFrame
    models: list[model_lib.ModelInfo] = field(default_factory=list)
    importances: dict[str, float] = field(default_factory=dict)


def walk_forward(features: pd.DataFrame, outcomes: pd.DataFrame, start: date,
                 end: date) -> WalkForward:
    """Score start..end week by week, each week with a model trained only on earlier rows."""
    features = features.assign(game_date=pd.to_datetime(features["game_date"]))
    labelled = model_lib.labelled_rows(features, outcomes)
    span = features[(features["game_date"] >= pd.Timestamp(start))
                    & (features["game_date"] <= pd.Timestamp(end))]
    cutoffs = sorted({model_lib.training_cutoff(d.date()) for d in span["game_date"].unique()})
    frames, infos, gains = [], [], []
    for cutoff in cutoffs:
        week = span[(span["game_date"] >= pd.Timestamp(cutoff))
                    & (span["game_date"] < pd.Timestamp(cutoff + timedelta(days=7)))]
        if week.empty:
            continue
        booster, info = model_lib.train(labelled, cutoff)
        assert pd.Timestamp(info.trained_through) < week["game_date"].min()
        frames.append(systems.predict_systems(
            week, model_lib.predict(booster, week), info.model_version, info.residual_std,
            FEATURE_VERSION, pd.Timestamp.now(tz="UTC")))
        infos.append(info)
        gains.append(model_lib.importances(booster))
    mean_gain = pd.DataFrame(gains).mean().sort_values(ascending=False) if gains else pd.Series()
    return WalkForward(pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(),
                       infos, {k: round(float(v), 4) for k, v in mean_gain.items()})


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


def model_report(start: date = SPAN_START, end: date = SPAN_END,
                 history_start: date = HISTORY_START, root: Path | None = None) -> dict:
    """The whole held-back comparison from the recorded data, as one JSON-ready dict."""
    raw = replayed_raw(history_start, end, root)
    tables = build_tables(raw, history_start, end)
    wf = walk_forward(tables.features, tables.player_game_summary, start, end)
    rows = evaluation_rows(wf.predictions, tables.features, tables.player_game_summary)
    sigma = float(np.mean([m.residual_std for m in wf.models])) if wf.models else 6.0
    report = summarize(rows, list(systems.SYSTEMS), sigma)
    report.update({
        "span": {"start": start.isoformat(), "end": end.isoformat(),
                 "history_start": history_start.isoformat()},
        "feature_version": FEATURE_VERSION,
        "edge_threshold": systems.EDGE_THRESHOLD,
        "models": [{"model_version": m.model_version, "trained_through": m.trained_through,
                    "train_rows": m.train_rows, "validation_mae": m.validation_mae}
                   for m in wf.models],
        "feature_importance": wf.importances,
    })
    return report
