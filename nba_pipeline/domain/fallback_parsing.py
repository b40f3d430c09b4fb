"""Fallback sources -> the same raw rows as nba.com: ESPN scoreboard, Ball Don't Lie games and
box scores, and The Odds API historical event odds.

ESPN and Ball Don't Lie do not know nba.com game ids (BDL box scores carry no game id at all), so
their rows use nba.com's *game code* layout as `game_id`: `YYYYMMDD/AWAYHOME` (e.g.
`20240115/HOUPHI`). It is deterministic and identical across the fallback sources, so a day
served by ESPN (schedule) and Ball Don't Lie (box scores) still joins on `game_id`; it never
collides with a 10-digit nba.com id. Team codes are mapped to nba.com tricodes; preseason
(ESPN season type 1) and games between two non-NBA sides (All-Star, exhibitions) are left out.
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from nba_pipeline.constants import EASTERN
from nba_pipeline.domain.players import player_lookup_series
from nba_pipeline.domain.teams import BY_TRICODE
from nba_pipeline.sources.payloads import (
    BdlBoxScoresPayload,
    BdlGamesPayload,
    EspnScoreboardPayload,
    HistoricalEventOddsPayload,
    PayloadError,
    validate_payload,
)

# ESPN abbreviations that differ from nba.com tricodes.
ESPN_TRICODES = {"GS": "GSW", "NO": "NOP", "NY": "NYK", "SA": "SAS", "UTAH": "UTA",
                 "WSH": "WAS", "PHO": "PHX", "BRK": "BKN", "CHO": "CHA"}
FINAL, LIVE, SCHEDULED = 3, 2, 1
# ESPN season.type: 1 preseason, 2 regular season, 3 postseason, 4 off-season, 5 play-in.
ESPN_SKIPPED_SEASON_TYPES = frozenset({1, 4})


def season_label(game_date: date) -> str:
    """nba.com season label: games from August on belong to the season starting that year."""
    start = game_date.year if game_date.month >= 8 else game_date.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def game_code(game_date: date, away: str, home: str) -> str:
    return f"{game_date.strftime('%Y%m%d')}/{away}{home}"


def _matchup(home_code: str, away_code: str, source: str, endpoint: str, game_date: date,
             key: str) -> tuple[str, str] | None:
    """(home, away) nba.com tricodes; None for a game between two non-NBA sides (All-Star,
    exhibitions); a PayloadError when only one side is unknown (a code we fail to map)."""
    home = ESPN_TRICODES.get(home_code, home_code)
    away = ESPN_TRICODES.get(away_code, away_code)
    known = (home in BY_TRICODE, away in BY_TRICODE)
    if known == (False, False):
        return None
    if not all(known):
        bad = home_code if not known[0] else away_code
        raise PayloadError(source, endpoint, game_date, key, f"unknown team code {bad!r}")
    return home, away


def _team_id(tricode: str) -> int:
    return BY_TRICODE[tricode].team_id


def _int_or_none(value: str | int | None) -> int | None:
    if value is None or value == "":
        return None
    return int(value)


def parse_espn_scoreboard(body: bytes, game_date: date, key: str) -> pd.DataFrame:
    source, endpoint = "espn", "scoreboard"
    payload = validate_payload(EspnScoreboardPayload, body, source=source, endpoint=endpoint,
                               game_date=game_date, key=key)
    rows = []
    for event in payload.events:
        tip = pd.Timestamp(event.date)
        tip = tip.tz_localize("UTC") if tip.tzinfo is None else tip.tz_convert("UTC")
        if tip.tz_convert(EASTERN).date() != game_date:
            continue
        comp = event.competitions[0]
        sides = {c.home_away: c for c in comp.competitors}
        if set(sides) != {"home", "away"}:
            raise PayloadError(source, endpoint, game_date, key,
                               f"field 'events.{event.id}.competitors': need one home, one away")
        if event.season.type in ESPN_SKIPPED_SEASON_TYPES:
            continue
        teams = _matchup(sides["home"].team.abbreviation, sides["away"].team.abbreviation,
                         source, endpoint, game_date, key)
        if teams is None:
            continue
        home, away = teams
        status = event.status.type
        code = FINAL if status.completed else LIVE if status.state == "in" else SCHEDULED
        rows.append(_schedule_row(
            game_date, game_code(game_date, away, home), code, status.description,
            tip.strftime("%Y-%m-%dT%H:%M:%SZ"), home, away,
            _int_or_none(sides["home"].score), _int_or_none(sides["away"].score), source, key))
    return pd.DataFrame(rows)


def parse_bdl_games(body: bytes, game_date: date, key: str) -> pd.DataFrame:
    source, endpoint = "balldontlie", "games"
    payload = validate_payload(BdlGamesPayload, body, source=source, endpoint=endpoint,
                               game_date=game_date, key=key)
    rows = []
    for game in payload.data:
        if date.fromisoformat(game.date[:10]) != game_date:
            continue
        teams = _matchup(game.home_team.abbreviation, game.visitor_team.abbreviation, source,
                         endpoint, game_date, key)
        if teams is None:
            continue
        home, away = teams
        code = FINAL if game.status == "Final" else LIVE if (game.period or 0) > 0 else SCHEDULED
        rows.append(_schedule_row(
            game_date, game_code(game_date, away, home), code, game.status, game.datetime,
            home, away, game.home_team_score, game.visitor_team_score, source, key))
    return pd.DataFrame(rows)


def _schedule_row(game_date: date, game_id: str, status: int, status_text: str | None,
                  tipoff_utc: str | None, home: str, away: str, home_score: int | None,
                  away_score: int | None, source: str, key: str) -> dict[str, object]:
    final = status == FINAL
    return {
        "game_date": game_date, "game_id": game_id, "season": season_label(game_date),
        "game_status": status, "game_status_text": status_text, "tipoff_utc": tipoff_utc,
        "home_team_abbr": home, "away_team_abbr": away,
        "home_team_id": _team_id(home), "away_team_id": _team_id(away),
        "home_score": home_score if final else None, "away_score": away_score if final else None,
        "source": source, "landing_key": key,
    }


def minutes_value(text: str | None) -> float | None:
    """Ball Don't Lie minutes: "28", "28:14" or "" / None (did not play)."""
    if text is None or not str(text).strip():
        return None
    minutes, _, seconds = str(text).strip().partition(":")
    return round(int(minutes) + (int(seconds) / 60 if seconds else 0.0), 2)


