"""Point-in-time features for `ml_feature_store_v2`: one vectorized pass over any range of dates.

For game date D every statistic comes from games strictly before D. Rolling and cumulative
statistics are computed once per player game ("the state after game i"), then each feature row
takes its player's latest state before D with `merge_asof(allow_exact_matches=False)`; teams
work the same way. No loop or query per player or per date. Each row records the latest source
game date it used (`source_max_game_date`) so a check can prove the cut.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FEATURE_VERSION = "v2.1"
FEATURES: tuple[str, ...] = (
    "pts_avg_last3", "pts_avg_last5", "pts_avg_last10", "pts_avg_last20", "pts_avg_season",
    "pts_ewm_h5", "pts_std_last10", "pts_max_last10", "pts_last_game", "pts_trend_5v_season",
    "min_avg_last5", "min_avg_last10", "min_avg_season", "min_last_game", "min_trend_5v_season",
    "usage_avg_last10", "usage_avg_season", "fga_avg_last5", "fga_avg_last10", "fta_avg_last10",
    "fg3a_avg_last10", "ts_pct_last10", "pts_per_min_last10", "pts_per_min_season",
    "games_played_season", "days_since_last_game", "is_back_to_back", "is_home",
    "opp_def_rating_last15", "opp_pace_last15", "opp_pts_allowed_last15", "team_pace_last15",
    "team_off_rating_last15", "pts_avg_prev_season", "points_line", "line_minus_avg10",
    "line_minus_season",
)
# Legitimately missing for many players (no line, rookies); completeness ignores them.
OPTIONAL_FEATURES = ("points_line", "line_minus_avg10", "line_minus_season",
                     "pts_avg_prev_season")
REQUIRED_FEATURES = tuple(f for f in FEATURES if f not in OPTIONAL_FEATURES)
TEAM_WINDOW = 15
EWM_HALFLIFE = 5
_STATS = ("points", "minutes", "fga", "fta", "fg3a", "usage_rate")


def season_of(game_date: pd.Timestamp) -> str:
    """NBA season label ('2023-24') for a date; seasons turn over in August."""
    start = game_date.year if game_date.month >= 8 else game_date.year - 1
    return f"{start}-{str(start + 1)[-2:]}"


def season_start_year(dates: pd.Series) -> np.ndarray:
    """Vectorized season_of as the season's first calendar year (2023 for 2023-24)."""
    d = pd.to_datetime(dates)
    return np.where(d.dt.month >= 8, d.dt.year, d.dt.year - 1).astype(int)


def _window_sum(cum: pd.Series, group: pd.Series, n: int) -> pd.Series:
    """Sum over the last `n` rows of each group, from a within-group cumulative sum."""
    return cum - cum.groupby(group, sort=False).shift(n).fillna(0.0)


