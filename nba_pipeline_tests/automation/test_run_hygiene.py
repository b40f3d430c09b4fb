"""Run hygiene with real processes and signals (docs/reliability.md, "Run hygiene").

A CLI backfill killed by SIGKILL is reaped by the next command (run FAILURE naming the dead pid,
slots freed); SIGTERM stops a backfill like Ctrl-C (non-zero exit, run failed, slots free);
a pool held by a live run makes the next command give up after the configured wait, naming
the pool and the holder. Each uses a temp DAGSTER_HOME and NBA_PIPELINE_HOME over the replay
data, and one game date of landing + raw (or a one-step test asset).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus, asset, materialize
from dagster._core.test_utils import create_run_for_test

from nba_pipeline.commands.instance import prepare_home
from nba_pipeline.hygiene import HOST_TAG, PID_TAG, SLOT_WAIT_ENV, reap_dead_runs
from nba_pipeline.lib.warehouse_asset import WAREHOUSE_POOL
from nba_pipeline.partitions import daily_partitions
from nba_pipeline.paths import checkout_root, recorded_data_dir

pytestmark = pytest.mark.skipif(not recorded_data_dir().is_dir(), reason="no replay data")
DAY = "2024-03-05"
BACKFILL = ["-m", "nba_pipeline.cli", "backfill", "--start", DAY, "--end", DAY,
            "--select", "landing", "raw"]
POOLS = (WAREHOUSE_POOL, "nba_com_api", "odds_api")


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a command on a new home, prepared first (as `make dev` does), so the
    test can poll the instance while the command runs."""
    prepare_home(tmp_path / "dagster_home", POOLS)
    return {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster_home"),
            "NBA_PIPELINE_HOME": str(tmp_path / "data"),
            "NBA_PIPELINE_DATA_DIR": str(recorded_data_dir()), "NBA_PIPELINE_SOURCE": "replay",
            **extra}


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "w") as out:
        return subprocess.Popen([sys.executable, *args], cwd=checkout_root(), env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def wait_until(condition: Callable[[], bool], proc: subprocess.Popen, log: Path,
               timeout: float = 90) -> None:
    """Poll `condition` while `proc` runs; fail with its output if it ends first."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, f"ended before it was expected to:\n{log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"timed out:\n{log.read_text()[-3000:]}"
        time.sleep(0.2)


def home_of(env: dict[str, str]) -> DagsterInstance:
    return DagsterInstance.from_config(env["DAGSTER_HOME"])


def holds_warehouse_slot(env: dict[str, str]) -> Callable[[], bool]:
    def check() -> bool:
        with home_of(env) as instance:
            info = instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL)
            return bool(info.claimed_slots)
    return check


def claimed(instance: DagsterInstance) -> list[tuple[str, str]]:
    return [(pool, slot.run_id) for pool in POOLS
            for slot in instance.event_log_storage.get_concurrency_info(pool).claimed_slots]


@pytest.mark.slow
def test_a_sigkilled_backfill_is_reaped_by_the_next_command(tmp_path: Path):
    env = env_for(tmp_path)
    first = start(BACKFILL, env, tmp_path / "first.log")
    wait_until(holds_warehouse_slot(env), first, tmp_path / "first.log")
    first.kill()
    first.wait(timeout=10)
    with home_of(env) as instance:
        (dead,) = instance.get_runs()
        assert dead.status == DagsterRunStatus.STARTED and claimed(instance)
    second = subprocess.run([sys.executable, *BACKFILL], cwd=checkout_root(), env=env,
                            capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"run {dead.run_id} was STARTED but its process (pid {first.pid}" in second.stderr
    assert "succeeded" in second.stdout
    with home_of(env) as instance:
        assert instance.get_run_by_id(dead.run_id).status == DagsterRunStatus.FAILURE
        failure = [e for e in instance.all_logs(dead.run_id) if e.is_dagster_event
                   and e.dagster_event.event_type_value == "PIPELINE_FAILURE"]
        assert "nba_pipeline reaper" in failure[-1].message
        assert f"pid {first.pid}" in failure[-1].message
        assert claimed(instance) == []


@pytest.mark.slow
def test_sigterm_stops_a_backfill_like_ctrl_c(tmp_path: Path):
    env = env_for(tmp_path)
    log = tmp_path / "backfill.log"
    proc = start(BACKFILL, env, log)
    wait_until(holds_warehouse_slot(env), proc, log)
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=45)
    took = time.monotonic() - sent
    output = log.read_text()
    assert code == 128 + signal.SIGTERM, output[-3000:]
    assert took < 35, f"took {took:.0f}s to stop"
    assert "stopped by SIGTERM" in output
    with home_of(env) as instance:
        (run,) = instance.get_runs()
        assert run.status in (DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED)
        assert claimed(instance) == []


@pytest.mark.slow
def test_a_pool_held_by_a_live_run_makes_the_next_command_give_up_naming_it(tmp_path: Path):
    env = env_for(tmp_path, NBA_PIPELINE_SLOT_WAIT_SECONDS="2")
    holder_log = tmp_path / "holder.log"
    holder = start(["-m", "nba_pipeline_tests.automation.slot_holder", "60"], env, holder_log)
    try:
        wait_until(holds_warehouse_slot(env), holder, holder_log)
        with home_of(env) as instance:
            (holding,) = instance.get_runs()
        started = time.monotonic()
        waiter = subprocess.run([sys.executable, *BACKFILL], cwd=checkout_root(), env=env,
                                capture_output=True, text=True, timeout=120)
        took = time.monotonic() - started
        output = waiter.stdout + waiter.stderr
        assert waiter.returncode == 1, output
        assert "gave up after 2s waiting for a slot in pool 'warehouse'" in output
        assert f"held by run {holding.run_id} (STARTED, pid {holder.pid}" in output
        assert took < 60
        with home_of(env) as instance:
            assert len(instance.get_runs()) == 1  # the command that gave up created no run
        assert blocked_step_gives_up(env, holding.run_id, holder.pid)
        assert holder.poll() is None  # the holder was left alone
    finally:
        holder.send_signal(signal.SIGTERM)
        assert holder.wait(timeout=45) != 0, holder_log.read_text()[-3000:]
    with home_of(env) as instance:
        assert instance.get_run_by_id(holding.run_id).status == DagsterRunStatus.FAILURE
        assert claimed(instance) == []


def blocked_step_gives_up(env: dict[str, str], holding: str, pid: int) -> bool:
    """Inside a run (the slot taken after the pre-run check): the step waits, sleeping, then the
    run fails naming pool and holder, instead of Dagster's endless busy loop."""
    import nba_pipeline.runner  # noqa: F401  (installs the bounded claim context)

    @asset(pool=WAREHOUSE_POOL, partitions_def=daily_partitions)
    def blocked() -> None:
        pass

    os.environ[SLOT_WAIT_ENV] = "2"
    try:
        with home_of(env) as instance:
            cpu, started = time.process_time(), time.monotonic()
            result = materialize([blocked], partition_key=DAY, instance=instance,
                                 raise_on_error=False)
            busy = (time.process_time() - cpu) / (time.monotonic() - started)
            (failure,) = [e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE"]
    finally:
        del os.environ[SLOT_WAIT_ENV]
    message = failure.job_failure_data.error.message
    assert not result.success
    assert "gave up after 2s waiting for a slot in pool 'warehouse'" in message
    assert f"held by run {holding} (STARTED, pid {pid}" in message
    assert busy < 0.5, f"the wait used {busy:.0%} of a core"
    return True


def test_only_runs_whose_process_is_gone_on_this_host_are_reaped(tmp_path: Path):
    home = tmp_path / "home"
    prepare_home(home, [WAREHOUSE_POOL])
    gone = subprocess.Popen(["true"])
    gone.wait()
    with DagsterInstance.from_config(str(home)) as instance:
        def run(pid: int, host: str) -> str:
            run_id = create_run_for_test(instance, job_name="__ASSET_JOB",
                                         status=DagsterRunStatus.STARTED,
                                         tags={PID_TAG: str(pid), HOST_TAG: host}).run_id
            instance.event_log_storage.claim_concurrency_slot(WAREHOUSE_POOL, run_id, "step")
            return run_id

        dead = run(gone.pid, socket.gethostname())
        other_host = run(gone.pid, "another-host")
        alive = run(os.getpid(), socket.gethostname())
        lines = reap_dead_runs(instance)
        assert len(lines) == 1 and dead in lines[0] and f"pid {gone.pid}" in lines[0]
        statuses = {r: instance.get_run_by_id(r).status for r in (dead, other_host, alive)}
        assert statuses == {dead: DagsterRunStatus.FAILURE, other_host: DagsterRunStatus.STARTED,
                            alive: DagsterRunStatus.STARTED}
        holders = {s.run_id for s in instance.event_log_storage.get_concurrency_info(
            WAREHOUSE_POOL).claimed_slots}
        assert dead not in holders
