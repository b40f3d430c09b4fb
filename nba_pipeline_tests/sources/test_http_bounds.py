"""Issue 16, class D: time, size and redirect bounds, against a real server on loopback.

Each attack is the one from the issue (a one-byte-every-0.2-s trickle, a 256 MiB body, a
250 KB -> 256 MiB gzip bomb, a redirect loop, an event whose `commence_time` is "TBD"), with
the bounds shrunk through `HttpPolicy` so every test ends in a few seconds.
"""

from __future__ import annotations

import gzip
import json
import logging
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import date
from typing import TypeVar

import pytest

from nba_pipeline.sources.http import HttpClient, HttpFetchError, HttpPolicy
from nba_pipeline.storage.landing import LandedKey, LocalLandingStore
from nba_pipeline_tests.sources.conftest import FAST, live_source
from nba_pipeline_tests.sources.fake_api import (
    FakeApi,
    Reply,
    gzip_bomb,
    ok,
    redirect,
    sample,
    sample_json,
)
from nba_pipeline_tests.sources.test_live_source import (
    BDL_BOX,
    ESPN,
    EVENTS,
    GAMELOG,
    MLK_DAY,
    STATS_SCHEDULE,
    materialization_metadata,
)

DAY = date(2024, 1, 15)
MIB = 1 << 20
T = TypeVar("T")


def policy(**overrides: object) -> HttpPolicy:
    return HttpPolicy(**{**FAST.model_dump(), **overrides})


def client(**overrides: object) -> HttpClient:
    return HttpClient("nba_com", policy(**overrides))


def peak_memory(fn: Callable[[], T]) -> tuple[T | BaseException, int]:
    """What `fn` returned (or raised) and the peak of Python allocations while it ran."""
    tracemalloc.start()
    try:
        try:
            outcome: T | BaseException = fn()
        except Exception as exc:  # noqa: BLE001 (returned to the test to assert on)
            outcome = exc
        return outcome, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture
def other_api() -> Iterator[FakeApi]:
    """A second origin (another port on 127.0.0.1) for cross-origin redirects."""
    with FakeApi().running() as server:
        yield server


# --- time: an overall deadline, across slow trickles ------------------------------------------


@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "headers+body"])
def test_trickle_is_cut_at_the_deadline(api: FakeApi, headers_too: bool) -> None:
    # One byte every 0.2 s never trips the 0.3 s read timeout: only the deadline can stop it.
    api.route("/x", [Reply(200, b'{"pad": "' + b"x" * 500 + b'"}', trickle=0.2,
                           trickle_headers=headers_too)])
    started = time.monotonic()
    with pytest.raises(HttpFetchError) as err:
        client(deadline=1.0, attempt_deadline=1.0).get(f"{api.base_url}/x", DAY)
    took = time.monotonic() - started
    assert 0.9 <= took < 2.0
    assert "deadline" in err.value.reason and "1.0s" in err.value.reason
    assert len(api.hits("/x")) == 1  # the whole budget went to the first attempt


def test_each_attempt_has_a_deadline_and_the_next_one_can_succeed(api: FakeApi) -> None:
    api.route("/x", [Reply(200, b"x" * 100, trickle=0.2), ok({"fine": True})])
    started = time.monotonic()
    resp = client(deadline=10.0, attempt_deadline=0.5).get(f"{api.base_url}/x", DAY)
    assert resp.attempts == 2 and json.loads(resp.body) == {"fine": True}
    assert time.monotonic() - started < 2.0


def test_a_retry_wait_past_the_deadline_is_not_waited(api: FakeApi) -> None:
    api.route("/x", [Reply(503, headers={"Retry-After": "3"}), ok({})])
    started = time.monotonic()
    with pytest.raises(HttpFetchError) as err:
        client(deadline=1.0).get(f"{api.base_url}/x", DAY)
    assert time.monotonic() - started < 0.9
    assert "HTTP 503" in err.value.reason and "deadline" in err.value.reason
    assert len(api.hits("/x")) == 1


