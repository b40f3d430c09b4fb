"""Analytics transforms on real replayed slices: lines, rates, rest, team summaries, context."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nba_pipeline.domain import analytics
from nba_pipeline_tests.features.real_slice import real_raw, real_tables


@pytest.fixture(scope="module")
def raw() -> dict[str, pd.DataFrame]:
    return real_raw()


@pytest.fixture(scope="module")
def pgs() -> pd.DataFrame:
    return real_tables().player_game_summary


def test_consensus_picks_main_line_per_book_then_median() -> None:
    base = {"game_date": pd.Timestamp("2024-03-02"), "event_id": "e1",
            "commence_time_utc": pd.Timestamp("2024-03-03 00:30"), "home_team_abbr": "LAL",
            "away_team_abbr": "DEN", "player_lookup": "austinreaves"}
    lines = pd.DataFrame([
        # book a: an alternate ladder; the main line is 13.5 (prices closest).
        {**base, "bookmaker": "a", "line_value": 10.5, "over_price": -300, "under_price": 220},
        {**base, "bookmaker": "a", "line_value": 13.5, "over_price": -115, "under_price": -105},
        {**base, "bookmaker": "a", "line_value": 16.5, "over_price": 250, "under_price": -350},
        {**base, "bookmaker": "b", "line_value": 14.5, "over_price": -110, "under_price": -110},
        {**base, "bookmaker": "c", "line_value": 15.5, "over_price": -112, "under_price": -108},
        # no prices: ignored
        {**base, "bookmaker": "d", "line_value": 30.5, "over_price": None, "under_price": None},
    ])
    out = analytics.consensus_lines(lines)
    assert len(out) == 1
    assert out.loc[0, "points_line"] == 14.5  # median of 13.5, 14.5, 15.5
    assert out.loc[0, "line_books"] == 3


def test_line_date_is_the_eastern_tipoff_date() -> None:
    """A 8:30 pm ET tip is 01:30 UTC the next day: the line belongs to the ET date."""
    lines = pd.DataFrame([{
        "game_date": pd.Timestamp("2024-03-03"), "event_id": "e1", "bookmaker": "b",
        "commence_time_utc": pd.Timestamp("2024-03-03 01:30"), "home_team_abbr": "LAL",
        "away_team_abbr": "DEN", "player_lookup": "x", "line_value": 20.5,
        "over_price": -110, "under_price": -110}])
    assert analytics.consensus_lines(lines)["game_date"].iloc[0] == pd.Timestamp("2024-03-02")


def test_real_lines_join_players_and_miss_like_a_book(pgs: pd.DataFrame) -> None:
    with_line = pgs[pgs["points_line"].notna()]
    assert len(with_line) > 800
    assert with_line["game_date"].min() == pd.Timestamp("2024-03-02")
    mae = (with_line["points"] - with_line["points_line"]).abs().mean()
    assert 4.0 < mae < 6.5, mae  # books miss by ~5 points; far off would mean a bad join
    over = with_line["over_under_result"].value_counts(normalize=True)
    assert 0.4 < over["OVER"] < 0.6
    diff = with_line["points"] - with_line["points_line"]
    assert ((with_line["over_under_result"] == "OVER") == (diff > 0)).all()
    assert pgs.loc[pgs["points_line"].isna(), "over_under_result"].isna().all()


def test_shooting_splits_usage_and_true_shooting(pgs: pd.DataFrame) -> None:
    played = pgs[pgs["minutes"] > 0]
    # Minutes-weighted usage of a team's players sums to ~100% of its plays.
    team_minutes = played.groupby(["game_id", "team_abbr"])["minutes"].transform("sum")
    share = (played["usage_rate"].fillna(0) * played["minutes"] / (team_minutes / 5.0))
    total = share.groupby([played["game_id"], played["team_abbr"]]).sum()
    # (short of 100 only where a 0-minute player, rounded down from seconds, used a play)
    assert (total <= 100.0 + 1e-6).all()
    assert np.isclose(total, 100.0).mean() > 0.97
    shots = played[played["fga"] + played["fta"] > 0]
    ts = shots["points"] / (2 * (shots["fga"] + 0.44 * shots["fta"]))
    assert np.allclose(shots["true_shooting_pct"], ts)
    assert pgs.loc[pgs["fga"] == 0, "fg_pct"].isna().all()
    assert ((pgs["fg_pct"].dropna() >= 0) & (pgs["fg_pct"].dropna() <= 1)).all()
    assert pgs["starter_flag"].isna().all()  # leaguegamelog has no starter information
    assert set(pgs["is_home"].unique()) == {True, False}


def test_rest_days_and_back_to_back_match_a_naive_walk(pgs: pd.DataFrame) -> None:
    player = pgs["player_lookup"].value_counts().index[0]
    rows = pgs[pgs["player_lookup"] == player].sort_values("game_date")
    dates = list(rows["game_date"])
    for i in range(1, len(dates)):
        gap = (dates[i] - dates[i - 1]).days
        assert rows["rest_days"].iloc[i] == gap - 1
        assert bool(rows["is_back_to_back"].iloc[i]) == (gap == 1)


def test_team_summaries_are_consistent_per_game() -> None:
    tables = real_tables()
    off, dfn = tables.team_offense, tables.team_defense
    assert off.groupby("game_id").size().eq(2).all()
    poss = off.groupby("game_id")["possessions"].nunique()
    assert poss.eq(1).all()  # both sides share the game's possession estimate
    assert off["pace"].between(80, 125).all()
    assert off["offensive_rating"].between(70, 160).all()
    merged = dfn.merge(off, left_on=["game_id", "opponent_abbr"],
                       right_on=["game_id", "team_abbr"], suffixes=("", "_opp"))
    assert (merged["points_allowed"] == merged["points"]).all()
    ratings = dfn.merge(off, on=["game_id", "team_abbr"])
    # A team's defensive rating is the opponent's offensive rating.
    opp_off = off.set_index(["game_id", "team_abbr"])["offensive_rating"]
    keyed = dfn.set_index(["game_id", "opponent_abbr"])["defensive_rating"]
    assert np.allclose(keyed.sort_index().to_numpy(), opp_off.sort_index().to_numpy())
    assert len(ratings) == len(dfn)


def _naive_context(schedule: pd.DataFrame, recent: pd.DataFrame, lines: pd.DataFrame,
                   recent_games: int = 10) -> pd.DataFrame:
    """Reference: the same rule, one date and one player at a time."""
    cons = analytics.consensus_lines(lines)
    out = []
    for d, games in schedule.groupby("game_date"):
        window = pd.Timedelta(days=analytics.ROSTER_LOOKBACK_DAYS)
        before = recent[(recent["game_date"] < d) & (recent["game_date"] >= d - window)]
        latest = {p: g.sort_values("game_date").iloc[-1] for p, g in before.groupby(
            "player_lookup")}
        priced = set(cons.loc[cons["game_date"] == d, "player_lookup"])
        for game in games.itertuples(index=False):
            for team, opp in ((game.home_team_abbr, game.away_team_abbr),
                              (game.away_team_abbr, game.home_team_abbr)):
                team_games = before[before["team_abbr"] == team]["game_date"].drop_duplicates()
                last_n = set(team_games.sort_values().tail(recent_games))
                for player, row in latest.items():
                    if row["team_abbr"] == team and (row["game_date"] in last_n
                                                     or player in priced):
                        out.append((d, player, team, opp))
    return pd.DataFrame(out, columns=["game_date", "player_lookup", "team_abbr", "opponent_abbr"])


def test_context_matches_a_per_player_reference(raw: dict[str, pd.DataFrame],
                                                pgs: pd.DataFrame) -> None:
    sched = raw["schedule"]
    days = sched[sched["game_date"].isin(pd.to_datetime(["2024-03-02", "2024-03-05"]))]
    recent = pgs[pgs["game_date"] >= pd.Timestamp("2023-12-15")]
    got = analytics.upcoming_player_game_context(days, recent, raw["lines"])
    want = _naive_context(days, recent, raw["lines"])
    keys = ["game_date", "player_lookup", "team_abbr", "opponent_abbr"]
    assert len(got) > 300
    pd.testing.assert_frame_equal(
        got[keys].astype(str).sort_values(keys).reset_index(drop=True),
        want[keys].astype(str).sort_values(keys).reset_index(drop=True))
    assert (got["last_game_date"] < got["game_date"]).all()
    assert (got["days_since_last_game"] >= 1).all()
    assert got["has_line"].sum() > 100
    assert not got.duplicated(["game_date", "player_lookup"]).any()


def test_context_ignores_games_on_or_after_its_date(raw: dict[str, pd.DataFrame],
                                                    pgs: pd.DataFrame) -> None:
    sched = raw["schedule"]
    day = sched[sched["game_date"] == pd.Timestamp("2024-03-05")]
    before = analytics.upcoming_player_game_context(day, pgs[pgs["game_date"] < "2024-03-05"],
                                                    raw["lines"])
    with_future = analytics.upcoming_player_game_context(day, pgs, raw["lines"])
    pd.testing.assert_frame_equal(before, with_future)


def test_a_books_other_spelling_joins_the_players_consensus(raw: dict[str, pd.DataFrame],
                                                            pgs: pd.DataFrame) -> None:
    """On 2024-03-05 one book lists `K. Caldwell-Pope` and `Caldwell Pope Kentavious`; both are
    Kentavious Caldwell-Pope of DEN, so his box-score and context rows count that book too."""
    day = pd.Timestamp("2024-03-05")
    lines = raw["lines"].assign(et=analytics.eastern_game_date(raw["lines"]))
    kcp = lines[(lines["et"] == day) & lines["player_name"].isin(
        ["Kentavious Caldwell-Pope", "K. Caldwell-Pope", "Caldwell Pope Kentavious"])]
    odd = set(kcp.loc[kcp["player_name"] != "Kentavious Caldwell-Pope", "bookmaker"])
    assert odd and not odd & set(kcp.loc[kcp["player_name"] == "Kentavious Caldwell-Pope",
                                          "bookmaker"])
    row = pgs[(pgs["game_date"] == day) & (pgs["player_lookup"] == "kentaviouscaldwellpope")]
    assert row["line_books"].tolist() == [kcp["bookmaker"].nunique()]
    context, matches = analytics.context_with_line_names(
        raw["schedule"][pd.to_datetime(raw["schedule"]["game_date"]) == day], pgs, raw["lines"])
    ctx = context[context["player_lookup"] == "kentaviouscaldwellpope"]
    assert ctx["line_books"].tolist() == [kcp["bookmaker"].nunique()]
    assert set(matches.loc[matches["player_lookup"] == "kentaviouscaldwellpope", "rule"]) == {
        "reordered", "first_name"}
    # No spelling the box scores know was re-matched, and none of the day was left unmatched.
    assert not matches["line_lookup"].isin(pgs["player_lookup"]).any()
    assert matches["rule"].notna().all()