def player_states(history: pd.DataFrame) -> pd.DataFrame:
    """One row per player game: every player statistic over the games up to and including it.

    A feature row for date D uses the latest state with game_date < D, so these may include
    any game; the cut happens in the as-of join.
    """
    h = history[["player_lookup", "game_date", *_STATS]].copy()
    h["player_lookup"] = h["player_lookup"].astype(str)
    h["game_date"] = pd.to_datetime(h["game_date"]).astype("datetime64[ns]")
    for col in _STATS:
        h[col] = pd.to_numeric(h[col]).astype(float)
    h = h.sort_values(["player_lookup", "game_date"], kind="stable").reset_index(drop=True)
    h["season_year"] = season_start_year(h["game_date"])
    # Group by integer codes: factorizing the strings once, not once per groupby.
    player = pd.Series(pd.factorize(h["player_lookup"])[0], index=h.index)
    player_season = pd.Series(pd.factorize(h["player_lookup"] + "|" + h["season_year"].astype(
        str))[0], index=h.index)
    n = h.groupby(player, sort=False).cumcount() + 1
    n_season = h.groupby(player_season, sort=False).cumcount() + 1

    s = pd.DataFrame({"player_lookup": h["player_lookup"], "game_date": h["game_date"],
                      "season_year": h["season_year"]})
    for col in _STATS:
        filled = h[col].fillna(0.0)
        present = h[col].notna().astype(float)
        cum, cnt = filled.groupby(player, sort=False).cumsum(), present.groupby(
            player, sort=False).cumsum()
        for w in (3, 5, 10, 20):
            s[f"_{col}_sum{w}"] = _window_sum(cum, player, w)
            s[f"_{col}_cnt{w}"] = _window_sum(cnt, player, w)
        s[f"_{col}_sum_season"] = filled.groupby(player_season, sort=False).cumsum()
        s[f"_{col}_cnt_season"] = present.groupby(player_season, sort=False).cumsum()

    def avg(col: str, w: int | str) -> pd.Series:
        cnt = s[f"_{col}_cnt{w}"]
        return (s[f"_{col}_sum{w}"] / cnt).where(cnt > 0)

    out = s[["player_lookup", "game_date", "season_year"]].copy()
    for w in (3, 5, 10, 20):
        out[f"pts_avg_last{w}"] = avg("points", w)
    out["pts_avg_season"] = avg("points", "_season")
    out["pts_ewm_h5"] = h.groupby(player, sort=False)["points"].transform(
        lambda x: x.ewm(halflife=EWM_HALFLIFE).mean())
    roll = h.groupby(player, sort=False)["points"].rolling(10, min_periods=1)
    out["pts_std_last10"] = roll.std().to_numpy()
    out["pts_max_last10"] = roll.max().to_numpy()
    out["pts_last_game"] = h["points"]
    for w in (5, 10):
        out[f"min_avg_last{w}"] = avg("minutes", w)
        out[f"fga_avg_last{w}"] = avg("fga", w)
    out["min_avg_season"] = avg("minutes", "_season")
    out["min_last_game"] = h["minutes"]
    out["usage_avg_last10"] = avg("usage_rate", 10)
    out["usage_avg_season"] = avg("usage_rate", "_season")
    out["fta_avg_last10"] = avg("fta", 10)
    out["fg3a_avg_last10"] = avg("fg3a", 10)
    shots10 = 2.0 * (s["_fga_sum10"] + 0.44 * s["_fta_sum10"])
    out["ts_pct_last10"] = (s["_points_sum10"] / shots10).where(shots10 > 0)
    out["pts_per_min_last10"] = (s["_points_sum10"] / s["_minutes_sum10"]).where(
        s["_minutes_sum10"] > 0)
    out["pts_per_min_season"] = (s["_points_sum_season"] / s["_minutes_sum_season"]).where(
        s["_minutes_sum_season"] > 0)
    out["games_played_season"] = n_season.astype(float)
    out["_games_total"] = n.astype(float)
    return out


SEASON_FEATURES = ("pts_avg_season", "min_avg_season", "usage_avg_season", "pts_per_min_season")


def season_averages(history: pd.DataFrame) -> pd.DataFrame:
    """Full-season points average per (player, season start year), for the next season's rows."""
    h = pd.DataFrame({"player_lookup": history["player_lookup"].astype(str),
                      "season_year": season_start_year(history["game_date"]),
                      "points": pd.to_numeric(history["points"]).astype(float)})
    return h.groupby(["player_lookup", "season_year"], as_index=False).agg(
        pts_avg_prev_season=("points", "mean"))


def team_states(offense: pd.DataFrame, defense: pd.DataFrame) -> pd.DataFrame:
    """Per team game: the team's pace/offense and what it allowed, over its last TEAM_WINDOW."""
    def rolled(frame: pd.DataFrame, spec: dict[str, str]) -> pd.DataFrame:
        f = frame[["team_abbr", "game_date", *spec]].copy()
        f["team_abbr"] = f["team_abbr"].astype(str)
        f["game_date"] = pd.to_datetime(f["game_date"]).astype("datetime64[ns]")
        f = f.sort_values(["team_abbr", "game_date"], kind="stable").reset_index(drop=True)
        out = f[["team_abbr", "game_date"]].copy()
        grp = f.groupby("team_abbr", sort=False)
        for col, name in spec.items():
            out[name] = grp[col].transform(
                lambda x: pd.to_numeric(x).astype(float).rolling(TEAM_WINDOW, min_periods=1)
                .mean())
        return out

    off = rolled(offense, {"pace": "team_pace_last15", "offensive_rating":
                           "team_off_rating_last15"})
    dfn = rolled(defense, {"defensive_rating": "opp_def_rating_last15", "pace":
                           "opp_pace_last15", "points_allowed": "opp_pts_allowed_last15"})
    return off.merge(dfn, on=["team_abbr", "game_date"], how="outer")


