"""The one HTTP policy every live client uses: requests + tenacity, bounded and secret-free.

Why one module: the scrapers this replaces each retried differently (fixed sleeps, no timeouts,
bare excepts). Here every call gets a connect+read timeout, exponential backoff with jitter
capped at `backoff_max`, `Retry-After` honoured on 429/503, no retry on a 4xx that cannot
succeed, a bounded number of attempts, a per-process rate limit and concurrency cap per API,
and errors that name the source, the URL without secrets, and the game date.

Bounds a hostile or broken server cannot stretch: a wall-clock deadline per attempt and per
request (a read timeout alone resets on every byte), a cap on the decompressed body size read in
chunks, and at most `max_redirects` redirects (followed here, not by requests, so a redirect body
is never read and a key header never follows a redirect to another origin). Configured secrets,
plain or URL-encoded, are scrubbed from every log record of every library and from our errors.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests
from dagster import Config
from requests.adapters import HTTPAdapter
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

logger = logging.getLogger("nba_pipeline.sources.http")

# Query parameters and headers whose values are secrets; redacted wherever a URL is shown.
SECRET_PARAMS = frozenset({"apikey", "api_key", "key", "token", "access_token"})
SECRET_HEADERS = frozenset({"authorization", "x-api-key"})
REDACTED = "***"
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# Read size per chunk. urllib3 >= 2.6 inflates at most this much per read; older ones at most
# ~1000x this (deflate's ratio limit), so even there one read stays in the tens of MiB.
CHUNK_BYTES = 16 * 1024
T = TypeVar("T")


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
    # Wall clock for one attempt (connect, headers, body, redirects), however slowly bytes come.
    attempt_deadline: float = 120.0
    # Wall clock for the whole GET: every attempt and every wait between them.
    deadline: float = 300.0
    # Decompressed body size at which a response is abandoned (the 2024-25 season schedule,
    # the largest payload, is ~9 MB).
    max_bytes: int = 64 * 1024 * 1024
    max_redirects: int = 5


class HttpFetchError(RuntimeError):
    """A GET failed for good. The message names source, URL (no secrets) and game date."""

    def __init__(self, source: str, url: str, game_date: date | None, reason: str,
                 attempts: int, status: int | None = None):
        self.game_date = game_date
        url, reason = scrub(url), scrub(reason)
        self.source, self.url, self.reason = source, url, reason
        self.attempts, self.status = attempts, status
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
        return scrub(url)
    query = [(k, REDACTED if k.lower() in SECRET_PARAMS else v)
             for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return scrub(urlunsplit(parts._replace(query=urlencode(query, safe="[]:,*"))))


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


# --- secrets: scrubbed from every log record and every error we raise --------------------------

_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()
_PATTERN: re.Pattern[str] | None = None
_BYTES_PATTERN: re.Pattern[bytes] | None = None


def _secret_pattern(secret: str) -> str:
    """`secret` as itself or percent-encoded per character (either hex case), or JSON-escaped:
    urllib3 logs URLs encoded, requests and urlencode differ on which characters they encode."""
    parts = []
    for ch in secret:
        alts = [re.escape(ch), "".join(f"%{b:02x}" for b in ch.encode())]
        if ch == " ":
            alts.append(r"\+")
        if ch in '"\\/':
            alts.append(re.escape("\\" + ch))
        parts.append("(?:" + "|".join(alts) + ")")
    return "".join(parts)


def register_secret(value: str | None) -> None:
    """Make sure `value` never reaches a log line or an error of ours, in any encoding."""
    global _PATTERN, _BYTES_PATTERN
    if not value or len(value) < 4:
        return
    with _SECRETS_LOCK:
        if value in _SECRETS:
            return
        _SECRETS.add(value)
        source = "|".join(_secret_pattern(s) for s in sorted(_SECRETS, key=len, reverse=True))
        _PATTERN = re.compile(source, re.IGNORECASE)
        _BYTES_PATTERN = re.compile(source.encode(), re.IGNORECASE)


def scrub(text: str) -> str:
    """`text` with every configured secret (plain or URL-encoded) replaced by ***."""
    pattern = _PATTERN
    return pattern.sub(REDACTED, text) if pattern is not None else text


def scrub_bytes(data: bytes) -> bytes:
    pattern = _BYTES_PATTERN
    return pattern.sub(REDACTED.encode(), data) if pattern is not None else data


def _scrub_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 (a malformed record: logging reports it when emitting)
        return
    clean = scrub(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        clean = scrub(text)
        if clean != text:
            record.exc_text = clean  # Formatter prints exc_text instead of re-formatting
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)


_BASE_RECORD_FACTORY = logging.getLogRecordFactory()


def _scrubbing_record_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    """Every record of every logger (urllib3's DEBUG lines, Dagster's, ours) is scrubbed as it
    is made, so no handler added later, at any level, can see a secret."""
    record = _BASE_RECORD_FACTORY(*args, **kwargs)
    if _PATTERN is not None:
        _scrub_record(record)
    return record


logging.setLogRecordFactory(_scrubbing_record_factory)


# --- deadlines: a worker thread per attempt, its sockets shut when the time is up --------------

_ACTIVE = threading.local()


class _Tracker:
    """The connections one attempt used, so its deadline can shut their sockets."""

    def __init__(self) -> None:
        self.fired = False
        self._conns: list[Any] = []
        self._lock = threading.Lock()

    def track(self, conn: Any) -> None:
        with self._lock:
            self._conns.append(conn)

    def fire(self) -> None:
        """Shut every socket: a read blocked on a trickle returns at once and fails."""
        self.fired = True
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            sock = getattr(conn, "sock", None)
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class _TrackingPool:
    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)  # type: ignore[misc]
        tracker = getattr(_ACTIVE, "tracker", None)
        if tracker is not None:
            tracker.track(conn)
        return conn


class _TrackingHTTPPool(_TrackingPool, HTTPConnectionPool):
    pass


class _TrackingHTTPSPool(_TrackingPool, HTTPSConnectionPool):
    pass


_TRACKING_POOLS = {"http": _TrackingHTTPPool, "https": _TrackingHTTPSPool}


class _TrackingAdapter(HTTPAdapter):
    """requests' adapter with pools that report each connection to the running attempt."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_TRACKING_POOLS)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS pools are their own classes
            manager.pool_classes_by_scheme = dict(_TRACKING_POOLS)
        return manager


