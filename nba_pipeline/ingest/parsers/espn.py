"""ESPN scoreboard -> nba_raw.schedule rows (a schedule fallback; game ids are game codes,
see `ingest/parsers/common.py`)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from nba_pipeline.constants import EASTERN
from nba_pipeline.ingest.parsers.common import (
    FINAL,
    LIVE,
    SCHEDULED,
    game_code,
    matchup,
    require_date_listed,
    schedule_row,
)
from nba_pipeline.ingest.payloads.common import PayloadError, validate_payload
from nba_pipeline.ingest.payloads.espn import EspnScoreboardPayload

# ESPN season.type: 1 preseason, 2 regular season, 3 postseason, 4 off-season, 5 play-in.
ESPN_SKIPPED_SEASON_TYPES = frozenset({1, 4})


def parse_espn_scoreboard(body: bytes, game_date: date, key: str) -> pd.DataFrame:
    source, endpoint = "espn", "scoreboard"
    payload = validate_payload(EspnScoreboardPayload, body, source=source, endpoint=endpoint,
                               game_date=game_date, key=key)
    require_date_listed([_eastern_date(e.date) for e in payload.events], game_date, source,
                        endpoint, key)
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
        teams = matchup(sides["home"].team.abbreviation, sides["away"].team.abbreviation,
                         source, endpoint, game_date, key)
        if teams is None:
            continue
        home, away = teams
        status = event.status.type
        code = FINAL if status.completed else LIVE if status.state == "in" else SCHEDULED
        rows.append(schedule_row(
            game_date, game_code(game_date, away, home), code, status.description,
            tip.strftime("%Y-%m-%dT%H:%M:%SZ"), home, away,
            _int_or_none(sides["home"].score), _int_or_none(sides["away"].score), source, key))
    return pd.DataFrame(rows)




def _eastern_date(when: str) -> date:
    tip = pd.Timestamp(when)
    return (tip.tz_localize("UTC") if tip.tzinfo is None else tip).tz_convert(EASTERN).date()


def _int_or_none(value: str | int | None) -> int | None:
    if value is None or value == "":
        return None
    return int(value)
