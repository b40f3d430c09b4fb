"""ml_feature_store_v2 on real slices: point-in-time proof, a naive reference, range = per-date."""

from __future__ import annotations

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


NO_LINES = pd.DataFrame()


def _features(tables, context: pd.DataFrame, history=None, offense=None, defense=None,
              game_lines=None):
    return fs.build_feature_rows(
        context,
        tables.player_game_summary if history is None else history,
        tables.team_offense if offense is None else offense,
        tables.team_defense if defense is None else defense,
        created_at=CREATED,
        game_lines=tables.game_lines if game_lines is None else game_lines,
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
    # Game lines of every other date (the next days' closing lines) set to absurd values.
    lines = tables.game_lines.copy()
    lines.loc[lines["game_date"] != D, ["home_spread", "total"]] = 999.0
    corrupted = _features(tables, _day(tables), pgs, off, dfn, lines)
    # ...and the box scores on/after D dropped (who appeared then cannot change absences).
    truncated = _features(tables, _day(tables), pgs[~future], off[off["game_date"] < D],
                          dfn[dfn["game_date"] < D], lines[lines["game_date"] == D])
    cols = [*fs.FEATURES, "source_max_game_date", "completeness"]
    pd.testing.assert_frame_equal(clean[cols], corrupted[cols])
    pd.testing.assert_frame_equal(clean[cols], truncated[cols])
    assert future.sum() > 1000  # the corruption really touched games
    assert (lines["game_date"] > D).sum() > 50
    for name in NEW_FEATURES:  # and every new feature is really computed on D
        assert clean[name].notna().mean() > 0.8, name


def test_players_absent_after_the_date_do_not_count_as_absent_before_it(tables) -> None:
    """Remove every appearance on/after D of the day's best-known players (as if injured from
    D on): D's absence features are unchanged; the absence shows only on later dates."""
    pgs = tables.player_game_summary
    day = _day(tables)
    stars = day.merge(tables.features[tables.features["game_date"] == D],
                      on=["game_date", "player_lookup"]).nlargest(30, "pts_avg_last10")
    gone = pgs["player_lookup"].isin(stars["player_lookup"]) & (pgs["game_date"] >= D)
    clean = _features(tables, day)
    without = _features(tables, day, pgs[~gone])
    cols = ["rotation_absent_count", "rotation_absent_pts", "rotation_absent_min",
            "games_missed_before", "source_max_game_date"]
    pd.testing.assert_frame_equal(clean[cols], without[cols])
    later = tables.context[tables.context["game_date"] == D + pd.Timedelta(days=3)]
    assert (_features(tables, later, pgs[~gone])["rotation_absent_count"]
            > _features(tables, later)["rotation_absent_count"]).any()


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


def _naive_availability(history: pd.DataFrame, row: pd.Series) -> dict[str, float]:
    """Rotation absences, games missed and the share of team points, the slow obvious way."""
    d, team = row["game_date"], row["team_abbr"]
    h = history[history["game_date"] < d]
    team_points = h.groupby(["game_id", "team_abbr"])["points"].sum().rename("team_points")
    mine = h[(h["player_lookup"] == row["player_lookup"])
             & (h["game_date"] >= d - pd.Timedelta(days=fs.PLAYER_HISTORY_DAYS))]
    mine = mine.join(team_points, on=["game_id", "team_abbr"]).sort_values("game_date").tail(10)
    out = {"pts_share_last10": mine["points"].sum() / mine["team_points"].sum()
           if len(mine) else np.nan}
    games = (h[h["team_abbr"] == team].drop_duplicates("game_id").sort_values("game_date"))
    if games.empty:
        return {**out, "rotation_absent_count": np.nan, "games_missed_before": np.nan}
    last = games.iloc[-1]
    window = games.tail(fs.ROTATION_GAMES)
    window = window[window["game_date"] >= last["game_date"]
                    - pd.Timedelta(days=fs.ROTATION_DAYS)]
    apps = h[(h["team_abbr"] == team) & h["game_id"].isin(window["game_id"])]
    count = pts = mins = 0.0
    for player, g in apps.groupby("player_lookup"):
        rotation = len(g) >= fs.ROTATION_MIN_GAMES and g["minutes"].mean() >= (
            fs.ROTATION_MIN_MINUTES)
        if rotation and player != row["player_lookup"] and last["game_id"] not in set(
                g["game_id"]):
            count, pts, mins = count + 1, pts + g["points"].mean(), mins + g["minutes"].mean()
    out.update(rotation_absent_count=count, rotation_absent_pts=pts, rotation_absent_min=mins)
    if len(mine):
        out["games_missed_before"] = float((games["game_date"] > mine["game_date"].max()).sum())
    else:
        out["games_missed_before"] = np.nan
    return out


NEW_FEATURES = ("implied_team_points", "expected_margin", "pts_share_last10",
                "share_implied_points", "rotation_absent_count", "rotation_absent_pts",
                "rotation_absent_min", "games_missed_before", "min_trend_3v10")


def test_availability_features_match_a_naive_per_player_reference(tables) -> None:
    rows = _features(tables, _day(tables))
    hist = tables.player_game_summary
    absent_seen = missed_seen = 0
    for _, row in rows.sample(40, random_state=5).iterrows():
        want = _naive_availability(hist, row)
        for name, value in want.items():
            assert np.isclose(row[name], value, equal_nan=True), (row["player_lookup"], name,
                                                                   row[name], value)
        absent_seen += want["rotation_absent_count"] > 0
        missed_seen += want["games_missed_before"] > 0
    assert absent_seen >= 5 and missed_seen >= 2  # the sample exercises both


def test_game_line_features_follow_the_spread_sign(tables) -> None:
    """home_spread < 0 = home favoured: the favourite's implied points are the larger, both
    sides sum to the total, and the margin is the team's side of the spread."""
    rows = _features(tables, _day(tables))
    lines = tables.game_lines[tables.game_lines["game_date"] == D].set_index("game_id")
    assert len(lines) >= 5 and rows["implied_team_points"].notna().all()
    for game_id, game in rows.groupby("game_id"):
        line = lines.loc[game_id]
        home = game[game["is_home"] == 1.0].iloc[0]
        away = game[game["is_home"] == 0.0].iloc[0]
        assert np.isclose(home["implied_team_points"] + away["implied_team_points"],
                          line["total"])
        assert np.isclose(home["expected_margin"], -line["home_spread"])
        assert np.isclose(away["expected_margin"], line["home_spread"])
        assert np.isclose(home["implied_team_points"],
                          (line["total"] - line["home_spread"]) / 2)
        favourite = home if line["home_spread"] < 0 else away
        underdog = away if line["home_spread"] < 0 else home
        assert favourite["implied_team_points"] >= underdog["implied_team_points"]
    assert rows["implied_team_points"].between(85, 145).all()
    assert np.allclose(rows["share_implied_points"],
                       rows["pts_share_last10"] * rows["implied_team_points"], equal_nan=True)


def test_a_day_without_game_lines_gives_nan_line_features_only(tables) -> None:
    """Live may lack the lines: their features are NaN and optional, nothing else moves."""
    with_lines = _features(tables, _day(tables))
    without = _features(tables, _day(tables), game_lines=NO_LINES)
    line_features = ["implied_team_points", "expected_margin", "share_implied_points"]
    assert without[line_features].isna().all().all()
    assert set(line_features) <= set(fs.OPTIONAL_FEATURES)
    rest = [f for f in fs.FEATURES if f not in line_features]
    pd.testing.assert_frame_equal(with_lines[[*rest, "completeness"]],
                                  without[[*rest, "completeness"]])


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


def _rotation_regulars(tables, team: str, n: int = 2) -> list[str]:
    """`n` players of `team` with 15+ minutes in each of its last 5 games before D."""
    pgs = tables.player_game_summary
    before = pgs[(pgs["team_abbr"] == team) & (pgs["game_date"] < D)]
    last5 = sorted(before["game_id"].unique(), key=lambda g: before.loc[
        before["game_id"] == g, "game_date"].iloc[0])[-5:]
    recent = before[before["game_id"].isin(last5) & (before["minutes"] >= 15)]
    counts = recent.groupby("player_lookup")["game_id"].nunique()
    return sorted(counts[counts == 5].index)[:n]


def _report(team: str, players: list[str], at: str, status: str = "Out") -> pd.DataFrame:
    return pd.DataFrame({"game_date": [D] * len(players),
                         "report_time_utc": [pd.Timestamp(at, tz="UTC")] * len(players),
                         "team_abbr": [team] * len(players), "player_lookup": players,
                         "status": [status] * len(players)})


def test_teammates_reported_out_before_tip_off_are_the_absent_rotation(tables) -> None:
    """A pre-game report covering a team replaces the previous-game proxy for that team's rows
    on that date; a report published after tip-off changes nothing (point-in-time)."""
    day = _day(tables)
    team = day["team_abbr"].value_counts().index[0]
    out = _rotation_regulars(tables, team)
    assert len(out) == 2
    clean = _features(tables, day)
    cols = ["rotation_absent_count", "rotation_absent_pts", "rotation_absent_min"]

    def with_report(report: pd.DataFrame) -> pd.DataFrame:
        return fs.build_feature_rows(day, tables.player_game_summary, tables.team_offense,
                                     tables.team_defense, created_at=CREATED,
                                     game_lines=tables.game_lines, injury_report=report)

    reported = with_report(_report(team, out, "2024-03-05 17:30"))
    mates = (reported["team_abbr"] == team) & ~reported["player_lookup"].isin(out)
    assert mates.sum() > 5
    assert (reported.loc[mates, "rotation_absent_count"] == 2).all()
    assert (reported.loc[mates, "rotation_absent_min"] >= 30).all()
    # each reported player's own row counts only the other one
    assert (reported.loc[reported["player_lookup"].isin(out), "rotation_absent_count"]
            == 1).all()
    # other teams' rows keep the proxy
    others = reported["team_abbr"] != team
    pd.testing.assert_frame_equal(reported.loc[others, cols], clean.loc[others, cols])
    # published after a 19:00 ET (00:00 UTC) tip: not pre-game knowledge, nothing moves
    late = with_report(_report(team, out, "2024-03-06 01:00"))
    pd.testing.assert_frame_equal(late[cols], clean[cols])
    # a later report clearing them (Available) supersedes the Out: nobody is absent
    cleared = with_report(pd.concat([_report(team, out, "2024-03-05 17:30"),
                                     _report(team, out, "2024-03-05 22:00", "Available")]))
    assert (cleared.loc[mates, "rotation_absent_count"] == 0).all()
