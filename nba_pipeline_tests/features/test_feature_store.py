"""ml_feature_store_v2 on real slices: point-in-time proof, a naive reference, range = per-date."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from nba_pipeline.features import feature_store as fs
from nba_pipeline.storage.schema import table_schema
from nba_pipeline_tests.features.real_slice import real_tables

D = pd.Timestamp("2024-03-05")
CREATED = pd.Timestamp("2024-03-05 12:00", tz="UTC")


@pytest.fixture(scope="module")
def tables():
    return real_tables()


def _features(tables, context: pd.DataFrame, history=None, offense=None, defense=None):
    return fs.build_feature_rows(
        context,
        tables.player_game_summary if history is None else history,
        tables.team_offense if offense is None else offense,
        tables.team_defense if defense is None else defense,
        created_at=CREATED,
    )


def _day(tables, day: pd.Timestamp = D) -> pd.DataFrame:
    ctx = tables.context
    return ctx[ctx["game_date"] == day]


def test_feature_list_is_ordered_versioned_and_in_the_ddl(tables) -> None:
    assert len(fs.FEATURES) >= 25
    assert len(set(fs.FEATURES)) == len(fs.FEATURES)
    ddl = table_schema("nba_precompute.ml_feature_store_v2").column_names
    assert [c for c in ddl if c in fs.FEATURES] == list(fs.FEATURES)
    rows = _features(tables, _day(tables))
    assert (rows["feature_version"] == fs.FEATURE_VERSION).all()
    assert (rows["feature_count"] == len(fs.FEATURES)).all()
    assert rows["completeness"].between(0, 1).all()
    assert rows["completeness"].mean() > 0.95
    assert (rows["source_max_game_date"] < rows["game_date"]).all()
    assert rows["points_line"].notna().sum() > 50


def test_games_on_or_after_the_date_cannot_change_its_features(tables) -> None:
    """Corrupt every game on/after D with absurd values: D's features must not move."""
    clean = _features(tables, _day(tables))
    pgs = tables.player_game_summary.copy()
    future = pgs["game_date"] >= D
    for col in ("points", "minutes", "fga", "fta", "fg3a", "usage_rate"):
        pgs.loc[future, col] = 999
    off, dfn = tables.team_offense.copy(), tables.team_defense.copy()
    for frame in (off, dfn):
        cols = [c for c in ("pace", "offensive_rating", "defensive_rating", "points_allowed")
                if c in frame.columns]
        frame.loc[frame["game_date"] >= D, cols] = 999
    corrupted = _features(tables, _day(tables), pgs, off, dfn)
    truncated = _features(tables, _day(tables), pgs[~future], off[off["game_date"] < D],
                          dfn[dfn["game_date"] < D])
    cols = [*fs.FEATURES, "source_max_game_date", "completeness"]
    pd.testing.assert_frame_equal(clean[cols], corrupted[cols])
    pd.testing.assert_frame_equal(clean[cols], truncated[cols])
    assert future.sum() > 1000  # the corruption really touched games


def _naive(history: pd.DataFrame, offense: pd.DataFrame, defense: pd.DataFrame,
           row: pd.Series) -> dict[str, float]:
    """One player, one date, computed the slow obvious way."""
    d = row["game_date"]
    h = history[(history["player_lookup"] == row["player_lookup"]) & (history["game_date"] < d)]
    h = h.sort_values("game_date")
    season = h[h["game_date"] >= pd.Timestamp(f"{d.year if d.month >= 8 else d.year - 1}-08-01")]
    prev_start = pd.Timestamp(f"{(d.year if d.month >= 8 else d.year - 1) - 1}-08-01")
    prev = h[(h["game_date"] >= prev_start) & (h["game_date"] < prev_start + pd.DateOffset(
        years=1))]
    pts = h["points"].astype(float)
    opp = defense[(defense["team_abbr"] == row["opponent_abbr"]) & (defense["game_date"] < d)]
    last10 = h.tail(10)
    shots = 2 * (last10["fga"].sum() + 0.44 * last10["fta"].sum())
    return {
        "pts_avg_last3": pts.tail(3).mean(), "pts_avg_last10": pts.tail(10).mean(),
        "pts_avg_last20": pts.tail(20).mean(),
        "pts_avg_season": season["points"].astype(float).mean(),
        "pts_std_last10": pts.tail(10).std(), "pts_max_last10": pts.tail(10).max(),
        "pts_ewm_h5": pts.tail(fs.EWM_GAMES).ewm(halflife=fs.EWM_HALFLIFE).mean().iloc[-1],
        "pts_last_game": pts.iloc[-1],
        "min_avg_last5": h["minutes"].tail(5).mean(),
        "usage_avg_season": season["usage_rate"].mean(),
        "games_played_season": float(len(season)),
        "ts_pct_last10": last10["points"].sum() / shots,
        "days_since_last_game": float((d - h["game_date"].iloc[-1]).days),
        "opp_def_rating_last15": opp.sort_values("game_date")["defensive_rating"].tail(15).mean(),
        "pts_avg_prev_season": prev["points"].astype(float).mean() if len(prev) else np.nan,
    }