def test_trickling_schedule_falls_back_to_espn_in_time(api: FakeApi, materialize) -> None:
    api.route(STATS_SCHEDULE, [Reply(200, b"{" * 1000, trickle=0.2, trickle_headers=True)])
    api.route(ESPN, [ok(sample("espn_scoreboard_api/raw_92de7c9a.json"))])
    started = time.monotonic()
    result, instance = materialize(live_source(api.base_url, policy(deadline=1.0)), MLK_DAY,
                                   "landing/nba_schedule")
    assert result.success, result.failure
    assert time.monotonic() - started < 10
    assert materialization_metadata(instance, "landing/nba_schedule")["sources"] == ["espn"]


# --- size: a cap per response, streamed, decompressed bytes counted ---------------------------


def test_declared_256_mib_body_is_refused_unread(api: FakeApi) -> None:
    api.route("/x", [Reply(200, b"x", size=256 * MIB)])
    outcome, peak = peak_memory(lambda: client(max_bytes=MIB).get(f"{api.base_url}/x", DAY))
    assert isinstance(outcome, HttpFetchError), outcome
    assert "268435456 bytes" in outcome.reason and "1048576-byte cap" in outcome.reason
    assert outcome.attempts == 1 and len(api.hits("/x")) == 1  # too big is final: no retry
    assert peak < 8 * MIB


def test_undeclared_256_mib_body_is_cut_at_the_cap(api: FakeApi) -> None:
    api.route("/x", [Reply(200, b"x", size=256 * MIB, chunked=True)])
    started = time.monotonic()
    outcome, peak = peak_memory(lambda: client(max_bytes=MIB).get(f"{api.base_url}/x", DAY))
    assert isinstance(outcome, HttpFetchError), outcome
    assert "more than the 1048576-byte cap" in outcome.reason
    assert peak < 8 * MIB and time.monotonic() - started < 5


def test_gzip_bomb_is_cut_at_the_decompressed_cap(api: FakeApi) -> None:
    bomb = gzip_bomb(256 * MIB)
    assert len(bomb) < 300_000  # the bomb: ~250 KB on the wire, 256 MiB unpacked
    api.route("/x", [Reply(200, bomb, {"Content-Encoding": "gzip"})])
    outcome, peak = peak_memory(lambda: client(max_bytes=4 * MIB).get(f"{api.base_url}/x", DAY))
    assert isinstance(outcome, HttpFetchError), outcome
    assert "more than the 4194304-byte cap" in outcome.reason and "decompressed" in outcome.reason
    assert peak < 24 * MIB


def test_gzip_body_under_the_cap_is_returned_decompressed(api: FakeApi) -> None:
    body = sample("nbac_player_boxscore/raw_2ad17718.json")
    api.route("/x", [Reply(200, gzip.compress(body), {"Content-Encoding": "gzip"})])
    assert client(max_bytes=len(body)).get(f"{api.base_url}/x", DAY).body == body


def test_gzip_bomb_box_scores_fall_back_and_nothing_big_is_landed(
        api: FakeApi, store: LocalLandingStore, materialize) -> None:
    api.route(GAMELOG, [Reply(200, gzip_bomb(256 * MIB), {"Content-Encoding": "gzip"})])
    api.route(BDL_BOX, [ok(sample("bdl_box_scores/raw_7a649e12.json"))])
    result, _ = materialize(live_source(api.base_url, policy(max_bytes=8 * MIB)), MLK_DAY,
                            "landing/nba_boxscores")
    assert result.success, result.failure
    assert len(api.hits(GAMELOG)) == 1
    landed = [k for k in store.list_keys() if not LandedKey.parse(k).is_manifest]
    assert [LandedKey.parse(k).source for k in landed] == ["balldontlie"]
    assert all(len(store.read_bytes(k)) < 8 * MIB for k in landed)


# --- redirects: bounded, a failure that moves on to the fallback source -----------------------


