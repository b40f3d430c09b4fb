"""Ball Don't Lie payloads -> raw rows: games (a schedule fallback) and box scores (a box
score fallback). Game ids are game codes (see `ingest/parsers/common.py`)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from nba_pipeline.domain.players import player_lookup_series
from nba_pipeline.ingest.parsers.common import (
    FINAL,
    LIVE,
    SCHEDULED,
    game_code,
    matchup,
    require_date_listed,
    schedule_row,
    season_label,
    team_id,
)
from nba_pipeline.ingest.payloads.balldontlie import BdlBoxScoresPayload, BdlGamesPayload
from nba_pipeline.ingest.payloads.common import PayloadError, validate_payload


def parse_bdl_games(body: bytes, game_date: date, key: str) -> pd.DataFrame:
    source, endpoint = "balldontlie", "games"
    payload = validate_payload(BdlGamesPayload, body, source=source, endpoint=endpoint,
                               game_date=game_date, key=key)
    require_date_listed([date.fromisoformat(g.date[:10]) for g in payload.data], game_date,
                        source, endpoint, key)
    rows = []
    for game in payload.data:
        if date.fromisoformat(game.date[:10]) != game_date:
            continue
        teams = matchup(game.home_team.abbreviation, game.visitor_team.abbreviation, source,
                         endpoint, game_date, key)
        if teams is None:
            continue
        home, away = teams
        code = FINAL if game.status == "Final" else LIVE if (game.period or 0) > 0 else SCHEDULED
        rows.append(schedule_row(
            game_date, game_code(game_date, away, home), code, game.status, game.datetime,
            home, away, game.home_team_score, game.visitor_team_score, source, key))
    return pd.DataFrame(rows)


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
    require_date_listed([date.fromisoformat(g.date[:10]) for g in payload.data], game_date,
                        source, endpoint, key)
    rows = []
    for game in payload.data:
        if date.fromisoformat(game.date[:10]) != game_date:
            raise PayloadError(source, endpoint, game_date, key,
                               f"a game dated {game.date} in the payload for another date")
        teams = matchup(game.home_team.abbreviation, game.visitor_team.abbreviation, source,
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
                    "team_id": team_id(tricode), "team_abbr": tricode,
                    "matchup": f"{tricode} vs. {opponent}" if is_home
                    else f"{tricode} @ {opponent}",
                    "wl": wl, "minutes": minutes, **stats, "plus_minus": None,
                    "source": source, "landing_key": key,
                })
    frame = pd.DataFrame(rows)
    if len(frame):
        frame["player_lookup"] = player_lookup_series(frame["player_name"])
    return frame