def test_vectorized_pass_matches_a_naive_per_player_reference(tables) -> None:
    day = _day(tables)
    rows = _features(tables, day)
    hist = tables.player_game_summary
    checked = 0
    for _, row in rows.sample(25, random_state=3).iterrows():
        if not (hist["player_lookup"] == row["player_lookup"]).any():
            continue
        want = _naive(hist, tables.team_offense, tables.team_defense, row)
        for name, value in want.items():
            assert np.isclose(row[name], value, equal_nan=True), (row["player_lookup"], name,
                                                                   row[name], value)
        checked += 1
    assert checked >= 20


def test_one_range_pass_equals_one_pass_per_date(tables) -> None:
    ctx = tables.context
    days = pd.date_range("2024-03-01", "2024-03-10")
    together = _features(tables, ctx[ctx["game_date"].isin(days)])
    apart = pd.concat([_features(tables, ctx[ctx["game_date"] == d]) for d in days
                       if (ctx["game_date"] == d).any()], ignore_index=True)
    keys = ["game_date", "player_lookup"]
    cols = [*keys, *fs.FEATURES, "source_max_game_date"]
    pd.testing.assert_frame_equal(
        together[cols].sort_values(keys).reset_index(drop=True),
        apart[cols].sort_values(keys).reset_index(drop=True))


def test_a_new_season_starts_season_features_from_zero(tables) -> None:
    """On a season's first date the season columns are empty, the previous season is known."""
    pgs = tables.player_game_summary
    ctx = _day(tables).assign(game_date=pd.Timestamp("2024-10-22"))
    rows = _features(tables, ctx)
    assert (rows["games_played_season"] == 0).all()
    assert rows["pts_avg_season"].isna().all()
    known = rows["pts_avg_prev_season"].notna()
    assert known.mean() > 0.9
    r = rows[known].iloc[0]
    season = pgs[(pgs["player_lookup"] == r["player_lookup"])
                 & (pgs["game_date"] >= pd.Timestamp("2023-08-01"))]
    assert np.isclose(r["pts_avg_prev_season"], season["points"].astype(float).mean())


def test_empty_context_gives_an_empty_frame(tables) -> None:
    assert _features(tables, tables.context.iloc[0:0]).empty


def test_one_pass_is_much_faster_than_a_query_per_player(tables) -> None:
    """Guard for the bench: the day's pass beats a per-player filter loop by a wide margin."""
    day, hist = _day(tables), tables.player_game_summary

    def naive() -> None:
        for row in day.itertuples():
            h = hist[(hist["player_lookup"] == row.player_lookup)
                     & (hist["game_date"] < row.game_date)].sort_values("game_date")
            h["points"].tail(10).mean(), h["minutes"].tail(5).mean()

    def timed(fn) -> float:
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - started)
        return best

    fast = timed(lambda: _features(tables, day))
    slow = timed(naive)
    assert slow / fast > 10, (slow, fast)


def test_games_older_than_the_history_window_do_not_count(tables) -> None:
    """What the asset does not load cannot matter: push old games beyond the window, or drop
    them, and D's features are the same (so a range pass over all history = a day's run)."""
    pgs, off, dfn = (tables.player_game_summary.copy(), tables.team_offense.copy(),
                     tables.team_defense.copy())
    cut = D - pd.Timedelta(days=12)  # later than most last-10/15/20 windows reach
    shift = pd.Timedelta(days=fs.PLAYER_HISTORY_DAYS + 30)
    old = pgs["game_date"] < cut
    pgs_shifted = pgs.assign(game_date=pgs["game_date"].where(~old, pgs["game_date"] - shift))
    moved = _features(tables, _day(tables), pgs_shifted, off, dfn)
    player_dropped = _features(tables, _day(tables), pgs[~old], off, dfn)
    cols = [*fs.FEATURES, "source_max_game_date"]
    pd.testing.assert_frame_equal(moved[cols], player_dropped[cols])
    team_shift = pd.Timedelta(days=fs.TEAM_HISTORY_DAYS + 30)

    def push(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(game_date=frame["game_date"].where(
            frame["game_date"] >= cut, frame["game_date"] - team_shift))

    moved = _features(tables, _day(tables), pgs, push(off), push(dfn))
    team_dropped = _features(tables, _day(tables), pgs, off[off["game_date"] >= cut],
                             dfn[dfn["game_date"] >= cut])
    pd.testing.assert_frame_equal(moved[cols], team_dropped[cols])
    assert old.sum() > 1000 and (off["game_date"] < cut).sum() > 100
    # and those old games do matter while inside the window:
    full = _features(tables, _day(tables))
    assert not np.allclose(full["pts_avg_last20"], player_dropped["pts_avg_last20"],
                           equal_nan=True)
    assert not np.allclose(full["opp_def_rating_last15"], team_dropped["opp_def_rating_last15"],
                           equal_nan=True)