def _run_with_deadline(work: Callable[[], T], seconds: float, source: str) -> T:
    """`work()` in a worker thread; past `seconds` of wall clock its sockets are shut and the
    caller gets a retryable failure at once, even if the worker is stuck (e.g. in DNS)."""
    tracker = _Tracker()
    done = threading.Event()
    outcome: list[tuple[bool, Any]] = []

    def run() -> None:
        _ACTIVE.tracker = tracker
        try:
            outcome.append((True, work()))
        except BaseException as exc:  # noqa: BLE001 (handed to the caller's thread)
            outcome.append((False, exc))
        finally:
            _ACTIVE.tracker = None
            done.set()

    threading.Thread(target=run, name=f"http-{source}", daemon=True).start()
    if not done.wait(seconds):
        tracker.fire()
        done.wait(0.2)  # a socket connected meanwhile is shut by the second pass
        tracker.fire()
        raise _Retryable(f"deadline: no complete response within {seconds:.1f}s")
    succeeded, value = outcome[0]
    if succeeded:
        return value
    raise value


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
        adapter = _TrackingAdapter()
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.limiter = limiter_for(self.source, self.policy)

    def get(self, url: str, game_date: date | None) -> Response:
        """GET `url` under the policy; raise HttpFetchError when it cannot succeed.

        A 2xx body is returned as received, even if it is not JSON: the caller lands it and
        validates it, so a bad payload is kept and reported rather than retried away. A body cut
        short of its Content-Length is a connection failure and is retried; one over `max_bytes`
        or a redirect chain over `max_redirects` is final (a fallback source may still succeed).
        """
        shown = redact_url(url)
        policy = self.policy
        attempts = 0
        started = time.monotonic()

        def one_attempt() -> Response:
            nonlocal attempts
            attempts += 1
            with self.limiter:
                budget = min(policy.attempt_deadline,
                             policy.deadline - (time.monotonic() - started))
                if budget <= 0:
                    raise _Fatal(f"deadline: the {policy.deadline:.1f}s for this request "
                                 f"ran out before attempt {attempts}")
                status, headers, body = _run_with_deadline(
                    lambda: self._fetch(url), budget, self.source)
            if status in RETRY_STATUSES:
                retry_after = retry_after_seconds(headers.get("Retry-After"))
                if retry_after is not None and retry_after > policy.retry_after_max:
                    raise _Fatal(f"HTTP {status} with Retry-After {retry_after:.0f}s, more than "
                                 f"the {policy.retry_after_max:.0f}s allowed", status)
                raise _Retryable(f"HTTP {status}", status, retry_after)
            if status >= 400:
                raise _Fatal(f"HTTP {status} (not retried: this request cannot succeed)", status)
            clean = scrub_bytes(body)
            if clean != body:
                logger.warning("%s: GET %s: the response held a configured secret; it was "
                               "replaced by %s before anything kept it", self.source, shown,
                               REDACTED)
            return Response(shown, status, clean, headers, attempts, time.monotonic() - started)

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            backoff = wait_exponential_jitter(
                initial=policy.backoff_initial, max=policy.backoff_max,
                jitter=policy.jitter)(state)
            if isinstance(exc, _Retryable) and exc.retry_after is not None:
                return exc.retry_after  # the server said when; already bounded by retry_after_max
            return min(backoff, policy.backoff_max)

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            reason = getattr(exc, "reason", str(exc))
            wait_s = state.next_action.sleep if state.next_action else 0.0
            logger.warning("%s: GET %s attempt %d failed (%s); retrying in %.2fs",
                           self.source, shown, state.attempt_number, reason, wait_s)

        retrying = Retrying(
            stop=stop_after_attempt(max(1, policy.max_attempts))
            | stop_before_delay(policy.deadline),
            wait=wait,
            retry=retry_if_exception(lambda e: isinstance(e, _Retryable)),
            before_sleep=before_sleep,
            sleep=self.sleep,
            reraise=True,
        )
        failure: _Retryable | _Fatal
        try:
            return retrying(one_attempt)
        except (_Retryable, _Fatal) as exc:
            failure = exc
        reason = failure.reason
        if isinstance(failure, _Retryable) and attempts < policy.max_attempts:
            reason += (f"; no further attempt: it would start past the {policy.deadline:.1f}s "
                       "deadline")
        # Raised outside the except block: no chained exception (which may quote a header
        # value) travels with it.
        raise HttpFetchError(self.source, shown, game_date, reason, attempts, failure.status)

    def _fetch(self, url: str) -> tuple[int, dict[str, str], bytes]:
        """One attempt: GET, following at most `max_redirects` redirects by hand."""
        headers = dict(self.headers)
        current = url
        for _ in range(self.policy.max_redirects + 1):
            resp = self._send(current, headers)
            try:
                if not resp.is_redirect:
                    status = resp.status_code
                    # An error body is not needed (and may be huge): only a 2xx body is read.
                    body = self._read_body(resp) if status < 300 else b""
                    return status, dict(resp.headers), body
                target = urljoin(current, resp.headers["Location"])
            finally:
                resp.close()  # a redirect's body is never read
            if urlsplit(target).scheme not in ("http", "https"):
                raise _Fatal("redirected to a URL that is not http(s)")
            if urlsplit(current).scheme == "https" and urlsplit(target).scheme == "http":
                raise _Fatal("redirected from https to plain http")
            if _origin(target) != _origin(current):
                headers = {k: v for k, v in headers.items() if k.lower() not in SECRET_HEADERS}
            current = target
        raise _Fatal(f"more than {self.policy.max_redirects} redirects (a loop?); "
                     "not retried")

    def _send(self, url: str, headers: dict[str, str]) -> requests.Response:
        failure: Exception
        try:
            return self.session.get(
                url, headers=headers, stream=True, allow_redirects=False,
                timeout=(self.policy.connect_timeout, self.policy.read_timeout))
        except requests.Timeout as exc:
            failure = _Retryable(f"timeout ({type(exc).__name__})")
        except requests.ConnectionError as exc:
            failure = _Retryable(f"connection failed ({type(exc).__name__})")
        except requests.RequestException as exc:
            # InvalidHeader, InvalidURL, ...: their text can quote a header value (a key).
            failure = _Fatal(f"request refused by the HTTP library ({type(exc).__name__})")
        raise failure

    def _read_body(self, resp: requests.Response) -> bytes:
        """The decompressed body, read in chunks and abandoned past `max_bytes`."""
        cap = self.policy.max_bytes
        declared = resp.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > cap:
            raise _Fatal(f"response of {declared} bytes declared, over the {cap}-byte cap; "
                         "not read")
        chunks: list[bytes] = []
        total = 0
        failure: Exception
        try:
            for chunk in resp.iter_content(chunk_size=CHUNK_BYTES):
                total += len(chunk)
                if total > cap:
                    break
                chunks.append(chunk)
            else:
                return b"".join(chunks)
        except requests.Timeout as exc:
            failure = _Retryable(f"timeout ({type(exc).__name__})")
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError) as exc:
            failure = _Retryable(f"connection failed ({type(exc).__name__})")
        else:
            failure = _Fatal(f"response body (decompressed) more than the {cap}-byte cap; "
                             "not read further")
        raise failure


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()
