"""Issue 16, class E: configured keys never leave the process, in any encoding.

Failing fetches run against the real loopback server; then every place a person or a tool reads
is grepped for the key, plain and URL-encoded: all log records at DEBUG (urllib3's included),
exception text, the Dagster event log, the landed files and their keys.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from nba_pipeline.paths import instance_template
from nba_pipeline.sources.http import HttpClient, HttpFetchError, build_url, register_secret
from nba_pipeline.sources.live import FetchFailed
from nba_pipeline.storage.landing import LandedKey, LocalLandingStore
from nba_pipeline_tests.sources.conftest import BDL_KEY, FAST, live_source
from nba_pipeline_tests.sources.fake_api import FakeApi, Reply, ok, sample_json
from nba_pipeline_tests.sources.test_live_source import (
    BDL_BOX,
    EVENTS,
    GAMELOG,
    MLK_DAY,
    step_error,
)

# Every character that URL encoders treat differently: '/', '+', '&', '=', '%', '#', '?'.
SPECIAL_KEY = "odds/SECRET+7f&3a=9c%25#?x"


def forms(secret: str) -> set[str]:
    """The ways a key can be printed: as is, and as each encoder in play encodes it."""
    encoded = {quote(secret, safe=""), quote_plus(secret), quote(secret, safe="[]:,"),
               quote(secret), build_url("http://h", "p", {"k": secret}).split("k=", 1)[1]}
    lower_hex = {re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), e) for e in encoded}
    return {secret} | encoded | lower_hex


def leaks(secret: str, texts: list[str]) -> list[str]:
    return [f"{form!r} in {text[:200]!r}" for text in texts for form in forms(secret)
            if form in text]


def logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [caplog.text] + [r.getMessage() + (r.exc_text or "") for r in caplog.records]


def test_url_special_key_is_nowhere_after_a_failing_odds_run(
        api: FakeApi, store: LocalLandingStore, materialize, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger: every library's DEBUG lines propagate
    monkeypatch.setenv("ODDS_API_KEY", SPECIAL_KEY)
    ids = ["f54c4a22568ce9dc33fb410d1b0e75e9", "f9f3f99b5124a4ecf984003f0af23d2e"]
    body = sample_json(f"oddsapi_event_odds/event_odds_player_points_{ids[0]}.json")
    event = {k: body[k] for k in ("id", "sport_key", "commence_time", "home_team", "away_team")}
    # A server that echoes the key back in a 200 body (as some error pages do).
    api.route(EVENTS, [ok([{**event, "echo": SPECIAL_KEY}, {**event, "id": ids[1]}])])
    api.route(f"{EVENTS}/{ids[0]}/odds", [ok(body)])
    api.route(f"{EVENTS}/{ids[1]}/odds", [Reply(500)])
    result, instance = materialize(live_source(api.base_url), date(2024, 2, 22),
                                   "landing/odds_player_points")
    assert not result.success
    # The exact key was sent: the server decoded it from the query string.
    assert {h.query["apiKey"][0] for h in api.requests} == {SPECIAL_KEY}
    landed = store.list_keys()
    names = [LandedKey.parse(k).name for k in landed]  # manifests are searched too
    assert sorted(n for n in names if n != "_manifest.json") == ["events.json", f"{ids[0]}.json"]
    assert "_manifest.json" in names
    with pytest.raises(FetchFailed) as err:
        list(live_source(api.base_url).fetch_player_points_odds(date(2024, 2, 22)))

    shown = [str(err.value), step_error(instance, result.run_id), *logged(caplog), *landed]
    shown += [store.read_bytes(k).decode() for k in landed]
    shown += [str(r.event_log_entry) for r in
              instance.get_records_for_run(run_id=result.run_id, limit=10_000).records]
    assert leaks(SPECIAL_KEY, shown) == []
    # ... and the places were really looked at: urllib3's DEBUG lines carry the (scrubbed) URL.
    assert any(r.name.startswith("urllib3") and r.levelno == logging.DEBUG
               and "apiKey=***" in r.getMessage() for r in caplog.records)
    assert "apiKey=***" in str(err.value)
    events_key = next(k for k in landed if LandedKey.parse(k).name == "events.json")
    assert '"echo": "***"' in store.read_bytes(events_key).decode()
    assert "held a configured secret" in caplog.text


def test_key_with_a_trailing_newline_is_stripped_and_sent_clean(
        api: FakeApi, store: LocalLandingStore, materialize, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("BALLDONTLIE_API_KEY", BDL_KEY + "\n")  # as read from a key file
    api.route(GAMELOG, [Reply(403)])
    api.route(BDL_BOX, [Reply(500)])
    result, instance = materialize(live_source(api.base_url), MLK_DAY, "landing/nba_boxscores")
    assert not result.success
    assert [h.headers["Authorization"] for h in api.hits(BDL_BOX)] == [BDL_KEY] * 3
    failure = step_error(instance, result.run_id)
    assert "balldontlie: GET" in failure and "HTTP 500" in failure
    assert "InvalidHeader" not in failure
    assert leaks(BDL_KEY, [failure, *logged(caplog)]) == []


@pytest.mark.parametrize("bad", ["bdl-SECRET 51be22", "bdl-SECRET\t51be22", "bdl-SECRET\x1b51be22",
                                 "bdl-SECRET\u200b51be22"],
                         ids=["space", "tab", "escape", "zero-width"])
def test_key_with_inner_whitespace_or_control_chars_is_refused_unechoed(
        api: FakeApi, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        bad: str) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("BALLDONTLIE_API_KEY", bad)
    api.route(GAMELOG, [Reply(403)])
    with pytest.raises(FetchFailed) as err:
        list(live_source(api.base_url).fetch_boxscores(MLK_DAY))
    msg = str(err.value)
    assert "the BALLDONTLIE_API_KEY value is not a usable API key" in msg
    assert api.hits(BDL_BOX) == []  # refused before any request
    assert "51be22" not in msg and "bdl-SECRET" not in msg and "51be22" not in caplog.text


def test_an_http_library_error_quoting_a_header_is_not_passed_on(api: FakeApi) -> None:
    api.route("/x", [ok({})])
    key = "hdr-SECRET-93ac01"
    client = HttpClient("balldontlie", FAST, {"Authorization": key + "\n"}, secrets=(key,))
    with pytest.raises(HttpFetchError) as err:
        client.get(f"{api.base_url}/x", MLK_DAY)
    assert "request refused by the HTTP library (InvalidHeader)" in str(err.value)
    assert key not in str(err.value) and api.requests == []
    # No chained exception carries requests' message (which quotes the header value).
    assert err.value.__cause__ is None and err.value.__context__ is None


def test_any_library_s_log_record_is_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    key = "lib-SECRET/with+chars"
    register_secret(key)
    other = logging.getLogger("some.other.library")
    other.debug("GET /x?key=%s HTTP/1.1", quote(key, safe=""))
    other.info("header value %r", key)
    try:
        raise ValueError(f"bad key {quote_plus(key)}")
    except ValueError:
        other.exception("request failed")
    assert leaks(key, logged(caplog)) == []
    assert caplog.text.count("***") == 3  # the URL, the repr and the traceback


def test_keys_are_nowhere_after_a_failing_cli_backfill(api: FakeApi, tmp_path: Path) -> None:
    """The real CLI in its own process, persistent instance: grep stdout, stderr and every file
    it left (run and event storage, compute logs, landing store) for both keys."""
    bdl_key, odds_key = "bdl/SECRET+cli&51=be%22", SPECIAL_KEY
    hist = "/v4/historical/sports/basketball_nba/events"
    ids = ["f54c4a22568ce9dc33fb410d1b0e75e9", "f9f3f99b5124a4ecf984003f0af23d2e"]
    body = sample_json(f"oddsapi_event_odds/event_odds_player_points_{ids[0]}.json")
    event = {k: body[k] for k in ("id", "sport_key", "commence_time", "home_team", "away_team")}
    snapshot = "2024-02-22T15:00:00Z"
    api.route(hist, [ok({"timestamp": snapshot, "data": [event, {**event, "id": ids[1]}]})])
    api.route(f"{hist}/{ids[0]}/odds", [ok({"timestamp": snapshot, "data": body})])
    api.route(f"{hist}/{ids[1]}/odds", [Reply(404)])  # 4xx: not retried, so the run is quick
    api.route(GAMELOG, [Reply(403)])
    api.route(BDL_BOX, [Reply(404)])
    home, dagster_home = tmp_path / "home", tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(instance_template(), dagster_home / "dagster.yaml")
    env = {**os.environ, "NBA_PIPELINE_SOURCE": "live", "NBA_PIPELINE_PROFILE": "local",
           "NBA_PIPELINE_HOME": str(home), "DAGSTER_HOME": str(dagster_home),
           "ODDS_API_KEY": odds_key, "BALLDONTLIE_API_KEY": bdl_key + "\n"}
    for var in ("NBA_STATS_BASE_URL", "NBA_CDN_BASE_URL", "ESPN_BASE_URL",
                "BALLDONTLIE_BASE_URL", "ODDS_API_BASE_URL"):
        env[var] = api.base_url
    proc = subprocess.run(
        [sys.executable, "-m", "nba_pipeline.cli", "backfill", "--start", "2024-02-22",
         "--end", "2024-02-22", "--select", "landing/odds_player_points", "landing/nba_boxscores"],
        env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert {h.headers.get("Authorization") for h in api.hits(BDL_BOX)} == {bdl_key}
    assert {h.query["apiKey"][0] for h in api.requests if "apiKey" in h.query} == {odds_key}
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any("landing" in p.parts for p in files)  # the received payloads were landed
    texts = [proc.stdout, proc.stderr, *(p.read_bytes().decode("latin-1") for p in files),
             *(str(p) for p in files)]
    assert leaks(odds_key, texts) == [] and leaks(bdl_key, texts) == []
    assert "odds_api" in proc.stdout + proc.stderr