def test_redirect_loop_is_bounded_and_final(api: FakeApi) -> None:
    api.route("/loop", [redirect("/loop")])
    with pytest.raises(HttpFetchError) as err:
        client(max_redirects=3).get(f"{api.base_url}/loop", DAY)
    assert "more than 3 redirects" in err.value.reason
    assert len(api.hits("/loop")) == 4 and err.value.attempts == 1


def test_a_short_redirect_chain_is_followed(api: FakeApi) -> None:
    api.route("/old", [redirect("/older", 301)])
    api.route("/older", [redirect(f"{api.base_url}/new", 307)])
    api.route("/new", [ok({"moved": True})])
    assert json.loads(client().get(f"{api.base_url}/old", DAY).body) == {"moved": True}


def test_a_redirect_to_another_origin_drops_the_authorization_header(
        api: FakeApi, other_api: FakeApi) -> None:
    api.route("/x", [redirect(f"{other_api.base_url}/y")])
    other_api.route("/y", [ok({})])
    HttpClient("balldontlie", FAST, {"Authorization": "bdl-SECRET-51be22"}).get(
        f"{api.base_url}/x", DAY)
    assert api.hits("/x")[0].headers["Authorization"] == "bdl-SECRET-51be22"
    assert "Authorization" not in other_api.hits("/y")[0].headers


def test_schedule_redirect_loop_falls_back_to_espn(api: FakeApi, materialize,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    api.route(STATS_SCHEDULE, [redirect(STATS_SCHEDULE)])
    api.route(ESPN, [ok(sample("espn_scoreboard_api/raw_92de7c9a.json"))])
    result, instance = materialize(live_source(api.base_url), MLK_DAY, "landing/nba_schedule")
    assert result.success, result.failure
    assert len(api.hits(STATS_SCHEDULE)) == 6  # the first GET and the 5 redirects allowed
    assert materialization_metadata(instance, "landing/nba_schedule")["sources"] == ["espn"]
    assert "more than 5 redirects" in caplog.text


# --- one bad event in a list: skipped and reported, the others land ---------------------------


def test_event_with_a_bad_commence_time_is_skipped_and_reported(
        api: FakeApi, store: LocalLandingStore, materialize,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    ids = ["f54c4a22568ce9dc33fb410d1b0e75e9", "f9f3f99b5124a4ecf984003f0af23d2e"]
    bodies = {i: sample_json(f"oddsapi_event_odds/event_odds_player_points_{i}.json")
              for i in ids}
    events = [{k: b[k] for k in ("id", "sport_key", "commence_time", "home_team", "away_team")}
              for b in bodies.values()]
    tbd = {**events[0], "id": "tbd0000000000000000000000000000", "commence_time": "TBD"}
    no_time = {k: v for k, v in events[0].items() if k != "commence_time"}
    no_time["id"] = "none000000000000000000000000000"
    api.route(EVENTS, [ok([events[0], tbd, no_time, events[1]])])
    for i, body in bodies.items():
        api.route(f"{EVENTS}/{i}/odds", [ok(body)])
    result, instance = materialize(live_source(api.base_url), date(2024, 2, 22),
                                   "landing/odds_player_points")
    assert result.success, result.failure
    payloads = [k for k in store.list_keys() if not LandedKey.parse(k).is_manifest]
    assert sorted(LandedKey.parse(k).name for k in payloads) == sorted(
        ["events.json", *(f"{i}.json" for i in ids)])
    assert api.hits(f"{EVENTS}/{tbd['id']}/odds") == []
    skipped = materialization_metadata(instance, "landing/odds_player_points")["skipped"]
    assert len(skipped) == 2
    assert any(tbd["id"] in s and "commence_time" in s and "'TBD'" in s for s in skipped)
    assert any(no_time["id"] in s and "commence_time" in s and "missing" in s for s in skipped)
    assert all("2024-02-22" in s and "odds_api/events" in s for s in skipped)
    assert f"event {tbd['id']!r} skipped" in caplog.text
