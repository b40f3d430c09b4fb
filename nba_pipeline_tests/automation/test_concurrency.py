"""Concurrency limits from the repo's dagster.yaml, honoured by a real instance (#31936)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus
from dagster._core.remote_origin import (
    RegisteredCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.test_utils import create_run_for_test
from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import (
    QueuedRunCoordinatorDaemon,
)

from nba_pipeline.definitions import build_definitions
from nba_pipeline.lib.warehouse_asset import WAREHOUSE_POOL
from nba_pipeline.paths import checkout_root, instance_template
from nba_pipeline.profiles import local_resources


def origin(job_name: str) -> RemoteJobOrigin:
    """Where a queued run came from (the queue needs it; nothing is loaded from it here)."""
    return RemoteJobOrigin(RemoteRepositoryOrigin(RegisteredCodeLocationOrigin("nba_pipeline"),
                                                  "__repository__"), job_name)


@pytest.fixture
def repo_instance(tmp_path: Path) -> Iterator[DagsterInstance]:
    """A persistent instance configured by the repository's dagster.yaml."""
    shutil.copy(instance_template(), tmp_path / "dagster.yaml")
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        yield instance


def test_every_table_asset_uses_the_warehouse_pool_and_landing_uses_api_pools():
    graph = build_definitions(resources=local_resources(Path("/nonexistent"))
                              ).resolve_asset_graph()
    pools = {key.to_user_string(): graph.get(key).pools for key in graph.get_all_asset_keys()}
    assert pools["landing/nba_schedule"] == {"nba_com_api"}
    assert pools["landing/odds_player_points"] == {"odds_api"}
    tables = [k for k in pools if k.startswith("nba_") and not k.startswith("nba_publish")]
    assert tables and all(pools[k] == {WAREHOUSE_POOL} for k in tables)


def test_two_runs_for_the_same_partition_never_run_together(repo_instance: DagsterInstance):
    def run(date: str, status: DagsterRunStatus) -> str:
        return create_run_for_test(repo_instance, job_name="daily_pipeline", status=status,
                                   tags={"dagster/partition": date},
                                   remote_job_origin=origin("daily_pipeline")).run_id

    writing = run("2024-03-06", DagsterRunStatus.STARTED)
    same_date = run("2024-03-06", DagsterRunStatus.QUEUED)
    other_date = run("2024-03-05", DagsterRunStatus.QUEUED)
    daemon = QueuedRunCoordinatorDaemon(interval_seconds=1)
    config = repo_instance.get_concurrency_config()

    def dequeued() -> set[str]:
        return {r.run_id for r in daemon._get_runs_to_dequeue(repo_instance, config, None)}

    assert dequeued() == {other_date}  # 03-06 is being written: its second run waits
    repo_instance.report_run_failed(repo_instance.get_run_by_id(writing))
    assert dequeued() == {same_date, other_date}


def test_single_run_backfills_queue_behind_each_other(repo_instance: DagsterInstance):
    def queue(start: str, end: str) -> str:
        return create_run_for_test(
            repo_instance, job_name="__ASSET_JOB", status=DagsterRunStatus.QUEUED,
            remote_job_origin=origin("__ASSET_JOB"),
            tags={"dagster/asset_partition_range_start": start,
                  "dagster/asset_partition_range_end": end}).run_id

    a, b = queue("2023-10-24", "2024-04-14"), queue("2024-01-01", "2024-02-01")
    config = repo_instance.get_concurrency_config()
    runs = QueuedRunCoordinatorDaemon(interval_seconds=1)._get_runs_to_dequeue(
        repo_instance, config, None)
    assert [r.run_id for r in runs] == [a]
    assert b


def test_warehouse_pool_serializes_steps_across_run_processes(repo_instance: DagsterInstance,
                                                             tmp_path: Path):
    """Two run processes, one pool slot: the second step waits for the first to finish."""
    home = repo_instance.root_directory
    outs = [tmp_path / "a.txt", tmp_path / "b.txt"]
    procs = [subprocess.Popen([sys.executable, "-m", "nba_pipeline_tests.automation.pool_writer",
                               home, date, str(out)], cwd=checkout_root())
             for date, out in zip(("2024-03-05", "2024-03-06"), outs, strict=True)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    spans = sorted(tuple(map(float, out.read_text().split())) for out in outs)
    (_, first_end), (second_start, _) = spans
    assert second_start >= first_end, "two warehouse steps ran at the same time"
