"""The live source: real HTTP clients behind the same interface as the replay source.

Every `fetch_*` is a generator. The landing asset writes each payload as it is yielded, so when a
source fails half-way, what already arrived is in the landing store before the error surfaces
(and `FetchFailed.payloads` holds the same payloads for callers that collect into a list).
Schedules fall back NBA.com -> ESPN -> Ball Don't Lie, box scores and injury reports NBA.com ->
Ball Don't Lie;
each payload's metadata names the source used and what it fell back from. A payload that does
not fit its model is landed under `<endpoint>.rejected` and counts as that source failing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

from dagster import get_dagster_logger
from pydantic import Field

from nba_pipeline.constants import EASTERN
from nba_pipeline.ingest.endpoints import (
    BDL_BOX_SCORES,
    BDL_GAMES,
    BDL_INJURIES,
    ESPN_SCOREBOARD,
    NBA_COM_INJURY_REPORT,
    NBA_COM_LEAGUEGAMELOG,
    NBA_COM_SCHEDULE,
    sources_for,
)
from nba_pipeline.sources.base import NbaDataSource, Payload, SourceUnavailableError
from nba_pipeline.sources.clients import (
    BalldontlieClient,
    EspnClient,
    NbaComClient,
    NbaInjuryReportClient,
    OddsApiClient,
    RejectedPayload,
)
from nba_pipeline.sources.clients.base import ApiKeyError
from nba_pipeline.sources.http import HttpFetchError
from nba_pipeline.tables import BOXSCORES, INJURY_REPORT, SCHEDULE

# Failures a fallback can cure; anything else (a bug) propagates unchanged.
SOURCE_FAILURES = (HttpFetchError, RejectedPayload, ApiKeyError)


class FetchFailed(SourceUnavailableError):
    """No source could deliver a date's payloads. Lists every attempt; keeps what arrived."""

    def __init__(self, what: str, game_date: date, failures: list[str],
                 payloads: list[Payload]):
        self.what, self.game_date, self.failures, self.payloads = (
            what, game_date, failures, payloads)
        kept = f"; {len(payloads)} payload(s) received were landed" if payloads else ""
        super().__init__(
            f"{what} for game date {game_date.isoformat()}: every source failed{kept}. "
            + " | ".join(failures)
        )


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


