"""Concurrency limits from the repo's dagster.yaml, honoured by a real instance (#31936)."""

from __future__ import annotations

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

from nba_pipeline.commands.instance import declared_pools, prepare_home
from nba_pipeline.definitions import build_definitions
from nba_pipeline.lib.warehouse_asset import WAREHOUSE_POOL
from nba_pipeline.paths import checkout_root
from nba_pipeline.profiles import local_resources


def origin(job_name: str) -> RemoteJobOrigin:
    """Where a queued run came from (the queue needs it; nothing is loaded from it here)."""
    return RemoteJobOrigin(RemoteRepositoryOrigin(RegisteredCodeLocationOrigin("nba_pipeline"),
                                                  "__repository__"), job_name)


@pytest.fixture
def repo_instance(tmp_path: Path) -> Iterator[DagsterInstance]:
    """A persistent instance configured by the repository's dagster.yaml, prepared as the CLI
    and `make dev` prepare theirs."""
    home = tmp_path / "home"
    prepare_home(home, declared_pools(build_definitions(
        resources=local_resources(Path("/nonexistent")))))
    with DagsterInstance.from_config(str(home)) as instance:
        yield instance


def pool_slots(instance: DagsterInstance, pool: str) -> int:
    return instance.event_log_storage.get_concurrency_info(pool).slot_count


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
    spans = run_writers(repo_instance.root_directory, tmp_path, ("2024-03-05", "2024-03-06"))
    (_, first_end), (second_start, _) = spans
    assert second_start >= first_end, "two warehouse steps ran at the same time"
    assert pool_slots(repo_instance, WAREHOUSE_POOL) == 1


def run_writers(home: str, out_dir: Path, dates: tuple[str, ...]) -> list[tuple[float, float]]:
    """Start one pool_writer process per date at once; their step spans, sorted by start.

    A process that fails puts its own output in the assertion, so a failure says why.
    """
    procs = []
    for date in dates:
        log = open(out_dir / f"{date}.log", "w")  # noqa: SIM115 (closed below)
        procs.append((subprocess.Popen(
            [sys.executable, "-m", "nba_pipeline_tests.automation.pool_writer", home, date,
             str(out_dir / f"{date}.txt")], cwd=checkout_root(), stdout=log,
            stderr=subprocess.STDOUT), log))
    for proc, log in procs:
        proc.wait(timeout=300)
        log.close()
    for (proc, _), date in zip(procs, dates, strict=True):
        output = (out_dir / f"{date}.log").read_text()
        assert proc.returncode == 0, f"writer for {date} failed:\n{output[-3000:]}"
    return sorted(tuple(map(float, (out_dir / f"{d}.txt").read_text().split())) for d in dates)


def test_runs_on_a_brand_new_home_at_the_same_moment_all_succeed(tmp_path: Path):
    """Two commands first using one new home together: one prepares it, the other waits."""
    home = tmp_path / "new_home"
    code = ("import sys; from pathlib import Path; "
            "from nba_pipeline.commands.instance import prepare_home; "
            "prepare_home(Path(sys.argv[1]), ['warehouse', 'odds_api'])")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(home)], cwd=checkout_root(),
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errors
    with DagsterInstance.from_config(str(home)) as instance:
        assert pool_slots(instance, WAREHOUSE_POOL) == 1
        assert pool_slots(instance, "odds_api") == 1
        assert instance.get_runs_count() == 0


def test_init_home_creates_every_declared_pool_before_any_run(tmp_path: Path, monkeypatch,
                                                              capsys):
    """`make dev` runs `nba-pipeline init-home` first: the daemon's runs find the pools made."""
    from nba_pipeline.cli import main

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dev_home"))
    assert main(["init-home"]) == 0
    assert "pools nba_com_api, odds_api, warehouse" in capsys.readouterr().out
    with DagsterInstance.from_config(str(tmp_path / "dev_home")) as instance:
        assert {pool: pool_slots(instance, pool) for pool in
                ("nba_com_api", "odds_api", WAREHOUSE_POOL)} == {
                    "nba_com_api": 1, "odds_api": 1, WAREHOUSE_POOL: 1}
