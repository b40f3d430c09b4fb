"""NBA.com: CDN season schedule, stats.nba.com leaguegamelog / scoreboardv3 / boxscoretraditionalv3.

The CDN `scheduleLeagueV2.json` holds only the current season, so other seasons' schedules come
from stats.nba.com `scheduleleaguev2?Season=`. The season file is ~9 MB and the same for every
date: it is fetched once per process per `schedule_cache_s` and landed for each date asked.
stats.nba.com refuses requests without browser-like headers, hence `STATS_HEADERS`.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import ClassVar

from pydantic import Field, PrivateAttr

from nba_pipeline.constants import EASTERN
from nba_pipeline.ingest.endpoints import NBA_COM_LEAGUEGAMELOG, NBA_COM_SCHEDULE
from nba_pipeline.ingest.parsers.common import season_label as season_for
from nba_pipeline.ingest.parsers.nba_com import SEASON_TYPE_GAME_TYPE, gamelog_name
from nba_pipeline.ingest.payloads import (
    BoxScoreTraditionalV3Payload,
    LeagueGameLogPayload,
    PayloadError,
    SchedulePayload,
)
from nba_pipeline.sources.base import Payload
from nba_pipeline.sources.clients.base import ApiClient, RejectedPayload, url_from_env
from nba_pipeline.sources.http import HttpClient, HttpPolicy, Response

STATS_HEADERS = {
    "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                  "(KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "Referer": "https://www.nba.com/",
    "Origin": "https://www.nba.com",
    "Accept": "application/json, text/plain, */*",
    "Accept-Language": "en-US,en;q=0.9",
    "Accept-Encoding": "gzip, deflate",
    "x-nba-stats-origin": "stats",
    "x-nba-stats-token": "true",
}


class NbaComClient(ApiClient):
    """cdn.nba.com + stats.nba.com. No API key; be gentle (stats.nba.com blocks bursts)."""

    SOURCE: ClassVar[str] = "nba_com"
    base_url: str = url_from_env("NBA_STATS_BASE_URL", "https://stats.nba.com")
    cdn_base_url: str = url_from_env("NBA_CDN_BASE_URL", "https://cdn.nba.com")
    # stats.nba.com throttles bursts: about one call a second per process.
    policy: HttpPolicy = Field(default_factory=lambda: HttpPolicy(min_interval=0.6))
    # One leaguegamelog call per kept game type and date (ingest/parsers/nba_com.py), so play-in,
    # playoff and Cup-final days have box scores too: the Cup final (006) is only served under
    # `IST` (its group and knockout games, 002, stay under `Regular Season`).
    season_types: list[str] = list(SEASON_TYPE_GAME_TYPE)
    schedule_cache_s: float = 900.0

    _cdn: HttpClient | None = PrivateAttr(default=None)
    _schedule_cache: dict[str, tuple[float, Response]] = PrivateAttr(default_factory=dict)

    def headers(self) -> dict[str, str]:
        return dict(STATS_HEADERS)

    @property
    def cdn(self) -> HttpClient:
        if self._cdn is None:
            self._cdn = HttpClient(self.SOURCE, self.policy, super().headers())
        return self._cdn

    def schedule_url(self, game_date: date, today: date | None = None) -> str:
        today = today or datetime.now(EASTERN).date()
        if season_for(game_date) == season_for(today):
            return f"{self.cdn_base_url.rstrip('/')}/static/json/staticData/scheduleLeagueV2.json"
        return self.url("stats/scheduleleaguev2",
                        {"LeagueID": "00", "Season": season_for(game_date)})

    def schedule(self, game_date: date, fetched_at: datetime) -> Payload:
        """The season schedule containing `game_date` (validated), landed as nba_com/schedule."""
        url = self.schedule_url(game_date)
        cached = self._schedule_cache.get(url)
        fresh = cached is not None and time.monotonic() - cached[0] < self.schedule_cache_s
        if cached is not None and fresh:
            response = cached[1]
        else:
            client = self.cdn if url.startswith(self.cdn_base_url) else self.http
            response = client.get(url, game_date)
        payload = self.to_payload(response, NBA_COM_SCHEDULE.endpoint, game_date, fetched_at,
                                  "schedule.json", {"cached": str(fresh).lower()})
        self.validate(payload, SchedulePayload)
        if not fresh:  # only a body that validated is reused for other dates
            self._schedule_cache[url] = (time.monotonic(), response)
        return payload

    def leaguegamelog(self, game_date: date, fetched_at: datetime,
                      season_type: str = "Regular Season") -> tuple[Payload, list[str]]:
        """Every player line of one date and season type; the payload and the day's game ids."""
        url = self.url("stats/leaguegamelog", {
            "Counter": 1000, "DateFrom": game_date.isoformat(), "DateTo": game_date.isoformat(),
            "Direction": "DESC", "LeagueID": "00", "PlayerOrTeam": "P",
            "Season": season_for(game_date), "SeasonType": season_type, "Sorter": "DATE",
        })
        name = gamelog_name(season_type)
        payload = self.get_payload(url, NBA_COM_LEAGUEGAMELOG.endpoint, game_date, fetched_at, name,
                                   {"season_type": season_type})
        model = self.validate(payload, LeagueGameLogPayload)
        game_ids = sorted({str(r["GAME_ID"]) for r in model.records()})
        return payload, game_ids

    def boxscore_v3(self, game_id: str, game_date: date, fetched_at: datetime) -> Payload:
        """boxscoretraditionalv3: starters (`position`) and minutes as "MM:SS"."""
        url = self.url("stats/boxscoretraditionalv3", {
            "GameID": game_id, "LeagueID": "00", "StartPeriod": 0, "EndPeriod": 0,
            "StartRange": 0, "EndRange": 0, "RangeType": 0,
        })
        payload = self.get_payload(url, "boxscoretraditionalv3", game_date, fetched_at,
                                   f"{game_id}.json")
        model = self.validate(payload, BoxScoreTraditionalV3Payload)
        if model.box_score.game_id != game_id:
            rejected = self.quarantined(payload)
            raise RejectedPayload(rejected, PayloadError(
                self.SOURCE, "boxscoretraditionalv3", game_date, rejected.landing_key,
                f"field 'boxScoreTraditional.gameId' is {model.box_score.game_id}, "
                f"asked for {game_id}"))
        return payload
