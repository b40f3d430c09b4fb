"""Alert sensors post Slack-style JSON to a real HTTP receiver on 127.0.0.1, without secrets."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    DagsterEventType,
    DagsterInstance,
    Failure,
    Output,
    asset,
    build_run_status_sensor_context,
    build_sensor_context,
    materialize,
)

from nba_pipeline.defs.automation.alerts import check_failure_alert, run_failure_alert
from nba_pipeline.partitions import daily_partitions
from nba_pipeline.paths import instance_template

API_KEY = "odds-live-3f9a8c7b6d5e"
WEBHOOK_TOKEN = "T000/B000/XXXXsecretwebhooktoken"


class Receiver:
    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.raw: list[str] = []
        received = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                received.raw.append(body)
                received.posts.append(json.loads(body))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/{WEBHOOK_TOKEN}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def instance(tmp_path) -> Iterator[DagsterInstance]:
    """A persistent instance like `dagster dev` uses (run-sharded SQLite event log)."""
    shutil.copy(instance_template(), tmp_path / "dagster.yaml")
    with DagsterInstance.from_config(str(tmp_path)) as inst:
        yield inst


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    r = Receiver()
    monkeypatch.setenv("NBA_PIPELINE_ALERT_WEBHOOK", r.url)
    monkeypatch.setenv("NBA_PIPELINE_ODDS_API_KEY", API_KEY)
    yield r
    r.server.shutdown()


@asset(key=["nba_raw", "player_prop_lines"], partitions_def=daily_partitions)
def failing_lines() -> None:
    raise Failure(description=f"odds fetch failed: GET https://api.example/odds?apiKey={API_KEY}"
                              f"&markets=player_points (key {API_KEY})")


@asset(key=["nba_analytics", "player_game_summary"], partitions_def=daily_partitions,
       check_specs=[AssetCheckSpec("points_sum_matches_team_score",
                                   asset=["nba_analytics", "player_game_summary"])])
def summary_with_failing_check(context) -> Iterator:
    yield Output(1)
    yield AssetCheckResult(check_name="points_sum_matches_team_score", passed=False,
                           metadata={"partition": context.partition_key, "mismatched_games": 2})


def assert_no_secret(receiver: Receiver) -> None:
    for raw in receiver.raw:
        assert API_KEY not in raw
        assert WEBHOOK_TOKEN not in raw
        assert receiver.url not in raw


def test_run_failure_alert_names_asset_and_partition(receiver: Receiver, instance):
    result = materialize([failing_lines], partition_key="2024-03-06", instance=instance,
                         raise_on_error=False)
    assert not result.success
    run = instance.get_run_by_id(result.run_id)
    failure = next(e for e in result.all_events if e.event_type == DagsterEventType.RUN_FAILURE)
    context = build_run_status_sensor_context(
        sensor_name="run_failure_alert", dagster_instance=instance, dagster_run=run,
        dagster_event=failure).for_run_failure()
    run_failure_alert(context)
    (message,) = receiver.posts
    assert "nba_raw/player_prop_lines" in message["text"]
    assert "2024-03-06" in message["text"]
    assert "odds fetch failed" in message["text"]
    assert message["blocks"][0]["type"] == "header"
    assert_no_secret(receiver)


def test_check_failure_alert_names_asset_partition_and_check(receiver: Receiver, instance):
    baseline = check_failure_alert(build_sensor_context(instance=instance))
    assert materialize([summary_with_failing_check], partition_key="2024-03-05",
                       instance=instance).success
    result = check_failure_alert(build_sensor_context(instance=instance, cursor=baseline.cursor))
    assert "1 failed check(s), 1 alert(s) sent" in result.skip_reason.skip_message
    (message,) = receiver.posts
    fields = message["text"]
    assert "nba_analytics/player_game_summary" in fields
    assert "points_sum_matches_team_score" in fields
    assert "2024-03-05" in fields
    assert_no_secret(receiver)
    # Already reported: the next tick sends nothing.
    check_failure_alert(build_sensor_context(instance=instance, cursor=result.cursor))
    assert len(receiver.posts) == 1


def test_no_webhook_configured_sends_nothing(monkeypatch: pytest.MonkeyPatch,
                                             instance: DagsterInstance):
    monkeypatch.delenv("NBA_PIPELINE_ALERT_WEBHOOK", raising=False)
    baseline = check_failure_alert(build_sensor_context(instance=instance))
    materialize([summary_with_failing_check], partition_key="2024-03-05", instance=instance)
    result = check_failure_alert(build_sensor_context(instance=instance, cursor=baseline.cursor))
    assert "1 failed check(s), 0 alert(s) sent" in result.skip_reason.skip_message
