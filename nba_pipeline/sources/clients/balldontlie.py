"""Ball Don't Lie v1: games (last-resort schedule), box scores (fallback box scores) and
player injuries (the injury report's fallback).

Auth is the raw key in the `Authorization` header (BALLDONTLIE_API_KEY). List endpoints page
with `meta.next_cursor`; each page is its own payload (`games_p001.json`, ...), all sharing one
fetch time so the raw parser reads them together.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import ClassVar

from pydantic import BaseModel, Field

from nba_pipeline.ingest.endpoints import BDL_BOX_SCORES, BDL_GAMES, BDL_INJURIES
from nba_pipeline.ingest.payloads import (
    BdlBoxScoresPayload,
    BdlGamesPayload,
    BdlInjuriesPayload,
    BdlMeta,
)
from nba_pipeline.sources.base import Payload
from nba_pipeline.sources.clients.base import ApiClient, env_secret, url_from_env
from nba_pipeline.sources.http import HttpFetchError, HttpPolicy

API_KEY_ENV = "BALLDONTLIE_API_KEY"


class BalldontlieClient(ApiClient):
    """api.balldontlie.io. Plan limits: free 5 req/min, ALL-STAR 60/min, GOAT 600/min."""

    SOURCE: ClassVar[str] = "balldontlie"
    base_url: str = url_from_env("BALLDONTLIE_BASE_URL", "https://api.balldontlie.io")
    api_key: str | None = None  # e.g. EnvVar("BALLDONTLIE_API_KEY"); else read from the env
    # Paced for the ALL-STAR plan (60/min); set min_interval=12 on the free plan.
    policy: HttpPolicy = Field(default_factory=lambda: HttpPolicy(min_interval=1.0))
    per_page: int = 100
    max_pages: int = 50

    def _key(self) -> str:
        return env_secret(self.api_key, API_KEY_ENV, self.SOURCE)

    def headers(self) -> dict[str, str]:
        return {**super().headers(), "Authorization": self._key()}

    def secrets(self) -> tuple[str, ...]:
        return (self._key(),)

    def games(self, game_date: date, fetched_at: datetime) -> Iterator[Payload]:
        yield from self._paged("v1/games", {"dates[]": game_date.isoformat(),
                                            "per_page": self.per_page},
                               BDL_GAMES.endpoint, BdlGamesPayload, game_date, fetched_at)

    def box_scores(self, game_date: date, fetched_at: datetime) -> Iterator[Payload]:
        yield from self._paged("v1/box_scores", {"date": game_date.isoformat()},
                               BDL_BOX_SCORES.endpoint, BdlBoxScoresPayload, game_date, fetched_at)

    def injuries(self, game_date: date, fetched_at: datetime) -> Iterator[Payload]:
        """Every currently injured player (the list has no date: it is what is known now)."""
        yield from self._paged("v1/player_injuries", {"per_page": self.per_page},
                               BDL_INJURIES.endpoint, BdlInjuriesPayload, game_date, fetched_at)

    def _paged(self, path: str, params: dict[str, object], endpoint: str,
               model: type[BaseModel], game_date: date, fetched_at: datetime
               ) -> Iterator[Payload]:
        """Yield each page as it arrives, so a failure on page N keeps pages 1..N-1."""
        cursor: int | None = None
        seen: set[int] = set()
        for page in range(1, self.max_pages + 1):
            url = self.url(path, {**params, "cursor": cursor})
            payload = self.get_payload(url, endpoint, game_date, fetched_at,
                                       f"{endpoint}_p{page:03d}.json", {"page": str(page)})
            parsed = self.validate(payload, model)
            yield payload
            meta: BdlMeta | None = getattr(parsed, "meta", None)
            cursor = meta.next_cursor if meta else None
            if cursor is None:
                return
            if cursor in seen:
                raise HttpFetchError(self.SOURCE, payload.url, game_date,
                                     f"cursor {cursor} repeated: paging would never end", page)
            seen.add(cursor)
        raise HttpFetchError(self.SOURCE, self.url(path, params), game_date,
                             f"more than {self.max_pages} pages", self.max_pages)
