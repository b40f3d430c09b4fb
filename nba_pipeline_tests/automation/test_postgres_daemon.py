"""The production instance (deploy/dagster.prod.yaml on a real PostgreSQL server) under a real
`dagster-daemon`: a landed replay day goes landing sensor -> automation -> graded predictions,
a two-day `backfill --submit` is one backfill run and nothing else, and every run went through
the production run queue with the production pools.

One daemon serves both parts (its start, the sensors' ticks, lowered to 3 s here, and the
backfill daemon's 30 s ticks dominate the time). The
DuckDB warehouse is read only once the daemon is stopped: a reader beside a run's writer would
make the run fail on DuckDB's file lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pytest
import yaml
from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    RunsFilter,
)
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster._core.scheduler.instigation import InstigatorType, TickStatus

from bench.benchmarks import daemon_process, run_source, wait_backfill
from nba_pipeline.cli import main
from nba_pipeline.commands.instance import declared_pools, prepare_home
from nba_pipeline.lib.warehouse_asset import WAREHOUSE_POOL
from nba_pipeline.paths import checkout_root, recorded_data_dir
from nba_pipeline.storage.landing import LocalLandingStore
from nba_pipeline_tests.automation.test_end_to_end import remove_day
from nba_pipeline_tests.automation.test_run_hygiene import wait_until
from nba_pipeline_tests.automation.test_sensor_and_backfills import land
from nba_pipeline_tests.conftest import build_definitions_for

DAY = date(2024, 3, 6)  # in the session warehouse: removed, then landed for the sensor
RANGE = (date(2024, 3, 7), date(2024, 3, 8))  # after it: nothing later reads these days
ACCURACY = AssetKey(["nba_predictions", "prediction_accuracy"])
IN_FLIGHT = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
             DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
PROD = checkout_root() / "deploy" / "dagster.prod.yaml"


def sensor_cursor(instance: DagsterInstance, name: str) -> str | None:
    for state in instance.all_instigator_state(instigator_type=InstigatorType.SENSOR):
        if state.instigator_name == name and state.instigator_data is not None:
            return state.instigator_data.cursor
    return None


def quiet(instance: DagsterInstance) -> bool:
    return instance.get_runs_count(RunsFilter(statuses=IN_FLIGHT)) == 0


def settled(instance: DagsterInstance) -> bool:
    """No run in flight, and an automation tick that began after the last run ended requested
    nothing: the automation has nothing left to do (a moment with no run in flight may still
    be followed by a request for what the last run updated)."""
    if not quiet(instance):
        return False
    last_end = max((r.end_time or 0.0 for r in instance.get_run_records()), default=0.0)
    for state in instance.all_instigator_state(instigator_type=InstigatorType.SENSOR):
        if state.instigator_name == "nba_automation":
            ticks = instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=1)
            return bool(ticks) and ticks[0].timestamp > last_end and (
                ticks[0].status == TickStatus.SKIPPED)
    return False


def _partitions(subset: object) -> list[str]:
    value = getattr(subset, "value", None)
    return sorted(value.get_partition_keys()) if hasattr(value, "get_partition_keys") else [
        str(value)]


def why_requested(instance: DagsterInstance, keys: set[str]) -> str:
    """The automation's latest evaluation tree of each key that it requested (node, partitions
    true): what a failure message needs to say why the automation acted."""
    lines = []
    for name in sorted(keys):
        for record in instance.schedule_storage.get_auto_materialize_asset_evaluations(
                AssetKey.from_user_string(name), limit=5):
            evaluation = record.get_evaluation_with_run_ids().evaluation
            if not _partitions(evaluation.true_subset) or not record.get_evaluation_with_run_ids(
                    ).run_ids:
                continue
            lines.append(f"{name} (evaluation {record.evaluation_id}):")
            stack = [(evaluation, 1)]
            while stack:
                node, depth = stack.pop()
                snap = node.condition_snapshot
                lines.append(f"{'  ' * depth}{snap.label or snap.name or snap.class_name}: "
                             f"{_partitions(node.true_subset)}")
                stack.extend((child, depth + 1) for child in reversed(node.child_evaluations))
            break
    return "\n".join(lines)


def graded(instance: DagsterInstance, day: date) -> Callable[[], bool]:
    def check() -> bool:
        records = instance.fetch_materializations(
            AssetRecordsFilter(asset_key=ACCURACY, asset_partitions=[day.isoformat()]), limit=1)
        return bool(records.records) and settled(instance)
    return check


def dates_of(tags: dict[str, str]) -> set[str]:
    """The game dates a run writes: its partition, or every date of its range."""
    if "dagster/partition" in tags:
        return {tags["dagster/partition"]}
    start = tags.get("dagster/asset_partition_range_start")
    end = tags.get("dagster/asset_partition_range_end")
    if not start or not end:
        return set()
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    return {date.fromordinal(d).isoformat() for d in range(first.toordinal(),
                                                              last.toordinal() + 1)}


@pytest.mark.slow
def test_production_instance_under_the_daemon(copy_home: Path, tmp_path: Path,
                                              postgres_env: dict[str, str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    home = copy_home
    assert remove_day(home, DAY) > 0
    dagster_home = tmp_path / "pg_home"
    defs = build_definitions_for(home)
    prepare_home(dagster_home, declared_pools(defs), kind="postgres")
    env = {"NBA_PIPELINE_HOME": str(home), "NBA_PIPELINE_PROFILE": "local",
           "NBA_PIPELINE_SOURCE": "replay", "NBA_PIPELINE_DATA_DIR": str(recorded_data_dir()),
           "DAGSTER_HOME": str(dagster_home), "NBA_PIPELINE_SENSOR_INTERVAL_SECONDS": "3"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    log = dagster_home / "daemon.log"
    prod = yaml.safe_load(PROD.read_text())

    with daemon_process(dagster_home, env) as daemon, \
            DagsterInstance.from_config(str(dagster_home)) as instance:
        # (c) the production queue and pools are the instance's
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        queue = instance.get_concurrency_config().run_queue_config
        assert queue.max_concurrent_runs == prod["concurrency"]["runs"]["max_concurrent_runs"]
        assert queue.tag_concurrency_limits == prod["concurrency"]["runs"][
            "tag_concurrency_limits"]
        warehouse = instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL)
        assert (warehouse.limit, warehouse.slot_count) == (
            prod["concurrency"]["pools"]["default_limit"], 1)

        # (a) the landing sensor's first tick takes what is there as its baseline; then a
        # scraper lands the day and nothing else is done by hand
        wait_until(lambda: sensor_cursor(instance, "landing_sensor") is not None, daemon, log,
                   timeout=120)
        land(LocalLandingStore(base_dir=str(home / "landing")), DAY)
        wait_until(graded(instance, DAY), daemon, log, timeout=420)
        day_runs = instance.get_runs()  # newest first
        by_source = [run_source(r.tags) for r in reversed(day_runs)]
        # one sensor run, then ONE automation run with the whole chain: a run's own updates
        # never re-arm what it built (before the fix, 3 s-5 s ticks inside the chain run
        # re-requested points_model and what follows it once; docs/automation.md)
        assert by_source == ["sensor", "automation"], (by_source, why_requested(instance, {
            k.to_user_string() for r in day_runs[:-2] for k in r.asset_selection or ()}))
        chain = {k.to_user_string() for k in day_runs[-2].asset_selection}
        assert {"nba_analytics/player_game_summary", "nba_predictions/points_model",
                "nba_predictions/prediction_accuracy"} <= chain
        assert all(dates_of(r.tags) == {DAY.isoformat()} for r in day_runs)
        assert all(r.status == DagsterRunStatus.SUCCESS for r in day_runs), [
            (r.run_id, r.status) for r in day_runs]

        # (b) a two-day range submitted from the CLI: one backfill run, nothing else for it
        assert main(["backfill", "--start", RANGE[0].isoformat(), "--end",
                     RANGE[1].isoformat(), "--submit"]) == 0
        (backfill,) = instance.get_backfills()
        assert wait_backfill(instance, backfill.backfill_id, 600).startswith("COMPLETED"), (
            instance.get_runs())
        # give the automation time to (wrongly) act on the range; asserted below with its reasons
        deadline = time.monotonic() + 45
        while not settled(instance) and time.monotonic() < deadline:
            time.sleep(1)
        new_runs = [r for r in instance.get_runs() if r.run_id not in
                    {d.run_id for d in day_runs}]
        summary = [(run_source(r.tags), sorted(dates_of(r.tags)), r.status.value,
                    sorted(k.to_user_string() for k in r.asset_selection or ()))
                   for r in new_runs]
        (backfill_run,) = [r for r in new_runs
                           if r.tags.get("dagster/backfill") == backfill.backfill_id]
        assert backfill_run.status == DagsterRunStatus.SUCCESS
        # the sensor and the automation left the range to the backfill
        assert len(new_runs) == 1, (summary, why_requested(instance, {
            k.to_user_string() for r in new_runs if r is not backfill_run
            for k in r.asset_selection or ()}))

        # every run went through the production queue, and no pool slot is left claimed
        for run in instance.get_runs():
            types = {e.dagster_event.event_type for e in instance.all_logs(run.run_id)
                     if e.is_dagster_event}
            assert {DagsterEventType.RUN_ENQUEUED, DagsterEventType.RUN_STARTING} <= types
        assert not instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).claimed_slots
        # the history is in Postgres: the range's materializations are in its event log
        for day in RANGE:
            assert instance.fetch_materializations(AssetRecordsFilter(
                asset_key=ACCURACY, asset_partitions=[day.isoformat()]), limit=1).records
    assert postgres_env["DAGSTER_PG_PASSWORD"] not in log.read_text()

    # the warehouse, read once the daemon is gone
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        for day in (DAY, *RANGE):
            (n,) = con.execute("SELECT count(*) FROM nba_predictions.prediction_accuracy "
                               "WHERE game_date = ? AND actual_points IS NOT NULL",
                               [day]).fetchone()
            assert n > 100, (day, n)
    finally:
        con.close()
