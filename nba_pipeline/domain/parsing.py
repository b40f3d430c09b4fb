"""Landed payloads -> typed raw rows. Validation first; nothing is half-parsed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from zoneinfo import ZoneInfo

import pandas as pd

from nba_pipeline.domain.fallback_parsing import FALLBACK_PARSERS
from nba_pipeline.domain.players import player_lookup_series
from nba_pipeline.domain.teams import tricode_for_name
from nba_pipeline.sources.payloads import (
    EventOddsPayload,
    LeagueGameLogPayload,
    PayloadError,
    SchedulePayload,
    validate_payload,
)

EASTERN = ZoneInfo("America/New_York")

Parser = Callable[[bytes, date, str], pd.DataFrame]


def parse_nba_schedule(body: bytes, game_date: date, key: str) -> pd.DataFrame:
    payload = validate_payload(SchedulePayload, body, source="nba_com", endpoint="schedule",
                               game_date=game_date, key=key)
    rows = []
    for gd in payload.league_schedule.game_dates:
        for g in gd.games:
            day = date.fromisoformat(g.game_date_est[:10])
            # Regular season, playoffs and play-in only: preseason and All-Star games have no
            # leaguegamelog box scores, so completeness checks would fail on them.
            if day != game_date or g.game_id[2] not in "245":
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
    dates = pd.to_datetime(records["GAME_DATE"]).dt.date
    wrong = sorted({d.isoformat() for d in dates if d != game_date})
    if wrong:
        raise PayloadError("nba_com", "leaguegamelog", game_date, key,
                           f"rows dated {wrong} in the payload for another date")
    frame = records.rename(columns=_GAMELOG_COLUMNS)[list(_GAMELOG_COLUMNS.values())].copy()
    frame["game_date"] = game_date
    season = str(payload.parameters.get("Season") or "")
    frame["season"] = season or records["SEASON_ID"].astype(str)
    frame["player_lookup"] = player_lookup_series(frame["player_name"])
    frame["source"] = "nba_com"
    frame["landing_key"] = key
    return frame


def parse_event_odds(body: bytes, game_date: date, key: str) -> pd.DataFrame:
    endpoint = "event_odds_player_points"
    payload = validate_payload(EventOddsPayload, body, source="odds_api", endpoint=endpoint,
                               game_date=game_date, key=key)
    commence = pd.Timestamp(payload.commence_time)
    et_date = commence.tz_convert(EASTERN).date()
    if et_date != game_date:
        raise PayloadError("odds_api", endpoint, game_date, key,
                           f"event {payload.id} tips off on {et_date} (US/Eastern)")
    rows = []
    for book in payload.bookmakers:
        for market in book.markets:
            if market.key != "player_points":
                continue
            sides: dict[tuple[str, float], dict[str, float]] = {}
            for o in market.outcomes:
                sides.setdefault((o.description, o.point), {})[o.name.lower()] = o.price
            for (player, point), prices in sides.items():
                rows.append({
                    "game_date": game_date,
                    "event_id": payload.id,
                    "commence_time_utc": payload.commence_time,
                    "home_team_abbr": tricode_for_name(payload.home_team),
                    "away_team_abbr": tricode_for_name(payload.away_team),
                    "bookmaker": book.key,
                    "market": market.key,
                    "player_name": player,
                    "line_value": point,
                    "over_price": prices.get("over"),
                    "under_price": prices.get("under"),
                    "last_update_utc": market.last_update,
                    "source": "odds_api",
                    "landing_key": key,
                })
    frame = pd.DataFrame(rows)
    if len(frame):
        frame["player_lookup"] = player_lookup_series(frame["player_name"])
    return frame


PARSERS: dict[tuple[str, str], Parser] = {
    ("nba_com", "schedule"): parse_nba_schedule,
    ("nba_com", "leaguegamelog"): parse_leaguegamelog,
    ("odds_api", "event_odds_player_points"): parse_event_odds,
    **FALLBACK_PARSERS,  # ESPN, Ball Don't Lie, Odds API historical
}


def parse_landed(source: str, endpoint: str, body: bytes, game_date: date, key: str
                 ) -> pd.DataFrame:
    try:
        parser = PARSERS[(source, endpoint)]
    except KeyError:
        raise PayloadError(source, endpoint, game_date, key,
                           "no parser for this endpoint") from None
    return parser(body, game_date, key)
