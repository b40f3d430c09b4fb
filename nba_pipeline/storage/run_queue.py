"""Dagster's run queue with one more instance setting: how often the backfill daemon looks.

Dagster 1.13's backfill daemon sleeps a fixed 30 s between iterations
(`dagster._daemon.controller.DEFAULT_DAEMON_INTERVAL_SECONDS`; no dagster.yaml key sets it). A
backfill launched from the UI (or `backfill --submit`) waits for the next iteration to get its
run and, after its last run ends, for another one to be marked done: 0-30 s each, 30 s on average,
which is more than a 14-game-day range takes to run (26 s measured; docs/automation.md,
"Backfills from the daemon"). An iteration is a few queries while no backfill is in progress.

The run coordinator is the instance component every process that runs the daemons builds before
their loops start (`dagster dev`, `dagster-daemon run`, the production daemon container), so it
carries the setting: `backfill_interval_seconds` under `run_coordinator.config` in dagster.yaml
sets the loop's interval in that process before the backfill loop reads it. Everything else is
Dagster's QueuedRunCoordinator, unchanged. The asset daemon's own interval, which Dagster also
defaults from that constant, is pinned by `auto_materialize.minimum_interval_seconds` in the same
files so it stays 30 s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from dagster import Field, IntSource, QueuedRunCoordinator
from dagster._daemon import controller
from dagster._serdes import ConfigurableClassData

DAGSTER_BACKFILL_INTERVAL_SECONDS = 30
# QueuedRunCoordinator's own settings (its from_config_value), passed through as it reads them.
QUEUED_KEYS = ("max_concurrent_runs", "tag_concurrency_limits", "dequeue_interval_seconds",
               "dequeue_use_threads", "dequeue_num_workers", "max_user_code_failure_retries",
               "user_code_failure_retry_delay", "block_op_concurrency_limited_runs")


class BackfillPollingRunCoordinator(QueuedRunCoordinator):
    """QueuedRunCoordinator + `backfill_interval_seconds` (default Dagster's 30)."""

    def __init__(self, backfill_interval_seconds: int = DAGSTER_BACKFILL_INTERVAL_SECONDS,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if backfill_interval_seconds < 1:
            raise ValueError(f"backfill_interval_seconds must be >= 1, not "
                             f"{backfill_interval_seconds}")
        self.backfill_interval_seconds = backfill_interval_seconds
        controller.DEFAULT_DAEMON_INTERVAL_SECONDS = backfill_interval_seconds

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {**QueuedRunCoordinator.config_type(), "backfill_interval_seconds": Field(
            IntSource, is_required=False, default_value=DAGSTER_BACKFILL_INTERVAL_SECONDS,
            description="Seconds between the backfill daemon's iterations (Dagster: 30).")}

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData,
                          config_value: Mapping[str, Any]) -> Self:
        return cls(inst_data=inst_data, backfill_interval_seconds=config_value.get(
            "backfill_interval_seconds", DAGSTER_BACKFILL_INTERVAL_SECONDS),
            **{key: config_value.get(key) for key in QUEUED_KEYS})