def _as_of(rows: pd.DataFrame, states: pd.DataFrame, left_by: str, right_by: str,
           date_name: str) -> pd.DataFrame:
    """Each row's latest state strictly before its game date (no same-day data)."""
    states = states.rename(columns={"game_date": date_name, right_by: left_by})
    merged = pd.merge_asof(
        rows.sort_values("game_date", kind="stable"),
        states.sort_values(date_name, kind="stable"),
        left_on="game_date", right_on=date_name, by=left_by,
        allow_exact_matches=False, direction="backward",
    )
    return merged


def build_feature_rows(context: pd.DataFrame, history: pd.DataFrame, offense: pd.DataFrame,
                       defense: pd.DataFrame, created_at: pd.Timestamp) -> pd.DataFrame:
    """Feature rows for every (date, player) in `context`, each from games before its date.

    `history` is player_game_summary, `offense`/`defense` the team summaries; all may include
    dates on or after a context date (a range backfill): the as-of joins cut them per row.
    """
    if context.empty:
        return pd.DataFrame()
    rows = context.drop(columns=["last_game_date", "days_since_last_game"], errors="ignore")
    rows = rows.assign(game_date=pd.to_datetime(rows["game_date"]).astype("datetime64[ns]"),
                       player_lookup=rows["player_lookup"].astype(str),
                       team_abbr=rows["team_abbr"].astype(str),
                       opponent_abbr=rows["opponent_abbr"].astype(str))
    rows["_row"] = np.arange(len(rows))
    rows["_season_year"] = season_start_year(rows["game_date"])

    if len(history):
        rows = _as_of(rows, player_states(history), "player_lookup", "player_lookup",
                      "last_game_date")
        new_season = rows["season_year"] != rows["_season_year"]
        rows.loc[new_season, list(SEASON_FEATURES)] = np.nan
        rows.loc[new_season, "games_played_season"] = 0.0
        prev = season_averages(history).rename(columns={"season_year": "_prev_year"})
        rows["_prev_year"] = rows["_season_year"] - 1
        rows = rows.merge(prev, on=["player_lookup", "_prev_year"], how="left")
    else:
        rows["last_game_date"] = pd.NaT
        rows["pts_avg_prev_season"] = np.nan

    teams = team_states(offense, defense) if len(offense) and len(defense) else pd.DataFrame(
        columns=["team_abbr", "game_date", "team_pace_last15", "team_off_rating_last15",
                 "opp_def_rating_last15", "opp_pace_last15", "opp_pts_allowed_last15"])
    teams = teams.astype({"game_date": "datetime64[ns]", "team_abbr": str})
    own = teams[["team_abbr", "game_date", "team_pace_last15", "team_off_rating_last15"]]
    opp = teams[["team_abbr", "game_date", "opp_def_rating_last15", "opp_pace_last15",
                 "opp_pts_allowed_last15"]]
    rows = _as_of(rows, own, "team_abbr", "team_abbr", "_team_date")
    rows = _as_of(rows, opp, "opponent_abbr", "team_abbr", "_opp_date")
    rows = rows.sort_values("_row", kind="stable").reset_index(drop=True)

    rows["source_max_game_date"] = rows[["last_game_date", "_team_date", "_opp_date"]].max(
        axis=1)
    rows["days_since_last_game"] = (rows["game_date"] - rows["last_game_date"]).dt.days
    rows["is_back_to_back"] = (rows["days_since_last_game"] == 1).astype(float).where(
        rows["days_since_last_game"].notna())
    rows["is_home"] = rows["is_home"].astype(float)
    rows["pts_trend_5v_season"] = rows["pts_avg_last5"] - rows["pts_avg_season"]
    rows["min_trend_5v_season"] = rows["min_avg_last5"] - rows["min_avg_season"]
    rows["points_line"] = pd.to_numeric(rows["points_line"]).astype(float)
    rows["line_minus_avg10"] = rows["points_line"] - rows["pts_avg_last10"]
    rows["line_minus_season"] = rows["points_line"] - rows["pts_avg_season"]
    rows["games_played_season"] = rows["games_played_season"].fillna(0.0)
    for f in FEATURES:
        rows[f] = pd.to_numeric(rows[f], errors="coerce").astype(float)
    rows["feature_version"] = FEATURE_VERSION
    rows["feature_count"] = len(FEATURES)
    rows["completeness"] = rows[list(REQUIRED_FEATURES)].notna().mean(axis=1)
    rows["created_at"] = created_at
    return rows.drop(columns=[c for c in rows.columns if c.startswith("_")] + ["season_year"],
                     errors="ignore")