class LiveSource(NbaDataSource):
    """NBA.com, ESPN, Ball Don't Lie and The Odds API over HTTP (NBA_PIPELINE_SOURCE=live)."""

    nba_com: NbaComClient = Field(default_factory=NbaComClient)
    espn: EspnClient = Field(default_factory=EspnClient)
    balldontlie: BalldontlieClient = Field(default_factory=BalldontlieClient)
    odds_api: OddsApiClient = Field(default_factory=OddsApiClient)
    injuries: NbaInjuryReportClient = Field(default_factory=NbaInjuryReportClient)
    # Tried in this order: the registry's primary, then its fallbacks (ingest/endpoints.py).
    schedule_sources: list[str] = sources_for(SCHEDULE)
    boxscore_sources: list[str] = sources_for(BOXSCORES)
    injury_sources: list[str] = sources_for(INJURY_REPORT)
    # Also land boxscoretraditionalv3 per game (starters, MM:SS minutes): one call per game.
    fetch_boxscore_v3: bool = False

    # --- schedule -------------------------------------------------------------------------

    def fetch_schedule(self, game_date: date) -> Iterator[Payload]:
        fetchers: dict[str, Callable[[datetime], Iterable[Payload]]] = {
            NBA_COM_SCHEDULE.source: lambda at: [self.nba_com.schedule(game_date, at)],
            ESPN_SCOREBOARD.source: lambda at: [self.espn.scoreboard(game_date, at)],
            BDL_GAMES.source: lambda at: self.balldontlie.games(game_date, at),
        }
        yield from self._first_success("schedule", game_date, self.schedule_sources, fetchers)

    # --- box scores -----------------------------------------------------------------------

    def fetch_boxscores(self, game_date: date) -> Iterator[Payload]:
        fetchers: dict[str, Callable[[datetime], Iterable[Payload]]] = {
            NBA_COM_LEAGUEGAMELOG.source: lambda at: self._nba_boxscores(game_date, at),
            BDL_BOX_SCORES.source: lambda at: self.balldontlie.box_scores(game_date, at),
        }
        yield from self._first_success("box scores", game_date, self.boxscore_sources, fetchers)

    def _nba_boxscores(self, game_date: date, fetched_at: datetime) -> Iterator[Payload]:
        game_ids: list[str] = []
        for season_type in self.nba_com.season_types:
            payload, ids = self.nba_com.leaguegamelog(game_date, fetched_at, season_type)
            game_ids.extend(ids)
            yield payload
        if self.fetch_boxscore_v3:
            yield from self._boxscores_v3(game_ids, game_date, fetched_at)

    def _boxscores_v3(self, game_ids: list[str], game_date: date, fetched_at: datetime
                      ) -> Iterator[Payload]:
        """Optional enrichment: a game whose v3 box score fails is logged (source, URL, date)
        and skipped, so the day's leaguegamelog is not thrown over for a fallback source."""
        log = get_dagster_logger()
        for game_id in game_ids:
            try:
                yield self.nba_com.boxscore_v3(game_id, game_date, fetched_at)
            except RejectedPayload as exc:
                log.warning(str(exc))
                yield exc.payload
            except SOURCE_FAILURES as exc:
                log.warning(f"boxscoretraditionalv3 skipped for game {game_id}: {exc}")

    # --- player points odds ---------------------------------------------------------------

    def fetch_player_points_odds(self, game_date: date
                                 ) -> Iterator[Payload]:
        """The events list, then each event's player_points odds. One event failing does not
        stop the others; the error is raised after every reachable event was landed. An event
        that is not valid (`commence_time: "TBD"`) is skipped: logged, and listed under
        `skipped` in the events payload's metadata (the landing materialization shows it)."""
        log = get_dagster_logger()
        fetched_at = _now()
        received: list[Payload] = []
        try:
            events_payload, events, skipped = self.odds_api.events(game_date, fetched_at)
        except RejectedPayload as exc:
            yield exc.payload
            raise FetchFailed("player points odds", game_date, [str(exc)], [exc.payload]) from None
        except SOURCE_FAILURES as exc:
            raise FetchFailed("player points odds", game_date, [str(exc)], []) from None
        if skipped:
            skipped = [f"{events_payload.landing_key}: {why}" for why in skipped]
            for why in skipped:
                log.warning(why)
            events_payload = _with_meta(events_payload, {"skipped": json.dumps(skipped)})
        received.append(events_payload)
        yield events_payload
        failures: list[str] = []
        todays = [e for e in events if e.tip_off.astimezone(EASTERN).date() == game_date]
        # The events list is the day's schedule: a fetch landing fewer is recorded as partial.
        expected = {"fetch_expected": str(len(todays))}
        for event in todays:
            try:
                payload = self.odds_api.event_player_points(event.id, game_date, fetched_at)
            except RejectedPayload as exc:
                received.append(exc.payload)
                yield _with_meta(exc.payload, expected)
                failures.append(str(exc))
                continue
            except SOURCE_FAILURES as exc:
                failures.append(str(exc))
                log.warning(str(exc))
                continue
            payload = _with_meta(payload, expected)
            received.append(payload)
            yield payload
        if failures:
            raise FetchFailed("player points odds", game_date, failures, received)

    # --- game lines -----------------------------------------------------------------------

    def fetch_game_lines(self, game_date: date) -> Iterator[Payload]:
        """One /odds call for the day's h2h, spreads and totals; a body that does not fit is
        landed (as `.rejected`) before the failure is raised."""
        try:
            yield self.odds_api.game_lines(game_date, _now())
        except RejectedPayload as exc:
            yield exc.payload
            raise FetchFailed("game lines", game_date, [str(exc)], [exc.payload]) from None
        except SOURCE_FAILURES as exc:
            raise FetchFailed("game lines", game_date, [str(exc)], []) from None

    # --- injury report --------------------------------------------------------------------

    def fetch_injury_report(self, game_date: date) -> Iterator[Payload]:
        """The official PDF; Ball Don't Lie's current injury list when it cannot be had."""
        fetchers: dict[str, Callable[[datetime], Iterable[Payload]]] = {
            NBA_COM_INJURY_REPORT.source: lambda at: [self.injuries.report(game_date, at)],
            BDL_INJURIES.source: lambda at: self.balldontlie.injuries(game_date, at),
        }
        yield from self._first_success("injury report", game_date, self.injury_sources,
                                       fetchers)

    # --- shared fallback loop -------------------------------------------------------------

    def _first_success(self, what: str, game_date: date, order: list[str],
                       fetchers: dict[str, Callable[[datetime], Iterable[Payload]]]
                       ) -> Iterator[Payload]:
        """Try each source in `order`; yield its payloads; stop at the first that completes."""
        log = get_dagster_logger()
        failures: list[str] = []
        received: list[Payload] = []
        primary = order[0] if order else ""
        previous: datetime | None = None
        for source in order:
            if source not in fetchers:
                raise ValueError(f"{what}: unknown source {source!r}; expected {list(fetchers)}")
            # Strictly later than the source tried before, so "newest fetch of the date" always
            # names the source this run settled on, even when a failure took under a second.
            fetched_at = _now()
            if previous is not None and fetched_at <= previous:
                fetched_at = previous + timedelta(seconds=1)
            previous = fetched_at
            meta = {"source_used": source, "primary_source": primary}
            if source != primary:
                meta["fallback_from"] = ",".join(order[: order.index(source)])
            try:
                for payload in fetchers[source](fetched_at):
                    payload = _with_meta(payload, meta)
                    received.append(payload)
                    yield payload
            except RejectedPayload as exc:
                rejected = _with_meta(exc.payload, meta)
                received.append(rejected)
                yield rejected
                failures.append(str(exc))
            except SOURCE_FAILURES as exc:
                failures.append(str(exc))
            else:
                if source != primary:
                    log.warning(f"{what} for {game_date}: used fallback source {source} "
                                f"because: {' | '.join(failures)}")
                return
            log.warning(f"{what} for {game_date}: source {source} failed: {failures[-1]}")
        raise FetchFailed(what, game_date, failures, received)


def _with_meta(payload: Payload, extra: dict[str, Any]) -> Payload:
    return Payload(payload.source, payload.endpoint, payload.game_date, payload.fetched_at,
                   payload.name, payload.body, payload.url,
                   {**payload.metadata, **{k: str(v) for k, v in extra.items()}})
