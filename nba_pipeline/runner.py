"""Run a selection of assets over a game-date range as ONE run (single-run backfill), in process.

Used by the CLI (`demo`, `backfill`), the benchmarks and the tests, so all of them exercise the
same path the Dagster UI's "single run" backfill takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from dagster import (
    AssetCheckSeverity,
    AssetKey,
    AssetSelection,
    DagsterInstance,
    Definitions,
    ExecuteInProcessResult,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)


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
    """Materialize `selection` (default: everything) for game dates start..end inclusive."""
    job = defs.resolve_implicit_global_asset_job_def()
    if selection is None:
        keys = None
    elif isinstance(selection, AssetSelection):
        keys = list(selection.resolve(defs.resolve_asset_graph()))
    else:
        keys = list(selection)
    result: ExecuteInProcessResult = job.execute_in_process(
        instance=instance,
        asset_selection=keys,
        tags={ASSET_PARTITION_RANGE_START_TAG: start.isoformat(),
              ASSET_PARTITION_RANGE_END_TAG: end.isoformat()},
        run_config=QUIET if quiet else None,
        raise_on_error=raise_on_error,
    )
    evaluations = result.get_asset_check_evaluations()

    def names(severity: AssetCheckSeverity) -> list[str]:
        return [f"{e.asset_key.to_user_string()}:{e.check_name}" for e in evaluations
                if not e.passed and e.severity == severity]

    failure = None
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure and event.step_failure_data:
                failure = f"{event.step_key}: {root_cause(event.step_failure_data.error)}"
                break
    return RangeRunResult(result.success, result.run_id,
                          sum(1 for e in evaluations if e.passed),
                          names(AssetCheckSeverity.ERROR), names(AssetCheckSeverity.WARN), failure)


def root_cause(error: ErrorInfo) -> str:
    """The innermost error's message: Dagster wraps an asset's own exception in "Error occurred
    while executing op ...", which names no file, date or cause; the exception it wraps does."""
    while error.cause is not None:
        error = error.cause
    return error.message.strip()
