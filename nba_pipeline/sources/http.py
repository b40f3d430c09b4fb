"""The one HTTP policy every live client uses: requests + tenacity, bounded and secret-free.

Why one module: the scrapers this replaces each retried differently (fixed sleeps, no timeouts,
bare excepts). Here every call gets a connect+read timeout, exponential backoff with jitter
capped at `backoff_max`, `Retry-After` honoured on 429/503, no retry on a 4xx that cannot
succeed, a bounded number of attempts, a per-process rate limit and concurrency cap per API,
and errors that name the source, the URL without secrets, and the game date.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from dagster import Config
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

logger = logging.getLogger("nba_pipeline.sources.http")

# Query parameters and headers whose values are secrets; redacted wherever a URL is shown.
SECRET_PARAMS = frozenset({"apikey", "api_key", "key", "token", "access_token"})
SECRET_HEADERS = frozenset({"authorization", "x-api-key"})
REDACTED = "***"
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class HttpPolicy(Config):
    """Timeouts, retries and rate limits for one API. Tests shrink the waits through this."""

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_attempts: int = 5
    backoff_initial: float = 1.0
    backoff_max: float = 60.0
    jitter: float = 1.0
    # A server asking us to wait longer than this is treated as down, not waited for.
    retry_after_max: float = 120.0
    # Per-process pacing: at least this many seconds between two calls to one API.
    min_interval: float = 0.0
    # Per-process cap on simultaneous calls to one API (Dagster pools cap runs across processes).
    max_concurrent: int = 2


class HttpFetchError(RuntimeError):
    """A GET failed for good. The message names source, URL (no secrets) and game date."""

    def __init__(self, source: str, url: str, game_date: date | None, reason: str,
                 attempts: int, status: int | None = None):
        self.source, self.url, self.game_date = source, url, game_date
        self.reason, self.attempts, self.status = reason, attempts, status
        day = game_date.isoformat() if game_date else "n/a"
        super().__init__(
            f"{source}: GET {url} for game date {day} failed after {attempts} attempt(s): {reason}"
        )


class _Retryable(Exception):
    """Internal: one attempt failed in a way another attempt may fix."""

    def __init__(self, reason: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(reason)
        self.reason, self.status, self.retry_after = reason, status, retry_after


class _Fatal(Exception):
    def __init__(self, reason: str, status: int | None = None):
        super().__init__(reason)
        self.reason, self.status = reason, status


@dataclass(frozen=True)
class Response:
    """What a successful GET returned; `url` is already redacted."""

    url: str
    status: int
    body: bytes
    headers: Mapping[str, str]
    attempts: int
    elapsed_s: float


def redact_url(url: str) -> str:
    """The URL with every secret query value replaced by ***."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [(k, REDACTED if k.lower() in SECRET_PARAMS else v)
             for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="[]:,*")))


def build_url(base: str, path: str, params: Mapping[str, object] | None = None) -> str:
    url = base.rstrip("/") + "/" + path.lstrip("/")
    if params:
        pairs: list[tuple[str, str]] = []
        for k, v in params.items():
            if v is None:
                continue
            values = v if isinstance(v, list | tuple) else [v]
            pairs.extend((k, str(x)) for x in values)
        url += "?" + urlencode(pairs, safe="[]:,")
    return url


class _SecretFilter(logging.Filter):
    """Scrubs known secret values from records of loggers that print URLs (urllib3)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            if any(s in message for s in self.secrets):
                for secret in self.secrets:
                    message = message.replace(secret, REDACTED)
                record.msg, record.args = message, None
        return True


_SECRET_FILTER = _SecretFilter()
for _name in ("urllib3.connectionpool", "urllib3", "requests", logger.name):
    logging.getLogger(_name).addFilter(_SECRET_FILTER)


def register_secret(value: str | None) -> None:
    """Make sure `value` never reaches a log line, even urllib3's debug lines."""
    if value and len(value) >= 4:
        _SECRET_FILTER.secrets.add(value)


