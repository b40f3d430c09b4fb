"""The run queue's backfill interval (storage/run_queue.py): both instance files set it, the
queue settings Dagster reads still apply, and Dagster's real backfill loop sleeps that long."""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from dagster import DagsterInstance, QueuedRunCoordinator
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import EmptyWorkspaceTarget
from dagster._daemon import controller
from dagster._daemon.backfill import execute_backfill_iteration_loop

from nba_pipeline.storage.run_queue import (
    DAGSTER_BACKFILL_INTERVAL_SECONDS,
    BackfillPollingRunCoordinator,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _restore_interval() -> Iterator[None]:
    saved = controller.DEFAULT_DAEMON_INTERVAL_SECONDS
    yield
    controller.DEFAULT_DAEMON_INTERVAL_SECONDS = saved


def _home(tmp_path: Path, text: str | None = None) -> DagsterInstance:
    if text is None:
        shutil.copy(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    else:
        (tmp_path / "dagster.yaml").write_text(text)
    return DagsterInstance.from_config(str(tmp_path))


class _FirstSleep(threading.Event):
    """A shutdown event that records how long the loop asks to sleep, then ends the loop."""

    asked: float | None = None

    def wait(self, timeout: float | None = None) -> bool:
        self.asked = timeout
        self.set()
        return True


def test_the_local_instance_polls_backfills_every_5_seconds(tmp_path: Path) -> None:
    with _home(tmp_path) as instance:
        queue = instance.run_coordinator
        assert isinstance(queue, BackfillPollingRunCoordinator)
        assert isinstance(queue, QueuedRunCoordinator)  # what the queued-run daemon requires
        assert queue.backfill_interval_seconds == 5
        assert queue.dequeue_interval_seconds == 1
        assert controller.DEFAULT_DAEMON_INTERVAL_SECONDS == 5
        # the run limits of the `concurrency:` block still reach the queue
        runs = instance.get_concurrency_config().run_queue_config
        assert runs.max_concurrent_runs == 4
        assert {limit["key"] for limit in runs.tag_concurrency_limits} == {
            "dagster/partition", "dagster/asset_partition_range_start"}
        # the asset daemon's loop is pinned, so it does not follow the backfill interval
        assert instance.auto_materialize_minimum_interval_seconds == 30


def test_dagsters_backfill_loop_sleeps_the_configured_interval(tmp_path: Path) -> None:
    """Dagster's own loop (no backfill in progress): the sleep it asks for is the setting, not
    30 s. The daemon process builds the run coordinator when it lists the daemons to run, before
    any loop starts (`get_required_daemon_types`), as here. An upgrade that changes either
    fails this test."""
    with _home(tmp_path) as instance, WorkspaceProcessContext(
            instance, EmptyWorkspaceTarget()) as context:
        assert "BACKFILL" in instance.get_required_daemon_types()
        event = _FirstSleep()
        loop = execute_backfill_iteration_loop(context, logging.getLogger("backfill"),
                                               event)
        for _ in loop:
            if event.asked is not None:
                break
        assert event.asked is not None and 4.0 < event.asked <= 5.0


def test_the_production_instance_uses_the_same_queue(tmp_path: Path) -> None:
    prod = yaml.safe_load((ROOT / "deploy" / "dagster.prod.yaml").read_text())
    assert prod["run_coordinator"]["class"] == "BackfillPollingRunCoordinator"
    assert prod["run_coordinator"]["config"]["backfill_interval_seconds"] == 5
    assert prod["auto_materialize"]["minimum_interval_seconds"] == 30


def test_without_the_setting_dagsters_interval_stays(tmp_path: Path) -> None:
    text = ("run_coordinator:\n  module: nba_pipeline.storage.run_queue\n"
            "  class: BackfillPollingRunCoordinator\n")
    with _home(tmp_path, text) as instance:
        assert instance.run_coordinator.backfill_interval_seconds == 30
        assert controller.DEFAULT_DAEMON_INTERVAL_SECONDS == DAGSTER_BACKFILL_INTERVAL_SECONDS


def test_an_interval_below_one_second_is_refused() -> None:
    with pytest.raises(ValueError, match="backfill_interval_seconds must be >= 1"):
        BackfillPollingRunCoordinator(backfill_interval_seconds=0)