_BDL_STATS = {"pts": "points", "fgm": "fgm", "fga": "fga", "fg3m": "fg3m", "fg3a": "fg3a",
              "ftm": "ftm", "fta": "fta", "oreb": "oreb", "dreb": "dreb", "reb": "reb",
              "ast": "ast", "stl": "stl", "blk": "blk", "turnover": "tov", "pf": "pf"}


def parse_bdl_box_scores(body: bytes, game_date: date, key: str) -> pd.DataFrame:
    """One row per player who appeared (like leaguegamelog: no DNP rows)."""
    source, endpoint = "balldontlie", "box_scores"
    payload = validate_payload(BdlBoxScoresPayload, body, source=source, endpoint=endpoint,
                               game_date=game_date, key=key)
    rows = []
    for game in payload.data:
        if date.fromisoformat(game.date[:10]) != game_date:
            raise PayloadError(source, endpoint, game_date, key,
                               f"a game dated {game.date} in the payload for another date")
        teams = _matchup(game.home_team.abbreviation, game.visitor_team.abbreviation, source,
                         endpoint, game_date, key)
        if teams is None:
            continue
        home, away = teams
        gid = game_code(game_date, away, home)
        final = game.status == "Final"
        for team, tricode, opponent, is_home, own, other in (
            (game.home_team, home, away, True, game.home_team_score, game.visitor_team_score),
            (game.visitor_team, away, home, False, game.visitor_team_score,
             game.home_team_score),
        ):
            wl = None
            if final and own is not None and other is not None:
                wl = "W" if own > other else "L"
            for line in team.players:
                stats = {col: getattr(line, f) for f, col in _BDL_STATS.items()}
                minutes = minutes_value(line.min)
                if not minutes and not any(stats.values()):
                    continue  # listed but did not play
                rows.append({
                    "game_date": game_date, "game_id": gid, "season": season_label(game_date),
                    "player_id": line.player.id,
                    "player_name": f"{line.player.first_name} {line.player.last_name}".strip(),
                    "team_id": _team_id(tricode), "team_abbr": tricode,
                    "matchup": f"{tricode} vs. {opponent}" if is_home
                    else f"{tricode} @ {opponent}",
                    "wl": wl, "minutes": minutes, **stats, "plus_minus": None,
                    "source": source, "landing_key": key,
                })
    frame = pd.DataFrame(rows)
    if len(frame):
        frame["player_lookup"] = player_lookup_series(frame["player_name"])
    return frame


def parse_historical_event_odds(body: bytes, game_date: date, key: str) -> pd.DataFrame:
    """Historical event odds: validate the snapshot envelope, then parse its `data` as live."""
    from nba_pipeline.domain.parsing import parse_event_odds  # parsing registers this module

    payload = validate_payload(HistoricalEventOddsPayload, body, source="odds_api",
                               endpoint="event_odds_player_points_historical",
                               game_date=game_date, key=key)
    return parse_event_odds(json.dumps(payload.data.model_dump(by_alias=True)).encode(),
                            game_date, key)


FALLBACK_PARSERS = {
    ("espn", "scoreboard"): parse_espn_scoreboard,
    ("balldontlie", "games"): parse_bdl_games,
    ("balldontlie", "box_scores"): parse_bdl_box_scores,
    ("odds_api", "event_odds_player_points_historical"): parse_historical_event_odds,
}
