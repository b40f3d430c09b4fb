"""The one interface that live HTTP clients and the replay source share.

Assets only ever see `NbaDataSource`; a profile decides whether it is live or replayed. Which
(source, endpoint) pairs land payloads the raw tables parse is `nba_pipeline.ingest.endpoints`.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from dagster import ConfigurableResource

from nba_pipeline.storage.landing import landing_key


@dataclass(frozen=True)
class Payload:
    """One HTTP body exactly as received, with where and when it came from (never a secret)."""

    source: str
    endpoint: str
    game_date: date
    fetched_at: datetime
    name: str
    body: bytes
    url: str
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def landing_key(self) -> str:
        return landing_key(self.source, self.endpoint, self.game_date, self.fetched_at, self.name)


class SourceUnavailableError(RuntimeError):
    """Every source for a payload failed; the message names each source, URL and game date."""


class NbaDataSource(ConfigurableResource):
    """Fetch one game date's payloads. Implementations: live HTTP clients, recorded replay."""

    # Implementations may be generators: the landing asset writes each payload as it arrives, so
    # a source failing half-way through a date keeps everything received before the failure.

    @abstractmethod
    def fetch_schedule(self, game_date: date) -> Iterable[Payload]: ...

    @abstractmethod
    def fetch_boxscores(self, game_date: date) -> Iterable[Payload]: ...

    @abstractmethod
    def fetch_player_points_odds(self, game_date: date) -> Iterable[Payload]: ...

    @abstractmethod
    def fetch_game_lines(self, game_date: date) -> Iterable[Payload]: ...

    @abstractmethod
    def fetch_injury_report(self, game_date: date) -> Iterable[Payload]: ...
