"""Phase 3 transforms: one clean row per player per game, team summaries, and the day's context.

Plain pandas over frames shaped like the `sql/` tables; no Dagster imports.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

STAT_COLUMNS = ["fgm", "fga", "fg3m", "fg3a", "ftm", "fta", "oreb", "dreb", "reb", "ast", "stl",
                "blk", "tov"]


def implied_probability(american: pd.Series) -> pd.Series:
    american = american.astype(float)
    return pd.Series(
        np.where(american > 0, 100.0 / (american + 100.0), -american / (-american + 100.0)),
        index=american.index,
    )


def consensus_lines(lines: pd.DataFrame) -> pd.DataFrame:
    """Main line per book (the one whose two prices are closest), then the median across books.

    Returns one row per (game_date, player_lookup) with `points_line`, `line_books`, the event
    and its teams.
    """
    cols = ["game_date", "player_lookup", "points_line", "line_books", "event_id",
            "home_team_abbr", "away_team_abbr", "commence_time_utc"]
    if lines.empty:
        return pd.DataFrame(columns=cols)
    priced = lines.dropna(subset=["over_price", "under_price", "line_value"]).copy()
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


def _parse_matchup(matchup: pd.Series) -> tuple[pd.Series, pd.Series]:
    is_home = matchup.str.contains(" vs. ", regex=False)
    opponent = matchup.str.split(r" vs\. | @ ", regex=True).str[-1].str.strip()
    return is_home, opponent


def player_game_summary(box: pd.DataFrame, lines: pd.DataFrame, start: pd.Timestamp,
                        end: pd.Timestamp) -> pd.DataFrame:
    """Rows for games in [start, end); `box` may reach further back, for rest days."""
    box = box.sort_values(["player_lookup", "game_date", "game_id"]).copy()
    box["game_date"] = pd.to_datetime(box["game_date"])
    prev = box.groupby("player_lookup")["game_date"].shift(1)
    gap = (box["game_date"] - prev).dt.days
    box["rest_days"] = (gap - 1).astype("Int64")
    box["is_back_to_back"] = (gap == 1).astype("boolean").mask(gap.isna())

    cur = box[(box["game_date"] >= start) & (box["game_date"] < end)].copy()
    if cur.empty:
        return cur
    team = cur.groupby(["game_id", "team_abbr"])[["minutes", "fga", "fta", "tov"]].transform("sum")
    minutes = cur["minutes"].astype(float)
    player_poss = cur["fga"] + 0.44 * cur["fta"] + cur["tov"]
    team_poss = team["fga"] + 0.44 * team["fta"] + team["tov"]
    cur["usage_rate"] = np.where(
        minutes > 0, 100.0 * player_poss * (team["minutes"] / 5.0) / (minutes * team_poss), np.nan
    )
    shots = 2.0 * (cur["fga"] + 0.44 * cur["fta"])
    cur["true_shooting_pct"] = np.where(shots > 0, cur["points"] / shots, np.nan)
    cur["fg_pct"] = np.where(cur["fga"] > 0, cur["fgm"] / cur["fga"], np.nan)
    cur["fg3_pct"] = np.where(cur["fg3a"] > 0, cur["fg3m"] / cur["fg3a"], np.nan)
    cur["ft_pct"] = np.where(cur["fta"] > 0, cur["ftm"] / cur["fta"], np.nan)
    cur["is_home"], cur["opponent_abbr"] = _parse_matchup(cur["matchup"].astype(str))
    cur["starter_flag"] = pd.NA

    cons = consensus_lines(lines)[["game_date", "player_lookup", "points_line", "line_books"]]
    cons = cons.assign(game_date=pd.to_datetime(cons["game_date"]))
    cur = cur.merge(cons, on=["game_date", "player_lookup"], how="left")
    diff = cur["points"] - cur["points_line"]
    cur["over_under_result"] = np.select(
        [diff > 0, diff < 0, diff == 0], ["OVER", "UNDER", "PUSH"], default=None
    )
    cur.loc[cur["points_line"].isna(), "over_under_result"] = None
    return cur


def team_offense_summary(pgs: pd.DataFrame) -> pd.DataFrame:
    if pgs.empty:
        return pd.DataFrame()
    sums = ["points", "fgm", "fga", "fg3m", "fg3a", "ftm", "fta", "oreb", "dreb", "ast", "tov",
            "minutes"]
    team = pgs.groupby(["game_date", "game_id", "team_abbr"], as_index=False).agg(
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
    team_minutes = team["minutes"].where(team["minutes"] > 0, 240.0)
    team["pace"] = team["possessions"] * 48.0 / (team_minutes / 5.0)
    team["offensive_rating"] = 100.0 * team["points"] / team["possessions"]
    shots = 2.0 * (team["fga"] + 0.44 * team["fta"])
    team["true_shooting_pct"] = team["points"] / shots
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
    opp["opp_reb"] = offense["oreb"] + offense["dreb"]
    opp["defensive_rating"] = 100.0 * opp["points_allowed"] / opp["possessions"]
    return opp[["game_date", "game_id", "team_abbr", "opponent_abbr", "points_allowed", "opp_fgm",
                "opp_fga", "opp_fg3m", "opp_fg3a", "opp_fta", "opp_tov", "opp_reb",
                "possessions", "pace", "defensive_rating"]]


def upcoming_player_game_context(schedule: pd.DataFrame, recent: pd.DataFrame,
                                 lines: pd.DataFrame, recent_games: int = 10) -> pd.DataFrame:
    """Who is expected to play each scheduled game, from data available before tip-off.

    A player is expected for a team when that team is his latest team and he appeared in one of
    its last `recent_games` games before the date; players with a line are always included when
    their latest team is in the game. `recent` holds player_game_summary rows before the dates.
    """
    cols = ["game_date", "game_id", "player_lookup", "player_id", "player_name", "team_abbr",
            "opponent_abbr", "is_home", "tipoff_utc", "has_line", "points_line", "line_books",
            "last_game_date", "days_since_last_game"]
    if schedule.empty:
        return pd.DataFrame(columns=cols)
    schedule = schedule.assign(game_date=pd.to_datetime(schedule["game_date"]))
    sides = pd.concat([
        schedule.assign(team_abbr=schedule["home_team_abbr"],
                        opponent_abbr=schedule["away_team_abbr"], is_home=True),
        schedule.assign(team_abbr=schedule["away_team_abbr"],
                        opponent_abbr=schedule["home_team_abbr"], is_home=False),
    ])[["game_date", "game_id", "team_abbr", "opponent_abbr", "is_home", "tipoff_utc"]]

    cons = consensus_lines(lines)
    cons = cons.assign(game_date=pd.to_datetime(cons["game_date"]))
    recent = recent.assign(game_date=pd.to_datetime(recent["game_date"]))
    out = []
    for game_date, day_sides in sides.groupby("game_date", sort=True):
        before = recent[recent["game_date"] < game_date]
        latest = before.sort_values("game_date").groupby("player_lookup").tail(1)
        team_games = (
            before[["team_abbr", "game_id", "game_date"]].drop_duplicates()
            .sort_values("game_date").groupby("team_abbr").tail(recent_games)
        )
        appeared = before.merge(team_games[["team_abbr", "game_id"]], on=["team_abbr", "game_id"])
        expected = latest[latest["player_lookup"].isin(appeared["player_lookup"])]
        day_lines = cons[cons["game_date"] == game_date]
        with_line = latest[latest["player_lookup"].isin(day_lines["player_lookup"])]
        players = pd.concat([expected, with_line]).drop_duplicates("player_lookup")
        players = players[["player_lookup", "player_id", "player_name", "team_abbr", "game_date"]]
        players = players.rename(columns={"game_date": "last_game_date"})
        day = day_sides.merge(players, on="team_abbr", how="inner")
        day = day.merge(day_lines[["player_lookup", "points_line", "line_books"]],
                        on="player_lookup", how="left")
        day["has_line"] = day["points_line"].notna()
        day["days_since_last_game"] = (day["game_date"] - day["last_game_date"]).dt.days
        out.append(day)
    if not out:
        return pd.DataFrame(columns=cols)
    return pd.concat(out, ignore_index=True)[cols]
