"""The HTTP policy against a real server on loopback: retries, Retry-After, timeouts, 4xx."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest

from nba_pipeline.sources.http import (
    HttpClient,
    HttpFetchError,
    HttpPolicy,
    redact_url,
    retry_after_seconds,
)
from nba_pipeline_tests.sources.conftest import FAST
from nba_pipeline_tests.sources.fake_api import FakeApi, Reply, ok

DAY = date(2024, 1, 15)


def client(policy: HttpPolicy = FAST) -> HttpClient:
    return HttpClient("nba_com", policy)


def test_500s_then_success_is_retried_with_backoff(api: FakeApi) -> None:
    api.route("/x", [Reply(500), Reply(502), ok({"fine": True})])
    resp = client().get(f"{api.base_url}/x", DAY)
    assert resp.status == 200 and resp.attempts == 3
    assert len(api.hits("/x")) == 3


def test_attempts_are_bounded_and_error_names_source_url_date(api: FakeApi) -> None:
    api.route("/x", [Reply(503)])
    with pytest.raises(HttpFetchError) as err:
        client().get(f"{api.base_url}/x?a=1", DAY)
    assert len(api.hits("/x")) == FAST.max_attempts
    msg = str(err.value)
    assert msg.startswith("nba_com: GET ") and f"{api.base_url}/x?a=1" in msg
    assert "2024-01-15" in msg and "3 attempt(s)" in msg and "HTTP 503" in msg


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_4xx_that_cannot_succeed_is_not_retried(api: FakeApi, status: int) -> None:
    api.route("/x", [Reply(status), ok({})])
    with pytest.raises(HttpFetchError, match=f"HTTP {status} \\(not retried"):
        client().get(f"{api.base_url}/x", DAY)
    assert len(api.hits("/x")) == 1


def test_429_retry_after_is_honoured(api: FakeApi) -> None:
    api.route("/x", [Reply(429, headers={"Retry-After": "1"}), ok({})])
    started = time.monotonic()
    resp = client().get(f"{api.base_url}/x", DAY)
    hits = api.hits("/x")
    assert resp.attempts == 2 and len(hits) == 2
    # The backoff alone would be ~0.01 s: the 1 s wait can only come from Retry-After.
    assert hits[1].at - hits[0].at >= 0.95
    assert time.monotonic() - started < 3


def test_503_retry_after_beyond_the_limit_fails_at_once(api: FakeApi) -> None:
    api.route("/x", [Reply(503, headers={"Retry-After": "3600"}), ok({})])
    with pytest.raises(HttpFetchError, match="Retry-After 3600s"):
        client().get(f"{api.base_url}/x", DAY)
    assert len(api.hits("/x")) == 1


def test_hanging_response_times_out_and_is_retried(api: FakeApi) -> None:
    api.route("/x", [Reply(200, b"{}", delay=1.0), ok({"late": False})])
    started = time.monotonic()
    resp = client().get(f"{api.base_url}/x", DAY)
    assert resp.attempts == 2 and resp.body == b'{"late": false}'
    assert time.monotonic() - started < 0.9  # the read timeout (0.3 s) cut the hang short


def test_hanging_every_time_fails_naming_the_timeout(api: FakeApi) -> None:
    api.route("/x", [Reply(200, b"{}", delay=1.0)])
    with pytest.raises(HttpFetchError, match="timeout") as err:
        client().get(f"{api.base_url}/x", DAY)
    assert err.value.attempts == FAST.max_attempts


def test_truncated_body_is_retried_and_never_returned(api: FakeApi) -> None:
    body = b'{"data": [' + b'{"id": 1},' * 50 + b'{"id": 2}]}'
    api.route("/x", [Reply(200, body, truncate_to=40), ok(body)])
    resp = client().get(f"{api.base_url}/x", DAY)
    assert resp.body == body and resp.attempts == 2


def test_redact_url_hides_keys_only() -> None:
    url = "https://api.the-odds-api.com/v4/x?apiKey=abc123&regions=us&markets=player_points"
    assert redact_url(url) == ("https://api.the-odds-api.com/v4/x?apiKey=***&regions=us"
                               "&markets=player_points")


def test_retry_after_parses_seconds_and_dates() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None


def test_backoff_is_exponential_with_jitter_and_capped(api: FakeApi) -> None:
    policy = HttpPolicy(read_timeout=1, max_attempts=5, backoff_initial=0.05, backoff_max=0.2,
                        jitter=0.0)
    api.route("/x", [Reply(500)])
    with pytest.raises(HttpFetchError):
        client(policy).get(f"{api.base_url}/x", DAY)
    at = [r.at for r in api.hits("/x")]
    gaps = [b - a for a, b in zip(at, at[1:], strict=False)]
    # 0.05, 0.1, 0.2, then capped at 0.2 (never 0.4)
    assert gaps[0] >= 0.045 and gaps[1] >= 0.095 and gaps[2] >= 0.19
    assert max(gaps) < 0.35


def test_rate_limiter_paces_calls_to_one_api(api: FakeApi) -> None:
    api.route("/x", [ok({})])
    paced = HttpClient("paced_api", HttpPolicy(min_interval=0.1, max_concurrent=1))
    for _ in range(3):
        paced.get(f"{api.base_url}/x", DAY)
    at = [r.at for r in api.hits("/x")]
    assert all(b - a >= 0.09 for a, b in zip(at, at[1:], strict=False))


def test_concurrency_cap_is_shared_by_clients_of_one_api(api: FakeApi) -> None:
    api.route("/slow", [Reply(200, b"{}", delay=0.15)])
    policy = HttpPolicy(max_concurrent=1, read_timeout=2)
    clients = [HttpClient("capped_api", policy) for _ in range(3)]
    threads = [threading.Thread(target=c.get, args=(f"{api.base_url}/slow", DAY))
               for c in clients]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    at = sorted(r.at for r in api.hits("/slow"))
    # One at a time: each request reaches the server only after the previous one finished.
    assert all(b - a >= 0.14 for a, b in zip(at, at[1:], strict=False))
    assert time.monotonic() - started >= 0.44
