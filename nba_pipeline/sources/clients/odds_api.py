"""The Odds API v4: NBA events, per-event `player_points` odds and the day's game lines
(`h2h,spreads,totals` for every event in one call), live or historical.

The key goes in the `apiKey` query parameter (the API accepts nothing else), so every URL
shown anywhere is redacted (`apiKey=***`). Each response's quota headers
(`x-requests-remaining`, `x-requests-used`, `x-requests-last`) go into the payload metadata.
Historical endpoints wrap the same objects in a snapshot envelope (`timestamp`, `data`); they
land under their own endpoint names and have their own parser.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import ClassVar, Literal
from urllib.parse import quote

from pydantic import Field

from nba_pipeline.constants import EASTERN
from nba_pipeline.ingest.endpoints import (
    ODDS_EVENT_ODDS,
    ODDS_GAME_LINES,
    ODDS_HISTORICAL_EVENT_ODDS,
    ODDS_HISTORICAL_GAME_LINES,
)
from nba_pipeline.ingest.payloads import (
    EventOddsPayload,
    GameOddsPayload,
    HistoricalEventOddsPayload,
    HistoricalEventsPayload,
    HistoricalGameOddsPayload,
    OddsEvent,
    OddsEventsPayload,
    valid_events,
)
from nba_pipeline.sources.base import Payload
from nba_pipeline.sources.clients.base import ApiClient, env_secret, url_from_env
from nba_pipeline.sources.http import HttpPolicy, Response

API_KEY_ENV = "ODDS_API_KEY"
SPORT = "basketball_nba"
GAME_LINE_MARKETS = "h2h,spreads,totals"
QUOTA_HEADERS = ("x-requests-remaining", "x-requests-used", "x-requests-last")


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class OddsApiClient(ApiClient):
    """api.the-odds-api.com. Quota is per month by plan; each event-odds call costs
    (markets x regions) credits, historical calls 10x that."""

    SOURCE: ClassVar[str] = "odds_api"
    base_url: str = url_from_env("ODDS_API_BASE_URL", "https://api.the-odds-api.com")
    api_key: str | None = None  # e.g. EnvVar("ODDS_API_KEY"); else read from the env
    # The API answers 429 to bursts; a few calls a second stays well inside it.
    policy: HttpPolicy = Field(default_factory=lambda: HttpPolicy(min_interval=0.25))
    regions: str = "us"
    odds_format: str = "american"
    # auto: live endpoints for today and later, historical snapshots for past dates.
    mode: Literal["auto", "live", "historical"] = "auto"
    historical_snapshot_hour_et: int = 10

    def _key(self) -> str:
        return env_secret(self.api_key, API_KEY_ENV, self.SOURCE)

    def secrets(self) -> tuple[str, ...]:
        return (self._key(),)

    def is_historical(self, game_date: date) -> bool:
        if self.mode != "auto":
            return self.mode == "historical"
        return game_date < datetime.now(EASTERN).date()

    def to_payload(self, response: Response, endpoint: str, game_date: date,
                   fetched_at: datetime, name: str,
                   metadata: dict[str, str] | None = None) -> Payload:
        lowered = {k.lower(): v for k, v in response.headers.items()}
        quota = {h.replace("-", "_"): lowered[h] for h in QUOTA_HEADERS if h in lowered}
        return super().to_payload(response, endpoint, game_date, fetched_at, name,
                                  {**quota, **(metadata or {})})

    def _day_window(self, game_date: date) -> dict[str, object]:
        start = datetime.combine(game_date, time(0), EASTERN)
        return {"commenceTimeFrom": _iso(start),
                "commenceTimeTo": _iso(start + timedelta(days=1) - timedelta(seconds=1))}

    def _snapshot(self, game_date: date) -> str:
        return _iso(datetime.combine(game_date, time(self.historical_snapshot_hour_et), EASTERN))

    def events(self, game_date: date, fetched_at: datetime
               ) -> tuple[Payload, list[OddsEvent], list[str]]:
        """The payload listing the events of `game_date` (US/Eastern), the valid events, and why
        each other item was skipped (one bad event must not cost the day's others)."""
        params: dict[str, object] = {"apiKey": self._key(), "dateFormat": "iso",
                                     **self._day_window(game_date)}
        if self.is_historical(game_date):
            url = self.url(f"v4/historical/sports/{SPORT}/events",
                           {**params, "date": self._snapshot(game_date)})
            payload = self.get_payload(url, "events_historical", game_date, fetched_at,
                                       "events.json")
            items = self.validate(payload, HistoricalEventsPayload).data
        else:
            url = self.url(f"v4/sports/{SPORT}/events", params)
            payload = self.get_payload(url, "events", game_date, fetched_at, "events.json")
            items = self.validate(payload, OddsEventsPayload).root
        events, skipped = valid_events(items)
        return payload, events, skipped

    def event_player_points(self, event_id: str, game_date: date,
                            fetched_at: datetime) -> Payload:
        # The id is upstream data: quoted whole, so `../` or `/` in it cannot change the path.
        path_id = quote(event_id, safe="")
        params: dict[str, object] = {"apiKey": self._key(), "regions": self.regions,
                                     "markets": "player_points", "oddsFormat": self.odds_format,
                                     "dateFormat": "iso"}
        if self.is_historical(game_date):
            url = self.url(f"v4/historical/sports/{SPORT}/events/{path_id}/odds",
                           {**params, "date": self._snapshot(game_date)})
            payload = self.get_payload(url, ODDS_HISTORICAL_EVENT_ODDS.endpoint, game_date,
                                       fetched_at, f"{event_id}.json")
            self.validate(payload, HistoricalEventOddsPayload)
        else:
            url = self.url(f"v4/sports/{SPORT}/events/{path_id}/odds", params)
            payload = self.get_payload(url, ODDS_EVENT_ODDS.endpoint, game_date,
                                       fetched_at, f"{event_id}.json")
            self.validate(payload, EventOddsPayload)
        return payload

    def game_lines(self, game_date: date, fetched_at: datetime) -> Payload:
        """Every event of `game_date` (US/Eastern) with h2h, spreads and totals: one call (its
        cost is 3 markets x regions credits; 10x that as a historical snapshot)."""
        params: dict[str, object] = {"apiKey": self._key(), "regions": self.regions,
                                     "markets": GAME_LINE_MARKETS,
                                     "oddsFormat": self.odds_format, "dateFormat": "iso",
                                     **self._day_window(game_date)}
        if self.is_historical(game_date):
            url = self.url(f"v4/historical/sports/{SPORT}/odds",
                           {**params, "date": self._snapshot(game_date)})
            payload = self.get_payload(url, ODDS_HISTORICAL_GAME_LINES.endpoint, game_date,
                                       fetched_at, "game_lines.json")
            self.validate(payload, HistoricalGameOddsPayload)
        else:
            url = self.url(f"v4/sports/{SPORT}/odds", params)
            payload = self.get_payload(url, ODDS_GAME_LINES.endpoint, game_date, fetched_at,
                                       "game_lines.json")
            self.validate(payload, GameOddsPayload)
        return payload
