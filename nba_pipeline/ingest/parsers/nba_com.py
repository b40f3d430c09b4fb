"""nba.com payloads -> raw rows: the season schedule (scheduleleaguev2) and leaguegamelog."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from nba_pipeline.constants import BOX_SCORE_STATS
from nba_pipeline.domain.players import player_lookup_series
from nba_pipeline.ingest.parsers.common import (
    SOURCE_GAME_COLUMNS,
    numeric_cells,
    require_date_listed,
)
from nba_pipeline.ingest.payloads.common import PayloadError, validate_payload
from nba_pipeline.ingest.payloads.nba_com import LeagueGameLogPayload, SchedulePayload

# nba.com game id digit 3 -> game type. Kept (landed, predicted, graded): the games whose points
# are real and priced by the books. The Cup final is not in the standings, but its box score is
# a real game's (leaguegamelog `SeasonType=IST`).
GAME_TYPES = {"1": "preseason", "2": "regular season", "3": "All-Star", "4": "playoffs",
              "5": "play-in", "6": "Cup final"}
KEPT_GAME_TYPES = "2456"
# Why the others are dropped (counted per type in the raw assets' `game_types_dropped`).
DROPPED_GAME_TYPES = {
    "1": "exhibition: rotations are auditions and starters sit; not a points signal",
    "3": "All-Star weekend: sides are not NBA teams (no team context, no lines)",
}
# leaguegamelog `SeasonType` -> the game type its rows carry; one call per season type.
SEASON_TYPE_GAME_TYPE = {"Regular Season": "2", "Playoffs": "4", "PlayIn": "5", "IST": "6"}


def gamelog_name(season_type: str) -> str:
    """The landed file name of one leaguegamelog call (`leaguegamelog_playin.json`)."""
    return ("leaguegamelog.json" if season_type == "Regular Season"
            else f"leaguegamelog_{season_type.lower().replace(' ', '_')}.json")


def game_type(game_id: str) -> str:
    """The game type digit of an nba.com game id (`0062400001` -> "6"); "" if not an id."""
    return game_id[2] if len(game_id) >= 3 and game_id[:2] == "00" else ""


def type_label(digit: str) -> str:
    return f"00{digit} {GAME_TYPES.get(digit, 'unknown type')}"


def dropped_schedule_games(body: bytes, game_date: date) -> dict[str, int]:
    """Games of dropped types a landed nba.com schedule lists for `game_date`, per type label.

    Feeds the schedule's `game_types_dropped` metadata, so a dropped game is counted with its
    reason rather than gone without a trace.
    """
    try:
        game_dates = json.loads(body)["leagueSchedule"]["gameDates"]
    except (ValueError, KeyError, TypeError):
        return {}
    counts: dict[str, int] = {}
    for gd in game_dates:
        for g in gd.get("games") or []:
            digit = game_type(str(g.get("gameId") or ""))
            if (str(g.get("gameDateEst") or "")[:10] == game_date.isoformat()
                    and digit not in KEPT_GAME_TYPES):
                counts[type_label(digit)] = counts.get(type_label(digit), 0) + 1
    return counts


def parse_nba_schedule(body: bytes, game_date: date, key: str) -> pd.DataFrame:
    payload = validate_payload(SchedulePayload, body, source="nba_com", endpoint="schedule",
                               game_date=game_date, key=key)
    listed = [date.fromisoformat(g.game_date_est[:10])
              for gd in payload.league_schedule.game_dates for g in gd.games]
    require_date_listed(listed, game_date, "nba_com", "schedule", key)
    rows = []
    for gd in payload.league_schedule.game_dates:
        for g in gd.games:
            day = date.fromisoformat(g.game_date_est[:10])
            # Home and away are the schedule's (`homeTeam`/`awayTeam`), also at a neutral site
            # (`isNeutral`): box scores are oriented to them (domain/matchups.py).
            if day != game_date or game_type(g.game_id) not in KEPT_GAME_TYPES:
                continue
            rows.append({
                "game_date": day,
                "game_id": g.game_id,
                "season": payload.league_schedule.season_year,
                "game_status": g.game_status,
                "game_status_text": g.game_status_text,
                "tipoff_utc": g.game_date_time_utc,
                "home_team_abbr": g.home_team.team_tricode,
                "away_team_abbr": g.away_team.team_tricode,
                "home_team_id": g.home_team.team_id,
                "away_team_id": g.away_team.team_id,
                "home_score": g.home_team.score if g.game_status == 3 else None,
                "away_score": g.away_team.score if g.game_status == 3 else None,
                "source": "nba_com",
                "landing_key": key,
            })
    return pd.DataFrame(rows)


def nba_schedule_games(body: bytes, game_date: date, key: str) -> pd.DataFrame:
    """Every game of the kept types that a landed nba.com schedule lists for `game_date`.

    Walks the raw JSON without the parser (only `gameId`, `gameDateEst`, `gameStatus` and the
    two teams), so a game the parser or its model drops is still listed and
    `games_complete_vs_schedule` fails on it.
    """
    source, endpoint = "nba_com", "schedule"
    try:
        data = json.loads(body)
        game_dates = data["leagueSchedule"]["gameDates"]
    except (ValueError, KeyError, TypeError) as exc:
        raise PayloadError(source, endpoint, game_date, key,
                           f"no leagueSchedule.gameDates ({exc!r})") from None
    rows = []
    for gd in game_dates:
        for g in gd.get("games") or []:
            game_id = str(g.get("gameId") or "")
            if str(g.get("gameDateEst") or "")[:10] != game_date.isoformat():
                continue
            if game_type(game_id) not in KEPT_GAME_TYPES:
                continue
            home, away = g.get("homeTeam") or {}, g.get("awayTeam") or {}
            rows.append({
                "game_date": game_date, "game_id": game_id, "game_status": g.get("gameStatus"),
                "home_team_abbr": home.get("teamTricode"),
                "away_team_abbr": away.get("teamTricode"),
                "home_team_id": home.get("teamId"), "away_team_id": away.get("teamId"),
                "home_score": home.get("score"), "away_score": away.get("score"),
            })
    return pd.DataFrame(rows, columns=SOURCE_GAME_COLUMNS)


_GAMELOG_COLUMNS = {
    "GAME_ID": "game_id", "PLAYER_ID": "player_id", "PLAYER_NAME": "player_name",
    "TEAM_ID": "team_id", "TEAM_ABBREVIATION": "team_abbr", "MATCHUP": "matchup", "WL": "wl",
    "MIN": "minutes", "PTS": "points", "FGM": "fgm", "FGA": "fga", "FG3M": "fg3m",
    "FG3A": "fg3a", "FTM": "ftm", "FTA": "fta", "OREB": "oreb", "DREB": "dreb", "REB": "reb",
    "AST": "ast", "STL": "stl", "BLK": "blk", "TOV": "tov", "PF": "pf",
    "PLUS_MINUS": "plus_minus",
}


def parse_leaguegamelog(body: bytes, game_date: date, key: str) -> pd.DataFrame:
    payload = validate_payload(LeagueGameLogPayload, body, source="nba_com",
                               endpoint="leaguegamelog", game_date=game_date, key=key)
    records = pd.DataFrame(payload.records())
    if records.empty:
        return pd.DataFrame()
    parsed = pd.to_datetime(records["GAME_DATE"], errors="coerce")
    if parsed.isna().any():
        bad = sorted(set(records.loc[parsed.isna(), "GAME_DATE"].astype(str)))
        raise PayloadError("nba_com", "leaguegamelog", game_date, key,
                           f"GAME_DATE values that are not dates: {bad[:5]}")
    dates = parsed.dt.date
    wrong = sorted({d.isoformat() for d in dates if d != game_date})
    if wrong:
        raise PayloadError("nba_com", "leaguegamelog", game_date, key,
                           f"rows dated {wrong} in the payload for another date")
    records = records[_gamelog_rows_kept(records, payload.parameters)].reset_index(drop=True)
    if records.empty:
        return pd.DataFrame()
    frame = records.rename(columns=_GAMELOG_COLUMNS)[list(_GAMELOG_COLUMNS.values())]
    frame = numeric_cells(
        frame, ["minutes", *BOX_SCORE_STATS, "plus_minus"],
        lambda i: f"row {i} ({frame['player_name'].iloc[i]}, game {frame['game_id'].iloc[i]})",
        "nba_com", "leaguegamelog", game_date, key)
    frame["game_date"] = game_date
    season = str(payload.parameters.get("Season") or "")
    frame["season"] = season or records["SEASON_ID"].astype(str)
    frame["player_lookup"] = player_lookup_series(frame["player_name"])
    frame["source"] = "nba_com"
    frame["landing_key"] = key
    return frame


def _gamelog_rows_kept(records: pd.DataFrame, parameters: dict) -> pd.Series:
    """Rows of a kept type, and of the payload's own `SeasonType` when it names one.

    One call is made per season type; a row of another type (the IST call listing the Cup's
    regular-season games too) belongs to that type's call, and keeping it would count the
    game twice. A kept game whose own call was not made shows up missing against the
    schedule (`games_complete_vs_schedule`), never silently.
    """
    types = records["GAME_ID"].astype(str).map(game_type)
    own = SEASON_TYPE_GAME_TYPE.get(str(parameters.get("SeasonType") or ""))
    return types.isin(list(own or KEPT_GAME_TYPES))


def dropped_gamelog_rows(body: bytes, game_date: date) -> dict[str, int]:
    """Player rows a landed leaguegamelog holds but the parser drops, per reason (metadata)."""
    try:
        payload = LeagueGameLogPayload.model_validate_json(body)
    except ValueError:
        return {}
    records = pd.DataFrame(payload.records())
    if records.empty:
        return {}
    dropped = records[~_gamelog_rows_kept(records, payload.parameters)]
    counts: dict[str, int] = {}
    for game_id in dropped["GAME_ID"].astype(str):
        digit = game_type(game_id)
        why = (type_label(digit) if digit not in KEPT_GAME_TYPES
               else f"{type_label(digit)} (from its own SeasonType call)")
        counts[why] = counts.get(why, 0) + 1
    return counts
