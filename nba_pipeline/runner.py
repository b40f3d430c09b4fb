"""Run a selection of assets over a game-date range as ONE run (single-run backfill), in process.

Used by the CLI (`demo`, `backfill`), the benchmarks and the tests, so all of them exercise the
same path the Dagster UI's "single run" backfill takes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from dagster import (
    AssetCheckSeverity,
    AssetKey,
    AssetSelection,
    DagsterEvent,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    ExecuteInProcessResult,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from nba_pipeline.hygiene import (
    IN_PROGRESS,
    SlotWaitTimeout,
    install_bounded_slot_wait,
    process_tags,
    wait_for_pools,
)
from nba_pipeline.partitions import game_day_range

install_bounded_slot_wait()


class ErrorInfo(Protocol):
    """The fields of Dagster's serialized error that `root_cause` reads."""

    message: str
    cause: ErrorInfo | None


QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class RangeRunResult:
    success: bool
    run_id: str
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)
    checks_warned: list[str] = field(default_factory=list)
    failure: str | None = None
    # "asset:check" -> the game days it failed or warned on (one check result per day)
    check_days: dict[str, list[str]] = field(default_factory=dict)


def run_range(
    defs: Definitions,
    start: date,
    end: date,
    *,
    selection: AssetSelection | Sequence[AssetKey] | None = None,
    instance: DagsterInstance | None = None,
    quiet: bool = True,
    raise_on_error: bool = False,
) -> RangeRunResult:
    """Materialize `selection` (default: everything) for game dates start..end inclusive.

    On an on-disk instance the run carries its process's pid and host (`hygiene.process_tags`)
    so a later command can reap it if the process dies, it starts only once every pool it claims
    has a free slot (bounded wait, `hygiene.wait_for_pools`; a timeout is a failed result that
    creates no run), and whatever way it ends (an interrupt included) it leaves no slot claimed
    and no run STARTED behind.
    """
    job = defs.resolve_implicit_global_asset_job_def()
    graph = defs.resolve_asset_graph()
    if selection is None:
        keys = None
    elif isinstance(selection, AssetSelection):
        keys = list(selection.resolve(graph))
    else:
        keys = list(selection)
    start, end = game_day_range(start, end)  # the keys must be partitions (partitions.py)
    tags = {ASSET_PARTITION_RANGE_START_TAG: start.isoformat(),
            ASSET_PARTITION_RANGE_END_TAG: end.isoformat()}
    run_id = str(uuid.uuid4())
    if instance is not None and instance.root_directory:
        tags.update(process_tags())
        pools = {pool for key in (keys or graph.get_all_asset_keys())
                 for pool in graph.get(key).pools or ()}
        try:
            wait_for_pools(instance, pools)
        except SlotWaitTimeout as exc:
            if raise_on_error:
                raise
            return RangeRunResult(False, run_id, failure=str(exc))
    try:
        result: ExecuteInProcessResult = job.execute_in_process(
            instance=instance,
            asset_selection=keys,
            tags=tags,
            run_config=QUIET if quiet else None,
            raise_on_error=raise_on_error,
            run_id=run_id,
        )
    finally:
        if instance is not None:
            _leave_nothing_behind(instance, run_id)
    evaluations = result.get_asset_check_evaluations()

    days: dict[str, list[str]] = {}
    for e in evaluations:
        if not e.passed:
            days.setdefault(f"{e.asset_key.to_user_string()}:{e.check_name}", []).append(
                e.partition or "")

    def names(severity: AssetCheckSeverity) -> list[str]:
        return list(dict.fromkeys(f"{e.asset_key.to_user_string()}:{e.check_name}"
                                  for e in evaluations if not e.passed and e.severity == severity))

    failure = None
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure and event.step_failure_data:
                failure = f"{event.step_key}: {root_cause(event.step_failure_data.error)}"
                break
        else:
            failure = next((_run_failure(e) for e in result.all_events
                            if e.event_type == DagsterEventType.RUN_FAILURE), None)
    return RangeRunResult(result.success, result.run_id,
                          sum(1 for e in evaluations if e.passed),
                          names(AssetCheckSeverity.ERROR), names(AssetCheckSeverity.WARN), failure,
                          {name: sorted(set(d)) for name, d in days.items()})


def _run_failure(event: DagsterEvent) -> str:
    """A run failure not caused by a step (an interrupt, an executor error): its message."""
    data = event.job_failure_data
    error = root_cause(data.error) if data and data.error else ""
    return f"{event.message or 'run failed'} {error}".strip()


def _leave_nothing_behind(instance: DagsterInstance, run_id: str) -> None:
    """A run that ended in this process leaves no slot claimed and is not left STARTED.

    Dagster frees a step's slot when the step ends; an interrupt that lands between steps, or
    an error in the executor itself, can end the run before that.
    """
    run = instance.get_run_by_id(run_id)
    if run is not None and run.status in IN_PROGRESS:
        instance.report_run_failed(run, message=f"run {run_id} ended in its process (pid in "
                                   "its tags) without reporting how: marked failed")
    if instance.event_log_storage.supports_global_concurrency_limits:
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
def root_cause(error: ErrorInfo) -> str:
    """The innermost error's message: Dagster wraps an asset's own exception in "Error occurred
    while executing op ...", which names no file, date or cause; the exception it wraps does."""
    while error.cause is not None:
        error = error.cause
    return error.message.strip()
