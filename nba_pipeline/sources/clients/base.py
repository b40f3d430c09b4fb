"""What every API client shares: base URL, HTTP policy, payload building and validation.

A client turns one GET into a `Payload` (the body exactly as received, URL without secrets) and
checks it against its pydantic model at once. A body that does not fit is still handed back,
under the endpoint `<endpoint>.rejected`, inside `RejectedPayload`: the caller lands it (so it
is kept) and the raw parsers never see it (they read only the real endpoint prefixes).
"""

from __future__ import annotations

import os
from datetime import date, datetime
from typing import Any, ClassVar, TypeVar

from dagster import ConfigurableResource
from pydantic import BaseModel, Field, PrivateAttr

from nba_pipeline.ingest.payloads import PayloadError, validate_payload
from nba_pipeline.sources.base import Payload
from nba_pipeline.sources.http import (
    HttpClient,
    HttpPolicy,
    Response,
    build_url,
    register_secret,
    scrub,
)

M = TypeVar("M", bound=BaseModel)
REJECTED_SUFFIX = ".rejected"


class RejectedPayload(RuntimeError):
    """A 2xx body that does not fit its model. `payload` is the quarantined copy to land."""

    def __init__(self, payload: Payload, error: PayloadError):
        self.payload, self.error = payload, error
        super().__init__(scrub(
            f"{payload.source}: GET {payload.url} for game date {payload.game_date.isoformat()} "
            f"returned a payload that does not fit: {error}"
        ))


class ApiKeyError(RuntimeError):
    """An API key is missing or unusable; the message names the variable, never the value."""


class MissingApiKeyError(ApiKeyError):
    """The API key's environment variable is not set."""


class InvalidApiKeyError(ApiKeyError):
    """The key holds whitespace, a control or a non-ASCII character inside it: refused before
    any request, since requests would otherwise quote it in an InvalidHeader message."""


class ApiClient(ConfigurableResource):
    """Base for the per-API clients; each is a Dagster resource configured from the env."""

    SOURCE: ClassVar[str] = ""
    base_url: str
    policy: HttpPolicy = Field(default_factory=HttpPolicy)

    _http: HttpClient | None = PrivateAttr(default=None)

    def headers(self) -> dict[str, str]:
        return {"Accept": "application/json", "Accept-Encoding": "gzip, deflate",
                "User-Agent": "nba-pipeline/0.1 (+https://github.com/)"}

    def secrets(self) -> tuple[str, ...]:
        return ()

    @property
    def http(self) -> HttpClient:
        if self._http is None:
            self._http = HttpClient(self.SOURCE, self.policy, self.headers(), self.secrets())
        return self._http

    def url(self, path: str, params: dict[str, object] | None = None) -> str:
        return build_url(self.base_url, path, params)

    def get_payload(self, url: str, endpoint: str, game_date: date, fetched_at: datetime,
                    name: str, metadata: dict[str, str] | None = None) -> Payload:
        response = self.http.get(url, game_date)
        return self.to_payload(response, endpoint, game_date, fetched_at, name, metadata)

    def to_payload(self, response: Response, endpoint: str, game_date: date,
                   fetched_at: datetime, name: str,
                   metadata: dict[str, str] | None = None) -> Payload:
        meta = {"mode": "live", "status": str(response.status),
                "attempts": str(response.attempts), **(metadata or {})}
        return Payload(self.SOURCE, endpoint, game_date, fetched_at, name, response.body,
                       response.url, meta)

    @staticmethod
    def quarantined(payload: Payload) -> Payload:
        """The same payload under `<endpoint>.rejected`, where no raw parser reads."""
        return Payload(payload.source, payload.endpoint + REJECTED_SUFFIX, payload.game_date,
                       payload.fetched_at, payload.name, payload.body, payload.url,
                       payload.metadata)

    @classmethod
    def validate(cls, payload: Payload, model: type[M]) -> M:
        """The model of `payload`, or RejectedPayload carrying the copy to keep."""
        rejected = cls.quarantined(payload)
        try:
            return validate_payload(model, payload.body, source=payload.source,
                                    endpoint=payload.endpoint, game_date=payload.game_date,
                                    key=rejected.landing_key)
        except PayloadError as exc:
            raise RejectedPayload(rejected, exc) from None


def url_from_env(env_var: str, default: str) -> Any:
    """A base-URL field defaulting to `$env_var` (e.g. a loopback test server) or `default`."""
    return Field(default_factory=lambda: os.environ.get(env_var) or default,
                 description=f"Base URL; default ${env_var} or {default}")


def env_secret(explicit: str | None, env_var: str, source: str) -> str:
    """An API key from config (e.g. `EnvVar(...)`) or the environment, stripped (keys read from
    files end in a newline) and checked; registered for scrubbing before anything can show it."""
    value = (explicit or os.environ.get(env_var) or "").strip()
    if not value:
        raise MissingApiKeyError(f"{source}: set the {env_var} environment variable")
    register_secret(value)
    if not all("!" <= ch <= "~" for ch in value):
        raise InvalidApiKeyError(
            f"{source}: the {env_var} value is not a usable API key: it holds whitespace, a "
            "control character or a non-ASCII character (the value is not shown)")
    return value
