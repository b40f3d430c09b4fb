"""Game-line payloads -> one row per (event, book): the home spread, the total and both
moneylines as the book priced them. Consensus across books and the match to the schedule's
game ids are `domain/game_lines.py`, so a row that falls out is reported there, not here.

Three shapes: The Odds API `/odds` (live: every event of the day in one list), its historical
snapshot envelope, and the recorded closing lines the replay source serves (shared data §8),
whose team codes are mapped to nba.com tricodes in `CLOSING_LINE_CODES`, the one place.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from nba_pipeline.constants import EASTERN
from nba_pipeline.domain.teams import BY_TRICODE, tricode_for_name
from nba_pipeline.ingest.payloads.closing_lines import ClosingLineRow, ClosingLinesPayload
from nba_pipeline.ingest.payloads.common import PayloadError, validate_payload
from nba_pipeline.ingest.payloads.odds_api import (
    AnyEventOdds,
    GameOddsPayload,
    HistoricalGameOddsPayload,
)

BOOK_ROW_COLUMNS = [
    "game_date", "event_id", "event_date", "commence_time_utc", "home_team", "away_team",
    "home_team_abbr", "away_team_abbr", "bookmaker", "home_spread", "total", "home_price",
    "away_price", "last_update_utc", "source", "landing_key"]
# The recorded closing lines write lower-case short codes; these six differ from nba.com's
# tricodes, the other 24 are nba.com's in lower case.
CLOSING_LINE_CODES = {"gs": "GSW", "no": "NOP", "ny": "NYK", "sa": "SAS", "utah": "UTA",
                      "wsh": "WAS"}
CLOSING_SOURCE, CLOSING_ENDPOINT, CLOSING_BOOK = "closing_lines", "game_lines", "closing"


def closing_code_tricode(code: str) -> str:
    """The nba.com tricode of a closing-lines team code; a ValueError naming an unknown one."""
    tricode = CLOSING_LINE_CODES.get(code.strip().lower(), code.strip().upper())
    if tricode not in BY_TRICODE:
        raise ValueError(f"unknown team code {code!r} (known: nba.com tricodes in lower case "
                         f"and {sorted(CLOSING_LINE_CODES)})")
    return tricode


def parse_game_odds(body: bytes, game_date: date, key: str) -> pd.DataFrame:
    payload = validate_payload(GameOddsPayload, body, source="odds_api", endpoint="game_lines",
                               game_date=game_date, key=key)
    return _frame([r for event in payload.root for r in _event_rows(event, game_date, key)])


def parse_historical_game_odds(body: bytes, game_date: date, key: str) -> pd.DataFrame:
    payload = validate_payload(HistoricalGameOddsPayload, body, source="odds_api",
                               endpoint="game_lines_historical", game_date=game_date, key=key)
    return _frame([r for event in payload.events for r in _event_rows(event, game_date, key)])


def _event_rows(event: AnyEventOdds, game_date: date, key: str) -> list[dict[str, object]]:
    """One row per book that priced any of h2h, spreads, totals (others ignored)."""
    commence = pd.Timestamp(event.commence_time)
    rows = []
    for book in event.bookmakers:
        row: dict[str, object] = {
            "game_date": game_date, "event_id": event.id,
            "event_date": commence.tz_convert(EASTERN).date(),
            "commence_time_utc": event.commence_time,
            "home_team": event.home_team, "away_team": event.away_team,
            "home_team_abbr": tricode_for_name(event.home_team),
            "away_team_abbr": tricode_for_name(event.away_team),
            "bookmaker": book.key, "home_spread": None, "total": None,
            "home_price": None, "away_price": None, "last_update_utc": None,
            "source": "odds_api", "landing_key": key}
        priced = False
        for market in book.markets:
            by_name = {o.name: o for o in market.outcomes}
            if market.key == "h2h":
                home, away = by_name.get(event.home_team), by_name.get(event.away_team)
                row["home_price"] = home.price if home else None
                row["away_price"] = away.price if away else None
            elif market.key == "spreads":
                home = by_name.get(event.home_team)
                row["home_spread"] = home.point if home else None
            elif market.key == "totals":
                over = by_name.get("Over")
                row["total"] = over.point if over else None
            else:
                continue
            priced = True
            row["last_update_utc"] = max(filter(None, [row["last_update_utc"],
                                                       market.last_update]), default=None)
        if priced:
            rows.append(row)
    return rows


def parse_closing_lines(body: bytes, game_date: date, key: str) -> pd.DataFrame:
    """The recorded closing lines of one date: one 'closing' book per game."""
    payload = validate_payload(ClosingLinesPayload, body, source=CLOSING_SOURCE,
                               endpoint=CLOSING_ENDPOINT, game_date=game_date, key=key)
    rows = []
    for line in payload.rows:
        try:
            home, away = closing_code_tricode(line.home), closing_code_tricode(line.away)
        except ValueError as exc:
            raise PayloadError(CLOSING_SOURCE, CLOSING_ENDPOINT, game_date, key,
                               f"{line.away}@{line.home}: {exc}") from None
        day = datetime.strptime(line.date, "%m/%d/%y").date()
        rows.append({
            "game_date": game_date, "event_id": f"{day:%Y%m%d}/{away}{home}", "event_date": day,
            "commence_time_utc": None, "home_team": line.home, "away_team": line.away,
            "home_team_abbr": home, "away_team_abbr": away, "bookmaker": CLOSING_BOOK,
            "home_spread": _home_spread(line, game_date, key), "total": line.total,
            "home_price": line.moneyline_home, "away_price": line.moneyline_away,
            "last_update_utc": None, "source": CLOSING_SOURCE, "landing_key": key})
    return _frame(rows)


def _home_spread(line: ClosingLineRow, game_date: date, key: str) -> float | None:
    """The home side's handicap: the file's spread is the favourite's margin, a magnitude."""
    if line.spread is None:
        return None
    if line.whos_favored not in ("home", "away"):
        raise PayloadError(CLOSING_SOURCE, CLOSING_ENDPOINT, game_date, key,
                           f"{line.away}@{line.home}: whos_favored={line.whos_favored!r} is "
                           "neither 'home' nor 'away'")
    return -abs(line.spread) if line.whos_favored == "home" else abs(line.spread)


def _frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=BOOK_ROW_COLUMNS)
