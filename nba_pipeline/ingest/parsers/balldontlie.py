"""Ball Don't Lie payloads -> raw rows: games (a schedule fallback) and box scores (a box
score fallback). Game ids are game codes (see `ingest/parsers/common.py`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import TypeVar

import pandas as pd

from nba_pipeline.domain.injuries import normalise_status
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
from nba_pipeline.ingest.parsers.injury_report import ROW_COLUMNS
from nba_pipeline.ingest.payloads.balldontlie import (
    BdlBoxScoresPayload,
    BdlGameSides,
    BdlGamesPayload,
    BdlInjuriesPayload,
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


# Ball Don't Lie team ids of the 30 NBA teams (`/v1/teams`; higher ids are historical teams).
BDL_TEAM_TRICODES = dict(enumerate((
    "ATL", "BOS", "BKN", "CHA", "CHI", "CLE", "DAL", "DEN", "DET", "GSW", "HOU", "IND", "LAC",
    "LAL", "MEM", "MIA", "MIL", "MIN", "NOP", "NYK", "OKC", "ORL", "PHI", "PHX", "POR", "SAC",
    "SAS", "TOR", "UTA", "WAS"), start=1))


def parse_bdl_injuries(body: bytes, game_date: date, key: str) -> pd.DataFrame:
    """`/v1/player_injuries` -> injury rows: the injury-report fallback. The list has no game
    date or report time: the rows are the partition's date as of the fetch time (the landing
    key's), and carry no matchup. Every NBA team's injured players are listed; the raw asset
    keeps the teams the schedule has playing that day."""
    endpoint = "injuries"
    payload = validate_payload(BdlInjuriesPayload, body, source=SOURCE, endpoint=endpoint,
                               game_date=game_date, key=key)
    try:
        fetched = pd.Timestamp(datetime.strptime(key.split("/")[3], "%Y%m%dT%H%M%SZ"),
                               tz="UTC")
    except (IndexError, ValueError):
        raise PayloadError(SOURCE, endpoint, game_date, key,
                           "the landing key has no fetch time") from None
    rows = []
    for injury in payload.data:
        team = BDL_TEAM_TRICODES.get(injury.player.team_id)
        if team is None:
            raise PayloadError(SOURCE, endpoint, game_date, key,
                               f"player {injury.player.id}: unknown team id "
                               f"{injury.player.team_id}")
        rows.append({
            "game_date": game_date, "report_time_utc": fetched, "game_time_et": None,
            "matchup": None, "team_abbr": team,
            "player_name": f"{injury.player.first_name} {injury.player.last_name}",
            "status": normalise_status(injury.status), "status_raw": injury.status,
            "reason": injury.description, "source": SOURCE, "landing_key": key})
    frame = pd.DataFrame(rows, columns=[c for c in ROW_COLUMNS if c != "player_lookup"])
    frame.insert(6, "player_lookup", player_lookup_series(frame["player_name"])
                 if len(frame) else pd.Series(dtype="object"))
    return frame
