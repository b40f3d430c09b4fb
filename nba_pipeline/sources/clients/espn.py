"""ESPN site API scoreboard: the first fallback schedule source (no key, generous limits)."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from nba_pipeline.ingest.endpoints import ESPN_SCOREBOARD
from nba_pipeline.ingest.payloads import EspnScoreboardPayload
from nba_pipeline.sources.base import Payload
from nba_pipeline.sources.clients.base import ApiClient, url_from_env


class EspnClient(ApiClient):
    """`site.api.espn.com/apis/site/v2/sports/basketball/nba/scoreboard?dates=YYYYMMDD`."""

    SOURCE: ClassVar[str] = "espn"
    base_url: str = url_from_env("ESPN_BASE_URL", "https://site.api.espn.com")

    def scoreboard(self, game_date: date, fetched_at: datetime) -> Payload:
        url = self.url("apis/site/v2/sports/basketball/nba/scoreboard",
                       {"dates": game_date.strftime("%Y%m%d"), "limit": 100})
        payload = self.get_payload(url, ESPN_SCOREBOARD.endpoint, game_date, fetched_at,
                                   "scoreboard.json")
        self.validate(payload, EspnScoreboardPayload)
        return payload
