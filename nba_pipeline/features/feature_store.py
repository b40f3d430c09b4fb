"""Point-in-time features for `ml_feature_store_v2`: one vectorized pass per game date.

For game date D, every statistic comes from games strictly before D (`game_date < D`), and each
row records the latest source date it used (`source_max_game_date`) so a check can prove it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FEATURE_VERSION = "v2"
FEATURES: tuple[str, ...] = (
    "pts_avg_last3", "pts_avg_last5", "pts_avg_last10", "pts_avg_season", "pts_std_last10",
    "pts_max_last10", "pts_trend_5v_season", "min_avg_last5", "min_avg_last10",
    "min_avg_season", "min_trend_5v_season", "usage_avg_last10", "usage_avg_season",
    "fga_avg_last5", "fga_avg_last10", "fta_avg_last10", "fg3a_avg_last10", "ts_pct_last10",
    "pts_per_min_season", "games_played_season", "days_since_last_game", "is_back_to_back",
    "is_home", "opp_def_rating_last15", "opp_pace_last15", "opp_pts_allowed_last15",
    "team_pace_last15", "team_off_rating_last15", "pts_avg_prev_season", "points_line",
    "line_minus_avg10",
)
# Market features are legitimately missing for most players; completeness ignores them.
OPTIONAL_FEATURES = ("points_line", "line_minus_avg10", "pts_avg_prev_season")
REQUIRED_FEATURES = tuple(f for f in FEATURES if f not in OPTIONAL_FEATURES)
TEAM_WINDOW = 15


def season_of(game_date: pd.Timestamp) -> str:
    """NBA season label ('2023-24') for a date; seasons turn over in August."""
    start = game_date.year if game_date.month >= 8 else game_date.year - 1
    return f"{start}-{str(start + 1)[-2:]}"


def _player_features(hist: pd.DataFrame, season: str) -> pd.DataFrame:
    """Aggregates per player over `hist` (already restricted to games before the date)."""
    grp = hist.groupby("player_lookup", sort=False)
    last3, last5, last10 = grp.tail(3), grp.tail(5), grp.tail(10)
    cur = hist[hist["season"] == season]
    prev = hist[hist["season"] == _previous_season(season)]

    def agg(frame: pd.DataFrame, **spec: tuple[str, str]) -> pd.DataFrame:
        return frame.groupby("player_lookup", sort=False).agg(**spec)

    f = pd.concat([
        agg(last3, pts_avg_last3=("points", "mean")),
        agg(last5, pts_avg_last5=("points", "mean"), min_avg_last5=("minutes", "mean"),
            fga_avg_last5=("fga", "mean")),
        agg(last10, pts_avg_last10=("points", "mean"), pts_std_last10=("points", "std"),
            pts_max_last10=("points", "max"), min_avg_last10=("minutes", "mean"),
            usage_avg_last10=("usage_rate", "mean"), fga_avg_last10=("fga", "mean"),
            fta_avg_last10=("fta", "mean"), fg3a_avg_last10=("fg3a", "mean"),
            _pts10=("points", "sum"), _fga10=("fga", "sum"), _fta10=("fta", "sum")),
        agg(cur, pts_avg_season=("points", "mean"), min_avg_season=("minutes", "mean"),
            usage_avg_season=("usage_rate", "mean"), games_played_season=("points", "size"),
            _pts_season=("points", "sum"), _min_season=("minutes", "sum")),
        agg(prev, pts_avg_prev_season=("points", "mean")),
        agg(hist, last_game_date=("game_date", "max")),
    ], axis=1)
    shots = 2.0 * (f["_fga10"] + 0.44 * f["_fta10"])
    f["ts_pct_last10"] = np.where(shots > 0, f["_pts10"] / shots, np.nan)
    f["pts_per_min_season"] = np.where(f["_min_season"] > 0,
                                       f["_pts_season"] / f["_min_season"], np.nan)
    f["pts_trend_5v_season"] = f["pts_avg_last5"] - f["pts_avg_season"]
    f["min_trend_5v_season"] = f["min_avg_last5"] - f["min_avg_season"]
    f["games_played_season"] = f["games_played_season"].fillna(0)
    return f.drop(columns=[c for c in f.columns if c.startswith("_")])


def _previous_season(season: str) -> str:
    start = int(season[:4]) - 1
    return f"{start}-{str(start + 1)[-2:]}"


def _team_features(offense: pd.DataFrame, defense: pd.DataFrame) -> pd.DataFrame:
    off = offense.groupby("team_abbr", sort=False).tail(TEAM_WINDOW).groupby("team_abbr").agg(
        team_pace_last15=("pace", "mean"), team_off_rating_last15=("offensive_rating", "mean"))
    dfn = defense.groupby("team_abbr", sort=False).tail(TEAM_WINDOW).groupby("team_abbr").agg(
        opp_def_rating_last15=("defensive_rating", "mean"), opp_pace_last15=("pace", "mean"),
        opp_pts_allowed_last15=("points_allowed", "mean"))
    return off.join(dfn, how="outer")


def build_feature_rows(context: pd.DataFrame, history: pd.DataFrame, offense: pd.DataFrame,
                       defense: pd.DataFrame, created_at: pd.Timestamp) -> pd.DataFrame:
    """Feature rows for every (date, player) in `context`, each from games before its date.

    `history` is player_game_summary, `offense`/`defense` the team summaries; all may include
    dates on or after a context date (a range backfill): they are cut per date here.
    """
    if context.empty:
        return pd.DataFrame()
    history = history.assign(game_date=pd.to_datetime(history["game_date"])).sort_values(
        ["player_lookup", "game_date"], kind="stable")
    offense = offense.assign(game_date=pd.to_datetime(offense["game_date"])).sort_values(
        "game_date", kind="stable")
    defense = defense.assign(game_date=pd.to_datetime(defense["game_date"])).sort_values(
        "game_date", kind="stable")
    context = context.assign(game_date=pd.to_datetime(context["game_date"]))
    out = []
    for game_date, day in context.groupby("game_date", sort=True):
        hist = history[(history["game_date"] < game_date)
                       & history["player_lookup"].isin(day["player_lookup"])]
        players = _player_features(hist, season_of(game_date))
        teams = _team_features(offense[offense["game_date"] < game_date],
                               defense[defense["game_date"] < game_date])
        rows = day.drop(columns=["last_game_date", "days_since_last_game"], errors="ignore")
        rows = rows.join(players, on="player_lookup")
        rows = rows.join(teams[["team_pace_last15", "team_off_rating_last15"]], on="team_abbr")
        rows = rows.join(teams[["opp_def_rating_last15", "opp_pace_last15",
                                "opp_pts_allowed_last15"]], on="opponent_abbr")
        team_dates = pd.concat([offense.loc[offense["game_date"] < game_date, "game_date"],
                                hist["game_date"]])
        source_max = team_dates.max() if len(team_dates) else pd.NaT
        rows["source_max_game_date"] = source_max
        rows["days_since_last_game"] = (game_date - rows["last_game_date"]).dt.days
        out.append(rows)
    rows = pd.concat(out, ignore_index=True)
    rows["is_back_to_back"] = (rows["days_since_last_game"] == 1).astype(float)
    rows["is_home"] = rows["is_home"].astype(float)
    rows["line_minus_avg10"] = rows["points_line"] - rows["pts_avg_last10"]
    for f in FEATURES:
        rows[f] = pd.to_numeric(rows[f], errors="coerce").astype(float)
    rows["feature_version"] = FEATURE_VERSION
    rows["feature_count"] = len(FEATURES)
    rows["completeness"] = rows[list(REQUIRED_FEATURES)].notna().mean(axis=1)
    rows["created_at"] = created_at
    return rows
