"""Ball Don't Lie payloads -> raw rows: games (a schedule fallback) and box scores (a box
score fallback). Game ids are game codes (see `ingest/parsers/common.py`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import TypeVar

import pandas as pd

from nba_pipeline.domain.players import player_lookup_series
from nba_pipeline.ingest.parsers.common import (
    FINAL,
    LIVE,
    SCHEDULED,
    game_code,
    matchup,
    minutes_value,
    schedule_row,
    season_label,
    team_id,
)
from nba_pipeline.ingest.payloads.balldontlie import (
    BdlBoxScoresPayload,
    BdlGameSides,
    BdlGamesPayload,
)
from nba_pipeline.ingest.payloads.common import PayloadError, validate_payload

SOURCE = "balldontlie"
GameT = TypeVar("GameT", bound=BdlGameSides)


def _games_of_the_day(games: Sequence[GameT], game_date: date, endpoint: str,
                      key: str) -> Iterator[tuple[GameT, str, str]]:
    """(game, home, away) for each NBA game; a game of another date means the payload is not
    this date's (the request asks for one date), so it fails naming the file, never drops."""
    for game in games:
        if date.fromisoformat(game.date[:10]) != game_date:
            raise PayloadError(SOURCE, endpoint, game_date, key,
                               f"a game dated {game.date} in the payload for another date")
        teams = matchup(game.home_team.abbreviation, game.visitor_team.abbreviation, SOURCE,
                        endpoint, game_date, key)
        if teams is not None:
            yield game, *teams


def parse_bdl_games(body: bytes, game_date: date, key: str) -> pd.DataFrame:
    payload = validate_payload(BdlGamesPayload, body, source=SOURCE, endpoint="games",
                               game_date=game_date, key=key)
    rows = []
    for game, home, away in _games_of_the_day(payload.data, game_date, "games", key):
        code = FINAL if game.status == "Final" else LIVE if (game.period or 0) > 0 else SCHEDULED
        rows.append(schedule_row(
            game_date, game_code(game_date, away, home), code, game.status, game.datetime,
            home, away, game.home_team_score, game.visitor_team_score, SOURCE, key))
    return pd.DataFrame(rows)


_BDL_STATS = {"pts": "points", "fgm": "fgm", "fga": "fga", "fg3m": "fg3m", "fg3a": "fg3a",
              "ftm": "ftm", "fta": "fta", "oreb": "oreb", "dreb": "dreb", "reb": "reb",
              "ast": "ast", "stl": "stl", "blk": "blk", "turnover": "tov", "pf": "pf"}


def parse_bdl_box_scores(body: bytes, game_date: date, key: str) -> pd.DataFrame:
    """One row per player who appeared (like leaguegamelog: no DNP rows)."""
    payload = validate_payload(BdlBoxScoresPayload, body, source=SOURCE, endpoint="box_scores",
                               game_date=game_date, key=key)
    rows = []
    for game, home, away in _games_of_the_day(payload.data, game_date, "box_scores", key):
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
                try:
                    minutes = minutes_value(line.min)
                except ValueError as exc:
                    raise PayloadError(SOURCE, "box_scores", game_date, key,
                                       f"{line.player.first_name} {line.player.last_name}: "
                                       f"{exc}") from None
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
                    "source": SOURCE, "landing_key": key,
                })
    frame = pd.DataFrame(rows)
    if len(frame):
        frame["player_lookup"] = player_lookup_series(frame["player_name"])
    return frame
