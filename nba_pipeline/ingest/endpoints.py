"""The one registry of endpoints: every (source, endpoint) that lands payloads a raw table reads.

Each `Endpoint` says which payload model validates its bodies, which parser turns them into
rows, which raw table those rows feed (a `tables.py` entry), which landing asset its files
belong to, and its place among the table's sources: `order` 0 is the primary, 1, 2, ... the
fallbacks in the order they are tried. The raw assets (which endpoints feed a table, in what
order), the landing sensor (raw table and landing asset by endpoint, watched prefixes), the live
and replay sources and the tests read this module; an endpoint's name is spelled here.

Endpoints that are landed but read by no raw table (nba.com boxscoretraditionalv3, rejected
`<endpoint>.rejected` copies) are not registered: the landing sensor ignores them.

Plain Python (no Dagster).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd
from pydantic import BaseModel

from nba_pipeline import tables
from nba_pipeline.ingest.parsers import (
    balldontlie,
    espn,
    game_lines,
    injury_report,
    nba_com,
    odds_api,
)
from nba_pipeline.ingest.parsers.common import SOURCE_GAME_COLUMNS, Parser
from nba_pipeline.ingest.payloads import balldontlie as bdl_payloads
from nba_pipeline.ingest.payloads import closing_lines as closing_payloads
from nba_pipeline.ingest.payloads import espn as espn_payloads
from nba_pipeline.ingest.payloads import injury_report as injury_payloads
from nba_pipeline.ingest.payloads import nba_com as nba_payloads
from nba_pipeline.ingest.payloads import odds_api as odds_payloads
from nba_pipeline.ingest.payloads.common import PayloadError
from nba_pipeline.tables import Table

PRIMARY, FALLBACK = "primary", "fallback"


@dataclass(frozen=True)
class Endpoint:
    """One (source, endpoint) whose landed payloads a raw table parses."""

    source: str
    endpoint: str
    model: type[BaseModel]  # validates one landed body (`validate_payload`)
    parser: Parser  # (body, game_date, landing_key) -> rows of `raw_table`
    raw_table: Table
    landing_asset: Table
    order: int = 0  # 0: the table's primary endpoint; 1, 2, ...: fallbacks, tried in that order
    # Schedule endpoints: the games a body lists, read without the parser (None: the parser's
    # rows are the listing), for `games_complete_vs_schedule`.
    list_games: Parser | None = None
    # What a body holds that the parser deliberately drops, counted per reason (dropped game
    # types), for the raw asset's `game_types_dropped` metadata.
    count_dropped: Callable[[bytes, date], dict[str, int]] | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.source, self.endpoint

    @property
    def prefix(self) -> str:
        """Where its payloads land: `{source}/{endpoint}/{game_date}/{fetched_at}/{name}`."""
        return f"{self.source}/{self.endpoint}/"

    @property
    def role(self) -> str:
        return PRIMARY if self.order == 0 else FALLBACK

    @property
    def primary(self) -> bool:
        return self.order == 0


NBA_COM_SCHEDULE = Endpoint("nba_com", "schedule", nba_payloads.SchedulePayload,
                            nba_com.parse_nba_schedule, tables.SCHEDULE, tables.LANDING_SCHEDULE,
                            order=0, list_games=nba_com.nba_schedule_games,
                            count_dropped=nba_com.dropped_schedule_games)
ESPN_SCOREBOARD = Endpoint("espn", "scoreboard", espn_payloads.EspnScoreboardPayload,
                           espn.parse_espn_scoreboard, tables.SCHEDULE, tables.LANDING_SCHEDULE,
                           order=1)
BDL_GAMES = Endpoint("balldontlie", "games", bdl_payloads.BdlGamesPayload,
                     balldontlie.parse_bdl_games, tables.SCHEDULE, tables.LANDING_SCHEDULE,
                     order=2)
NBA_COM_LEAGUEGAMELOG = Endpoint("nba_com", "leaguegamelog", nba_payloads.LeagueGameLogPayload,
                                 nba_com.parse_leaguegamelog, tables.BOXSCORES,
                                 tables.LANDING_BOXSCORES, order=0,
                                 count_dropped=nba_com.dropped_gamelog_rows)
BDL_BOX_SCORES = Endpoint("balldontlie", "box_scores", bdl_payloads.BdlBoxScoresPayload,
                          balldontlie.parse_bdl_box_scores, tables.BOXSCORES,
                          tables.LANDING_BOXSCORES, order=1)
ODDS_EVENT_ODDS = Endpoint("odds_api", "event_odds_player_points",
                           odds_payloads.EventOddsPayload, odds_api.parse_event_odds,
                           tables.PROP_LINES, tables.LANDING_LINES, order=0)
# Past dates: the same event odds as a historical snapshot (the odds client picks by date).
ODDS_HISTORICAL_EVENT_ODDS = Endpoint("odds_api", "event_odds_player_points_historical",
                                      odds_payloads.HistoricalEventOddsPayload,
                                      odds_api.parse_historical_event_odds, tables.PROP_LINES,
                                      tables.LANDING_LINES, order=1)
# Game lines: one /odds call per day (h2h, spreads, totals for every event); past dates as a
# historical snapshot; replay serves the recorded closing lines (shared data §8).
ODDS_GAME_LINES = Endpoint("odds_api", "game_lines", odds_payloads.GameOddsPayload,
                           game_lines.parse_game_odds, tables.GAME_LINES,
                           tables.LANDING_GAME_LINES, order=0)
ODDS_HISTORICAL_GAME_LINES = Endpoint("odds_api", "game_lines_historical",
                                      odds_payloads.HistoricalGameOddsPayload,
                                      game_lines.parse_historical_game_odds, tables.GAME_LINES,
                                      tables.LANDING_GAME_LINES, order=1)
CLOSING_GAME_LINES = Endpoint(game_lines.CLOSING_SOURCE, game_lines.CLOSING_ENDPOINT,
                              closing_payloads.ClosingLinesPayload,
                              game_lines.parse_closing_lines, tables.GAME_LINES,
                              tables.LANDING_GAME_LINES, order=2)
# Injury reports: the official PDF (its model validates the rows read out of it), then Ball
# Don't Lie's current injury list when the PDF cannot be fetched.
NBA_COM_INJURY_REPORT = Endpoint(injury_report.SOURCE, injury_report.ENDPOINT,
                                 injury_payloads.InjuryReportDocument,
                                 injury_report.parse_injury_report, tables.INJURY_REPORT,
                                 tables.LANDING_INJURIES, order=0)
BDL_INJURIES = Endpoint("balldontlie", "injuries", bdl_payloads.BdlInjuriesPayload,
                        balldontlie.parse_bdl_injuries, tables.INJURY_REPORT,
                        tables.LANDING_INJURIES, order=1)

# In raw-table order (tables.RAW_TABLES), then primary first: the landing sensor sweeps them so.
ENDPOINTS: dict[tuple[str, str], Endpoint] = {e.key: e for e in (
    NBA_COM_SCHEDULE, ESPN_SCOREBOARD, BDL_GAMES,
    NBA_COM_LEAGUEGAMELOG, BDL_BOX_SCORES,
    ODDS_EVENT_ODDS, ODDS_HISTORICAL_EVENT_ODDS,
    ODDS_GAME_LINES, ODDS_HISTORICAL_GAME_LINES, CLOSING_GAME_LINES,
    NBA_COM_INJURY_REPORT, BDL_INJURIES,
)}


def endpoint(source: str, name: str) -> Endpoint:
    """The entry for (source, name); a clear error for an endpoint nothing parses."""
    entry = ENDPOINTS.get((source, name))
    if entry is None:
        raise KeyError(f"{source}/{name} is not a registered endpoint "
                       f"(known: {[f'{s}/{e}' for s, e in ENDPOINTS]})")
    return entry


def endpoints_for(table: Table) -> tuple[Endpoint, ...]:
    """The endpoints feeding a raw table: the primary first, then the fallbacks in order."""
    return tuple(sorted((e for e in ENDPOINTS.values() if e.raw_table == table),
                        key=lambda e: e.order))


def primary_for(table: Table) -> Endpoint:
    (primary,) = [e for e in endpoints_for(table) if e.primary]
    return primary


def sources() -> tuple[str, ...]:
    """Every source that lands payloads a raw table reads, in registry order."""
    return tuple(dict.fromkeys(e.source for e in ENDPOINTS.values()))


def sources_for(table: Table) -> list[str]:
    """The sources of a raw table in fallback order (the live source's default order)."""
    return [e.source for e in endpoints_for(table)]


def parse_landed(source: str, endpoint: str, body: bytes, game_date: date, key: str
                 ) -> pd.DataFrame:
    """The rows of one landed body, parsed by its endpoint's parser (PayloadError if none)."""
    entry = ENDPOINTS.get((source, endpoint))
    if entry is None:
        raise PayloadError(source, endpoint, game_date, key, "no parser for this endpoint")
    return entry.parser(body, game_date, key)


def dropped_counts(source: str, endpoint: str, body: bytes, game_date: date) -> dict[str, int]:
    """What the endpoint's parser drops from one body on purpose, per reason ({} if nothing)."""
    entry = ENDPOINTS.get((source, endpoint))
    if entry is None or entry.count_dropped is None:
        return {}
    return entry.count_dropped(body, game_date)


def schedule_source_games(source: str, endpoint: str, body: bytes, game_date: date, key: str
                          ) -> pd.DataFrame:
    """Every game of the kept types that a landed schedule payload lists for `game_date`.

    For nba.com this walks the raw JSON without the parser (`list_games`), so a game the parser
    or its model drops is still listed and `games_complete_vs_schedule` fails on it. ESPN and
    Ball Don't Lie carry no nba.com ids: their parsers' rows are the listing.
    """
    entry = ENDPOINTS.get((source, endpoint))
    list_games: Callable[[bytes, date, str], pd.DataFrame] | None = (
        entry.list_games if entry is not None else None)
    if list_games is not None:
        return list_games(body, game_date, key)
    rows = parse_landed(source, endpoint, body, game_date, key)
    return rows.reindex(columns=SOURCE_GAME_COLUMNS) if len(rows) else pd.DataFrame(
        columns=SOURCE_GAME_COLUMNS)