class RateLimiter:
    """Per-process pacing and concurrency cap for one API, shared by every client instance."""

    def __init__(self, min_interval: float, max_concurrent: int):
        self.min_interval = min_interval
        self._slots = threading.BoundedSemaphore(max(1, max_concurrent))
        self._lock = threading.Lock()
        self._next_at = 0.0

    def __enter__(self) -> RateLimiter:
        self._slots.acquire()
        with self._lock:
            now = time.monotonic()
            wait = self._next_at - now
            self._next_at = max(now, self._next_at) + self.min_interval
        if wait > 0:
            time.sleep(wait)
        return self

    def __exit__(self, *exc: object) -> None:
        self._slots.release()


_LIMITERS: dict[tuple[str, float, int], RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def limiter_for(api: str, policy: HttpPolicy) -> RateLimiter:
    key = (api, policy.min_interval, policy.max_concurrent)
    with _LIMITERS_LOCK:
        if key not in _LIMITERS:
            _LIMITERS[key] = RateLimiter(policy.min_interval, policy.max_concurrent)
        return _LIMITERS[key]


def retry_after_seconds(value: str | None) -> float | None:
    """Parse a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


@dataclass
class HttpClient:
    """GETs for one API (`source`) under one `HttpPolicy`."""

    source: str
    policy: HttpPolicy
    headers: Mapping[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    sleep: Callable[[float], None] = time.sleep
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        for secret in self.secrets:
            register_secret(secret)
        self.limiter = limiter_for(self.source, self.policy)

    def get(self, url: str, game_date: date | None) -> Response:
        """GET `url` under the policy; raise HttpFetchError when it cannot succeed.

        A 2xx body is returned as received, even if it is not JSON: the caller lands it and
        validates it, so a bad payload is kept and reported rather than retried away. A body cut
        short of its Content-Length is a connection failure and is retried.
        """
        shown = redact_url(url)
        attempts = 0
        started = time.monotonic()

        def one_attempt() -> Response:
            nonlocal attempts
            attempts += 1
            with self.limiter:
                try:
                    resp = self.session.get(
                        url, headers=dict(self.headers),
                        timeout=(self.policy.connect_timeout, self.policy.read_timeout),
                    )
                    body = resp.content  # reads the whole body: truncation raises here
                except requests.Timeout as exc:
                    raise _Retryable(f"timeout ({type(exc).__name__})") from None
                except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                        requests.exceptions.ContentDecodingError) as exc:
                    raise _Retryable(f"connection failed ({type(exc).__name__})") from None
            status = resp.status_code
            if status in RETRY_STATUSES:
                retry_after = retry_after_seconds(resp.headers.get("Retry-After"))
                if retry_after is not None and retry_after > self.policy.retry_after_max:
                    raise _Fatal(f"HTTP {status} with Retry-After {retry_after:.0f}s, more than "
                                 f"the {self.policy.retry_after_max:.0f}s allowed", status)
                raise _Retryable(f"HTTP {status}", status, retry_after)
            if status >= 400:
                raise _Fatal(f"HTTP {status} (not retried: this request cannot succeed)", status)
            return Response(shown, status, body, dict(resp.headers), attempts,
                            time.monotonic() - started)

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            backoff = wait_exponential_jitter(
                initial=self.policy.backoff_initial, max=self.policy.backoff_max,
                jitter=self.policy.jitter)(state)
            if isinstance(exc, _Retryable) and exc.retry_after is not None:
                return exc.retry_after  # the server said when; already bounded by retry_after_max
            return min(backoff, self.policy.backoff_max)

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            reason = getattr(exc, "reason", str(exc))
            wait_s = state.next_action.sleep if state.next_action else 0.0
            logger.warning("%s: GET %s attempt %d failed (%s); retrying in %.2fs",
                           self.source, shown, state.attempt_number, reason, wait_s)

        retrying = Retrying(
            stop=stop_after_attempt(max(1, self.policy.max_attempts)),
            wait=wait,
            retry=retry_if_exception(lambda e: isinstance(e, _Retryable)),
            before_sleep=before_sleep,
            sleep=self.sleep,
            reraise=True,
        )
        try:
            return retrying(one_attempt)
        except (_Retryable, _Fatal) as exc:
            raise HttpFetchError(self.source, shown, game_date, exc.reason, attempts,
                                 exc.status) from None
