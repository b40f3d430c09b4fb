"""Phase 3 transforms: one clean row per player per game, team summaries, and the day's context.

Plain pandas over frames shaped like the `sql/` tables; no Dagster imports. Every function is
vectorized over a whole range of dates, so a single-run backfill of a season is one pass.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nba_pipeline.constants import BOX_SCORE_STATS, EASTERN, TEAM_TOTAL_STATS
from nba_pipeline.domain.matchups import matchup_sides
from nba_pipeline.domain.players import MATCH_COLUMNS, match_line_names

COUNT_COLUMNS = [c for c in BOX_SCORE_STATS if c != "pf"]


def implied_probability(american: pd.Series) -> pd.Series:
    """American odds -> implied probability (with the book's margin)."""
    american = american.astype(float)
    return pd.Series(
        np.where(american > 0, 100.0 / (american + 100.0), -american / (-american + 100.0)),
        index=american.index,
    )


def eastern_game_date(lines: pd.DataFrame) -> pd.Series:
    """The US-Eastern calendar date of each line's tip-off (The Odds API times are UTC).

    A 7:30 pm ET tip has the next UTC date, so joining on the UTC date would miss most games.
    Stored timestamps are naive UTC; rows without a tip-off time keep their `game_date`.
    """
    commence = pd.to_datetime(lines["commence_time_utc"])
    if commence.dt.tz is None:
        commence = commence.dt.tz_localize("UTC")
    et = commence.dt.tz_convert(EASTERN).dt.tz_localize(None).dt.normalize()
    return et.fillna(pd.to_datetime(lines["game_date"])).astype("datetime64[ns]")


def consensus_lines(lines: pd.DataFrame) -> pd.DataFrame:
    """Main line per book (the one whose two prices are closest), then the median across books.

    Returns one row per (game_date, player_lookup) with `points_line`, `line_books`, the event
    and its teams; `game_date` is the US-Eastern date of the tip-off.
    """
    cols = ["game_date", "player_lookup", "points_line", "line_books", "event_id",
            "home_team_abbr", "away_team_abbr", "commence_time_utc"]
    if lines.empty:
        return pd.DataFrame(columns=cols)
    priced = lines.dropna(subset=["over_price", "under_price", "line_value"]).copy()
    if priced.empty:
        return pd.DataFrame(columns=cols)
    priced["game_date"] = eastern_game_date(priced)
    priced["line_value"] = priced["line_value"].astype(float)
    priced["_gap"] = (
        implied_probability(priced["over_price"]) - implied_probability(priced["under_price"])
    ).abs()
    keys = ["game_date", "event_id", "bookmaker", "player_lookup"]
    main = priced.sort_values([*keys, "_gap", "line_value"]).drop_duplicates(keys, keep="first")
    grouped = main.groupby(["game_date", "player_lookup"], sort=True)
    out = grouped.agg(
        points_line=("line_value", "median"),
        line_books=("bookmaker", "nunique"),
        event_id=("event_id", "first"),
        home_team_abbr=("home_team_abbr", "first"),
        away_team_abbr=("away_team_abbr", "first"),
        commence_time_utc=("commence_time_utc", "first"),
    ).reset_index()
    return out[cols]


def resolve_line_names(lines: pd.DataFrame, candidates: pd.DataFrame, known: set[str],
                       dates: pd.Series | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lines whose spelling meets no known player take the lookup of the one player it matches.

    Done on the raw lines, before the consensus, so a book's other spelling adds to the same
    player's consensus instead of making a second row. `candidates` are the players of the date
    (box-score rows or expected players); `dates` limits the matching to the dates being built.
    Returns the lines and `match_line_names`' report (every unknown name, matched or not).
    """
    if lines.empty:
        return lines, pd.DataFrame(columns=MATCH_COLUMNS)
    names = lines[["player_lookup", "player_name", "home_team_abbr", "away_team_abbr"]].assign(
        game_date=eastern_game_date(lines).to_numpy(),
        player_lookup=lines["player_lookup"].astype(str))
    wanted = names if dates is None else names[names["game_date"].isin(
        pd.to_datetime(pd.Series(dates)).astype("datetime64[ns]"))]
    matches = match_line_names(wanted, candidates, known)
    hit = matches[matches["rule"].notna()]
    if hit.empty:
        return lines, matches
    keys = ["game_date", "player_lookup", "home_team_abbr", "away_team_abbr"]
    to = hit.rename(columns={"player_lookup": "_to"}).rename(
        columns={"line_lookup": "player_lookup"})[[*keys, "_to"]].assign(
        game_date=lambda f: pd.to_datetime(f["game_date"]).astype("datetime64[ns]"))
    mapped = names[keys].assign(
        game_date=pd.to_datetime(names["game_date"]).astype("datetime64[ns]")).merge(
        to, on=keys, how="left")["_to"].to_numpy()
    out = lines.copy()
    out["player_lookup"] = pd.Series(np.where(pd.isna(mapped), names["player_lookup"], mapped),
                                     index=lines.index).astype(lines["player_lookup"].dtype)
    return out, matches


def _ratio(num: pd.Series | np.ndarray, den: pd.Series | np.ndarray) -> np.ndarray:
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / den, np.nan)


def player_game_summary(box: pd.DataFrame, lines: pd.DataFrame, start: pd.Timestamp,
                        end: pd.Timestamp) -> pd.DataFrame:
    """Rows for games in [start, end); `box` may reach further back, for rest days.

    Minutes are decimal (leaguegamelog rounds to whole minutes; a source with MM:SS keeps the
    seconds). The consensus line joins on the player's US-Eastern game date and only when the
    player's team is in the line's event, so a name shared by two players cannot cross games.
    """
    if box.empty:
        return box.iloc[0:0]
    box = box.sort_values(["player_lookup", "game_date", "game_id"], kind="stable").copy()
    box["game_date"] = pd.to_datetime(box["game_date"]).astype("datetime64[ns]")
    prev = box.groupby("player_lookup", sort=False)["game_date"].shift(1)
    gap = (box["game_date"] - prev).dt.days
    box["rest_days"] = (gap - 1).astype("Int64")
    box["is_back_to_back"] = (gap == 1).astype("boolean").mask(gap.isna())

    cur = box[(box["game_date"] >= start) & (box["game_date"] < end)].copy()
    if cur.empty:
        return cur
    for col in COUNT_COLUMNS:
        cur[col] = pd.to_numeric(cur[col]).astype(float)
    cur["minutes"] = pd.to_numeric(cur["minutes"]).astype(float)
    team = cur.groupby(["game_id", "team_abbr"])[["minutes", "fga", "fta", "tov"]].transform("sum")
    player_poss = cur["fga"] + 0.44 * cur["fta"] + cur["tov"]
    team_poss = team["fga"] + 0.44 * team["fta"] + team["tov"]
    # Basketball-Reference usage: share of team plays used while on the floor.
    cur["usage_rate"] = 100.0 * _ratio(player_poss * (team["minutes"] / 5.0),
                                       cur["minutes"] * team_poss)
    cur["true_shooting_pct"] = _ratio(cur["points"], 2.0 * (cur["fga"] + 0.44 * cur["fta"]))
    cur["effective_fg_pct"] = _ratio(cur["fgm"] + 0.5 * cur["fg3m"], cur["fga"])
    cur["fg_pct"] = _ratio(cur["fgm"], cur["fga"])
    cur["fg3_pct"] = _ratio(cur["fg3m"], cur["fg3a"])
    cur["ft_pct"] = _ratio(cur["ftm"], cur["fta"])
    cur["fg2m"] = cur["fgm"] - cur["fg3m"]
    cur["fg2a"] = cur["fga"] - cur["fg3a"]
    # Raw box scores carry the schedule's orientation (orient_to_schedule); the text rule covers
    # a game the schedule lacks, neutral-site rows (`AWAY @ HOME` on both teams) included.
    cur["is_home"], cur["opponent_abbr"] = matchup_sides(cur["team_abbr"], cur["matchup"])
    cur["starter_flag"] = pd.Series(pd.NA, index=cur.index, dtype="boolean")

    # Candidates for a spelling no box score knows: the players of that date's box scores.
    lines, _ = resolve_line_names(lines, cur[["game_date", "team_abbr", "player_lookup",
                                              "player_name"]],
                                  set(box["player_lookup"].astype(str)), cur["game_date"].unique())
    cons = consensus_lines(lines)
    cons = cons.assign(game_date=pd.to_datetime(cons["game_date"]).astype("datetime64[ns]"))
    cur = cur.merge(cons[["game_date", "player_lookup", "points_line", "line_books",
                          "home_team_abbr", "away_team_abbr"]],
                    on=["game_date", "player_lookup"], how="left")
    in_event = (cur["team_abbr"] == cur["home_team_abbr"]) | (cur["team_abbr"] == cur[
        "away_team_abbr"])
    wrong_game = cur["points_line"].notna() & cur["home_team_abbr"].notna() & ~in_event.fillna(
        False).astype(bool)
    cur.loc[wrong_game, ["points_line", "line_books"]] = np.nan
    cur = cur.drop(columns=["home_team_abbr", "away_team_abbr"])
    cur["over_under_result"] = over_under(cur["points"], cur["points_line"])
    return cur


def over_under(points: pd.Series, line: pd.Series) -> pd.Series:
    """OVER / UNDER / PUSH of actual points against a line; None where there is no line."""
    diff = points.astype(float).to_numpy() - line.astype(float).to_numpy()
    result = np.select([diff > 0, diff < 0, diff == 0], ["OVER", "UNDER", "PUSH"], default="")
    return pd.Series(result, index=points.index, dtype="object").replace("", None)


def team_offense_summary(pgs: pd.DataFrame) -> pd.DataFrame:
    """One row per team per game: totals, possessions (both sides averaged), pace, ratings."""
    if pgs.empty:
        return pd.DataFrame()
    sums = [*TEAM_TOTAL_STATS, "minutes"]
    frame = pgs.assign(**{c: pd.to_numeric(pgs[c]).astype(float) for c in sums})
    team = frame.groupby(["game_date", "game_id", "team_abbr"], as_index=False).agg(
        **{c: (c, "sum") for c in sums},
        players_used=("player_lookup", "nunique"),
        opponent_abbr=("opponent_abbr", "first"),
        is_home=("is_home", "first"),
    )
    team["_poss"] = team["fga"] + 0.44 * team["fta"] - team["oreb"] + team["tov"]
    opp = team[["game_id", "team_abbr", "_poss"]].rename(
        columns={"team_abbr": "opponent_abbr", "_poss": "_opp_poss"}
    )
    team = team.merge(opp, on=["game_id", "opponent_abbr"], how="left")
    team["possessions"] = team[["_poss", "_opp_poss"]].mean(axis=1)
    # Team minutes are 240 per regulation game (+25 per overtime); 5 players on the floor.
    team_minutes = team["minutes"].where(team["minutes"] > 0, 240.0)
    team["pace"] = team["possessions"] * 48.0 / (team_minutes / 5.0)
    team["offensive_rating"] = 100.0 * team["points"] / team["possessions"]
    team["true_shooting_pct"] = _ratio(team["points"], 2.0 * (team["fga"] + 0.44 * team["fta"]))
    return team.drop(columns=["_poss", "_opp_poss", "minutes"])


def team_defense_summary(offense: pd.DataFrame) -> pd.DataFrame:
    """Each team's row is its opponent's offense in the same game."""
    if offense.empty:
        return pd.DataFrame()
    opp = offense.rename(columns={
        "team_abbr": "opponent_abbr", "opponent_abbr": "team_abbr", "points": "points_allowed",
        "fgm": "opp_fgm", "fga": "opp_fga", "fg3m": "opp_fg3m", "fg3a": "opp_fg3a",
        "fta": "opp_fta", "tov": "opp_tov",
    })
    opp["opp_reb"] = (offense["oreb"] + offense["dreb"]).to_numpy()
    opp["defensive_rating"] = 100.0 * opp["points_allowed"] / opp["possessions"]
    return opp[["game_date", "game_id", "team_abbr", "opponent_abbr", "points_allowed", "opp_fgm",
                "opp_fga", "opp_fg3m", "opp_fg3a", "opp_fta", "opp_tov", "opp_reb",
                "possessions", "pace", "defensive_rating"]]


# How far back a date's context looks for players' latest games (the asset loads this window).
# Long enough to cross an off-season: on opening night the expected players are those of each
# team's last 10 games of the previous season (otherwise nobody is expected until a team plays).
ROSTER_LOOKBACK_DAYS = 200
# A player with a line is looked up this far back (the feature store's player window): a star
# back from a season-long injury keeps his older history instead of getting no row at all.
LINE_LOOKBACK_DAYS = 550
CONTEXT_COLUMNS = ["game_date", "game_id", "player_lookup", "player_id", "player_name",
                   "team_abbr", "opponent_abbr", "is_home", "tipoff_utc", "has_line",
                   "points_line", "line_books", "last_game_date", "days_since_last_game",
                   "cold_start", "team_source"]
# cold_start: NULL for a player with a game in the roster window; "returning" (last game more
# than ROSTER_LOOKBACK_DAYS before), "new_team" (his latest team is not in his line's game),
# "rookie" (no game in LINE_LOOKBACK_DAYS). team_source: "roster" (expected), "latest_game"
# (a line player whose latest team plays), "line_count_guess" (see `_cold_start_rows`).
COLD_STARTS = ("returning", "new_team", "rookie")


def upcoming_player_game_context(schedule: pd.DataFrame, recent: pd.DataFrame,
                                 lines: pd.DataFrame, recent_games: int = 10,
                                 lookback_days: int = ROSTER_LOOKBACK_DAYS) -> pd.DataFrame:
    """Who is expected to play each scheduled game (see `context_with_line_names`)."""
    return context_with_line_names(schedule, recent, lines, recent_games, lookback_days)[0]


def context_with_line_names(schedule: pd.DataFrame, recent: pd.DataFrame,
                            lines: pd.DataFrame, recent_games: int = 10,
                            lookback_days: int = ROSTER_LOOKBACK_DAYS,
                            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Who is expected to play each scheduled game, from data available before tip-off.

    A player is expected for a team on date D when his latest game before D was for that team
    and was one of the team's last `recent_games` games before D; a player with a line on D is
    included whenever his latest team plays on D (his latest game within LINE_LOOKBACK_DAYS);
    a line player the rule cannot place gets a cold-start row (`_cold_start_rows`). Only games
    in the `lookback_days` (LINE_LOOKBACK_DAYS for line players) before D count (what the asset
    loads), so a range pass and a day's run agree. `recent` holds
    player_game_summary rows (any dates; only those before each D are used). One vectorized pass
    over all dates. A line spelling no recent box score knows is matched among the expected
    players of its game (`resolve_line_names`); the second frame reports every such name.
    """
    if schedule.empty or recent.empty:
        return pd.DataFrame(columns=CONTEXT_COLUMNS), pd.DataFrame(columns=MATCH_COLUMNS)
    schedule = schedule.assign(
        game_date=pd.to_datetime(schedule["game_date"]).astype("datetime64[ns]"))
    sides = pd.concat([
        schedule.assign(team_abbr=schedule["home_team_abbr"],
                        opponent_abbr=schedule["away_team_abbr"], is_home=True),
        schedule.assign(team_abbr=schedule["away_team_abbr"],
                        opponent_abbr=schedule["home_team_abbr"], is_home=False),
    ], ignore_index=True)[["game_date", "game_id", "team_abbr", "opponent_abbr", "is_home",
                           "tipoff_utc"]]
    sides["team_abbr"] = sides["team_abbr"].astype(str)

    games = recent[["player_lookup", "player_id", "player_name", "team_abbr", "game_id",
                    "game_date"]].copy()
    games["game_date"] = pd.to_datetime(games["game_date"]).astype("datetime64[ns]")
    games["team_abbr"] = games["team_abbr"].astype(str)
    games["player_lookup"] = games["player_lookup"].astype(str)
    games = games.sort_values(["player_lookup", "game_date"], kind="stable")
    games["next_game_date"] = games.groupby("player_lookup", sort=False)["game_date"].shift(-1)

    # Each team's games numbered in date order; a side on D sees the team's games before D.
    team_games = games[["team_abbr", "game_date"]].drop_duplicates().sort_values(
        ["team_abbr", "game_date"], kind="stable")
    team_games["team_game_no"] = team_games.groupby("team_abbr").cumcount() + 1
    games = games.merge(team_games, on=["team_abbr", "game_date"], how="left")
    sides["games_before"] = _count_before(team_games, sides)

    # Expected: latest game before D is for this team and within its last `recent_games` games.
    offsets = pd.DataFrame({"_offset": np.arange(recent_games)})
    wanted = sides[["game_date", "team_abbr", "games_before"]].merge(offsets, how="cross")
    wanted["team_game_no"] = wanted["games_before"] - wanted["_offset"]
    wanted = wanted[wanted["team_game_no"] >= 1].drop(columns=["_offset", "games_before"])
    latest_cols = ["player_lookup", "player_id", "player_name", "team_abbr", "game_date"]
    cand = wanted.rename(columns={"game_date": "as_of"}).merge(
        games, on=["team_abbr", "team_game_no"], how="inner")
    cand = cand[(cand["game_date"] < cand["as_of"])
                & (cand["next_game_date"].isna() | (cand["next_game_date"] >= cand["as_of"]))]
    expected = cand[["as_of", *latest_cols]]
    expected = expected[expected["game_date"]
                        >= expected["as_of"] - pd.Timedelta(days=lookback_days)]
    lines, name_matches = resolve_line_names(
        lines, expected[["as_of", "team_abbr", "player_lookup", "player_name"]].rename(
            columns={"as_of": "game_date"}), set(games["player_lookup"]), sides["game_date"])

    # With a line: the player's latest game before D, whatever the team's recent games were.
    cons = consensus_lines(lines)
    with_line = pd.DataFrame(columns=["as_of", *latest_cols])
    if len(cons):
        asks = cons[["game_date", "player_lookup"]].rename(columns={"game_date": "as_of"})
        asks = asks.assign(as_of=pd.to_datetime(asks["as_of"]).astype("datetime64[ns]"),
                           player_lookup=asks["player_lookup"].astype(str))
        found = pd.merge_asof(
            asks.sort_values("as_of"),
            games[latest_cols].assign(_d=games["game_date"]).sort_values("_d"),
            left_on="as_of", right_on="_d", by="player_lookup", allow_exact_matches=False,
            direction="backward")
        with_line = found.dropna(subset=["_d"])[["as_of", *latest_cols]]

    if len(with_line):
        with_line = with_line[with_line["game_date"] >= with_line["as_of"] - pd.Timedelta(
            days=LINE_LOOKBACK_DAYS)]
    players = pd.concat([f.assign(team_source=src) for f, src in (
        (expected, "roster"), (with_line, "latest_game")) if len(f)] or [
        expected.assign(team_source="roster")], ignore_index=True)
    players = players.drop_duplicates(["as_of", "player_lookup"]).rename(
        columns={"as_of": "game_date", "game_date": "last_game_date"})
    day = sides.drop(columns=["games_before"]).merge(players, on=["game_date", "team_abbr"],
                                                      how="inner")
    day_lines = cons[["game_date", "player_lookup", "points_line", "line_books",
                      "home_team_abbr", "away_team_abbr"]].assign(
        game_date=lambda f: pd.to_datetime(f["game_date"]).astype("datetime64[ns]"),
        player_lookup=lambda f: f["player_lookup"].astype(str))
    day = day.merge(day_lines.drop(columns=["home_team_abbr", "away_team_abbr"]),
                    on=["game_date", "player_lookup"], how="left")
    day["has_line"] = day["points_line"].notna()
    day["cold_start"] = pd.Series(None, index=day.index, dtype=object)
    cold = _cold_start_rows(day, sides, day_lines, with_line, lines, name_matches)
    day = pd.concat([d for d in (day, cold) if len(d)] or [day], ignore_index=True)
    day["days_since_last_game"] = (day["game_date"] - day["last_game_date"]).dt.days
    returning = day["cold_start"].isna() & (day["days_since_last_game"] > ROSTER_LOOKBACK_DAYS)
    day["cold_start"] = day["cold_start"].where(~returning, "returning")
    return day.sort_values(["game_date", "game_id", "team_abbr", "player_lookup"],
                           kind="stable").reset_index(drop=True)[CONTEXT_COLUMNS], name_matches


def _cold_start_rows(day: pd.DataFrame, sides: pd.DataFrame, day_lines: pd.DataFrame,
                     with_line: pd.DataFrame, lines: pd.DataFrame,
                     name_matches: pd.DataFrame) -> pd.DataFrame:
    """Line players the roster rule cannot place: a latest team not in the line's game (an
    off-season move) or no game at all in LINE_LOOKBACK_DAYS (a rookie).

    Their game is the scheduled game of the line's two teams. Which side they are on is not in
    the data before tip-off (no roster feed; the books do not say): the side with fewer placed
    line players that day, home on a tie (books price about as many players per team, so the
    newcomer is missing from the short side), marked `team_source = "line_count_guess"`. A name
    the matcher found ambiguous (two known players fit) is not a rookie: it is left out and the
    gaps table says why. A line without a scheduled game stays out too (no game id).
    """
    placed = day[["game_date", "player_lookup"]].assign(_placed=True)
    rest = day_lines.merge(placed, on=["game_date", "player_lookup"], how="left")
    rest = rest[rest["_placed"].isna()].drop(columns=["_placed"])
    if len(name_matches):
        ambiguous = name_matches[name_matches["reason"].fillna("").str.startswith("ambiguous")]
        amb = ambiguous[["game_date", "line_lookup"]].assign(
            game_date=lambda f: pd.to_datetime(f["game_date"]).astype("datetime64[ns]"),
            player_lookup=lambda f: f["line_lookup"].astype(str), _amb=True)
        rest = rest.merge(amb[["game_date", "player_lookup", "_amb"]].drop_duplicates(),
                          on=["game_date", "player_lookup"], how="left")
        rest = rest[rest["_amb"].isna()].drop(columns=["_amb"])
    if rest.empty:
        return pd.DataFrame(columns=[*CONTEXT_COLUMNS])
    game = sides.drop(columns=["games_before"]).rename(columns={"team_abbr": "home_team_abbr",
                                                                "opponent_abbr": "away_team_abbr"})
    game = game[game["is_home"]][["game_date", "game_id", "home_team_abbr", "away_team_abbr",
                                  "tipoff_utc"]]
    rest = rest.assign(home_team_abbr=rest["home_team_abbr"].astype(str),
                       away_team_abbr=rest["away_team_abbr"].astype(str)).merge(
        game.astype({"home_team_abbr": str, "away_team_abbr": str}),
        on=["game_date", "home_team_abbr", "away_team_abbr"], how="inner")
    if rest.empty:
        return pd.DataFrame(columns=[*CONTEXT_COLUMNS])
    known = day[day["has_line"]].groupby(["game_date", "team_abbr"]).size().rename("_n")
    n_home = known.reindex(pd.MultiIndex.from_frame(rest[["game_date", "home_team_abbr"]]),
                           fill_value=0).to_numpy()
    n_away = known.reindex(pd.MultiIndex.from_frame(rest[["game_date", "away_team_abbr"]]),
                           fill_value=0).to_numpy()
    home = n_home <= n_away
    rest = rest.assign(team_abbr=np.where(home, rest["home_team_abbr"], rest["away_team_abbr"]),
                       opponent_abbr=np.where(home, rest["away_team_abbr"],
                                              rest["home_team_abbr"]),
                       is_home=home, team_source="line_count_guess")
    latest = with_line.rename(columns={"as_of": "_d", "game_date": "last_game_date",
                                       "team_abbr": "_last_team"})
    rest = rest.merge(latest.rename(columns={"_d": "game_date"}), on=["game_date",
                                                                      "player_lookup"],
                      how="left")
    names = lines.assign(game_date=eastern_game_date(lines).to_numpy(),
                         player_lookup=lines["player_lookup"].astype(str)).drop_duplicates(
        ["game_date", "player_lookup"])[["game_date", "player_lookup", "player_name"]].rename(
        columns={"player_name": "_line_name"})
    rest = rest.merge(names, on=["game_date", "player_lookup"], how="left")
    rest["player_name"] = rest["player_name"].fillna(rest["_line_name"]).fillna(
        rest["player_lookup"])
    rest["cold_start"] = np.where(rest["last_game_date"].isna(), "rookie", "new_team")
    rest["has_line"] = True
    return rest[[c for c in CONTEXT_COLUMNS if c != "days_since_last_game"]]


def _count_before(team_games: pd.DataFrame, sides: pd.DataFrame) -> np.ndarray:
    """For each side (team, date D): how many of the team's games are strictly before D."""
    out = np.zeros(len(sides), dtype=int)
    dates_by_team = {t: g["game_date"].to_numpy() for t, g in team_games.groupby("team_abbr")}
    for team, idx in sides.groupby("team_abbr").indices.items():
        dates = dates_by_team.get(team)
        if dates is not None:
            out[idx] = np.searchsorted(dates, sides["game_date"].to_numpy()[idx], side="left")
    return out
