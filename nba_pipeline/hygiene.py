"""Run hygiene for in-process (CLI) runs: dead runs are reaped, pool waits are bounded, and
SIGTERM stops a run the way Ctrl-C does.

Why: a CLI range is one `execute_in_process` run on the on-disk instance, outside the daemon's
run monitoring. A process killed by SIGKILL (an OOM kill, a container stop that escalated)
leaves its run STARTED and its pool slots claimed, and Dagster's in-process executor then waits
for the slot forever, spinning, with interrupts captured but never raised (docs/reliability.md,
"Run hygiene").
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster._core.executor.in_process as dagster_in_process
from dagster import DagsterInstance, DagsterRun, DagsterRunStatus, RunsFilter
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext
from dagster._utils.interrupts import pop_captured_interrupt

PID_TAG = "nba_pipeline/pid"
HOST_TAG = "nba_pipeline/host"
# The process's start time (Linux /proc), so a pid reused by another process is not mistaken
# for the run's process.
PROCESS_START_TAG = "nba_pipeline/process_start"
LOCK_FILE = ".nba_pipeline.lock"
SLOT_WAIT_ENV = "NBA_PIPELINE_SLOT_WAIT_SECONDS"
DEFAULT_SLOT_WAIT_SECONDS = 300.0
SLOT_POLL_SECONDS = 1.0
# A run a CLI process created (NOT_STARTED: killed before it began) and has not finished.
IN_PROGRESS = [DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED,
               DagsterRunStatus.CANCELING]
FINISHED = [DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED]


def _say(line: str) -> None:
    """A line for the person running the command (stderr: stdout carries the results)."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


@contextmanager
def home_lock(home: Path) -> Iterator[None]:
    """An exclusive lock on the home: preparing it and reaping its dead runs happen once.

    Not reentrant (flock is per open file): never take it twice in one process.
    """
    home.mkdir(parents=True, exist_ok=True)
    with open(home / LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _process_start(pid: int) -> str | None:
    """The start time of `pid` in clock ticks since boot (Linux), None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22; the name may contain spaces


def process_tags() -> dict[str, str]:
    """The tags that let a later command tell whether this run's process still exists."""
    tags = {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}
    start = _process_start(os.getpid())
    if start:
        tags[PROCESS_START_TAG] = start
    return tags


def process_alive(tags: dict[str, str]) -> bool | None:
    """Whether the process named by a run's tags exists; None when it cannot be known here
    (no pid tag, or another host: a pid means nothing across hosts)."""
    pid_text, host = tags.get(PID_TAG), tags.get(HOST_TAG)
    if not pid_text or host != socket.gethostname():
        return None
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    recorded = tags.get(PROCESS_START_TAG)
    return not (recorded and _process_start(pid) not in (None, recorded))


def reap_dead_runs(instance: DagsterInstance) -> list[str]:
    """Fail every in-progress run whose process is gone, and free slots held by ended runs.

    Call under `home_lock`, so two commands do not report the same run twice. Returns one
    line per run reaped or freed, for the command to print.
    """
    lines = []
    for record in instance.get_run_records(RunsFilter(statuses=IN_PROGRESS)):
        run = record.dagster_run
        if process_alive(dict(run.tags)) is not False:
            continue
        pid = run.tags[PID_TAG]
        message = (f"nba_pipeline reaper: run {run.run_id} was {run.status.value} but its "
                   f"process (pid {pid} on {run.tags[HOST_TAG]}) is gone (killed: OOM, SIGKILL, "
                   "a container stop): marked failed and its pool slots freed. Its partitions "
                   "were not all written: run the same backfill again (writes replace whole "
                   "partitions), see docs/checks.md 'Runbook'.")
        instance.report_run_failed(run, message=message)
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        lines.append(message)
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        holders = list(storage.get_concurrency_run_ids())
        ended = instance.get_run_records(RunsFilter(run_ids=holders, statuses=FINISHED)) \
            if holders else []
        for record in ended:
            storage.free_concurrency_slots_for_run(record.dagster_run.run_id)
            lines.append(f"nba_pipeline reaper: freed the pool slots still held by run "
                         f"{record.dagster_run.run_id} ({record.dagster_run.status.value})")
    return lines


class SlotWaitTimeout(RuntimeError):
    """A pool stayed full for the whole bounded wait."""


def slot_wait_seconds() -> float:
    """NBA_PIPELINE_SLOT_WAIT_SECONDS, default 300: how long a run waits for a full pool."""
    value = os.environ.get(SLOT_WAIT_ENV)
    if not value:
        return DEFAULT_SLOT_WAIT_SECONDS
    try:
        return float(value)
    except ValueError:
        raise SystemExit(f"{SLOT_WAIT_ENV}={value!r} is not a number of seconds") from None


def _holders(instance: DagsterInstance, pool: str) -> str:
    info = instance.event_log_storage.get_concurrency_info(pool)
    runs: dict[str, list[str]] = {}
    for slot in info.claimed_slots:
        runs.setdefault(slot.run_id, []).append(slot.step_key)
    parts = []
    for run_id, steps in runs.items():
        run = instance.get_run_by_id(run_id)
        where = (f", pid {run.tags.get(PID_TAG)} on {run.tags.get(HOST_TAG)}"
                 if run and PID_TAG in run.tags else "")
        status = run.status.value if run else "unknown run"
        parts.append(f"run {run_id} ({status}{where}; step {', '.join(steps)})")
    return "; ".join(parts) or "nobody (the pool has no free slot: its limit is 0?)"


def full_pools(instance: DagsterInstance, pools: Iterable[str]) -> list[str]:
    """The pools among `pools` with every slot claimed (a pool without a limit is never full)."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    full = []
    for pool, info in storage.get_concurrency_infos(sorted(set(pools))).items():
        if info.limit is not None and info.active_slot_count >= max(info.slot_count, info.limit):
            full.append(pool)
    return full


def wait_for_pools(instance: DagsterInstance, pools: Iterable[str],
                   timeout: float | None = None) -> None:
    """Before a run: wait, sleeping, until every pool it claims has a free slot, at most
    `timeout` seconds (NBA_PIPELINE_SLOT_WAIT_SECONDS), then raise naming pool and holder.

    Dagster's in-process executor would wait inside the run with no bound, no message and a busy
    loop (its next-claim interval is never positive in 1.13), not answering SIGINT/SIGTERM.
    A holder whose process died meanwhile is reaped, so its slot frees at once.
    """
    timeout = slot_wait_seconds() if timeout is None else timeout
    pools = sorted(set(pools))
    deadline = time.monotonic() + timeout
    told: set[str] = set()
    while True:
        full = full_pools(instance, pools)
        if not full:
            return
        if instance.root_directory:
            with home_lock(Path(instance.root_directory)):
                reaped = reap_dead_runs(instance)
            for line in reaped:
                _say(line)
            if reaped:
                continue
        if time.monotonic() >= deadline:
            pool = full[0]
            raise SlotWaitTimeout(
                f"gave up after {timeout:.0f}s waiting for a slot in pool '{pool}', held by "
                f"{_holders(instance, pool)}. Wait for that run to finish (Dagster UI -> Runs), "
                f"or set {SLOT_WAIT_ENV} to wait longer; a run whose process is gone is reaped "
                "by the next command on this host, or free its slots in the UI (Deployment -> "
                "Concurrency).")
        for pool in full:
            if pool not in told:
                told.add(pool)
                _say(f"waiting up to {timeout:.0f}s for a slot in pool '{pool}', held by "
                     f"{_holders(instance, pool)}")
        time.sleep(min(SLOT_POLL_SECONDS, max(deadline - time.monotonic(), 0.01)))


class BoundedConcurrencyContext(InstanceConcurrencyContext):
    """Dagster's slot claims for an in-process run, with the wait for a full pool bounded.

    A step blocked on a pool in Dagster 1.13's in-process executor loops without sleeping (its
    next-check interval is `min(0, ...)`, never positive) and never raises a captured SIGINT or
    SIGTERM (interrupts land only when user code is entered). Here the loop sleeps until the
    next check (at most a second), an interrupt received meanwhile stops the run, a holder whose
    process died is reaped, and after NBA_PIPELINE_SLOT_WAIT_SECONDS the run fails naming the
    pool and the run holding it. `wait_for_pools` makes this the rare case (a slot taken between
    two steps of the run); installed by `install_bounded_slot_wait`.
    """

    REAP_EVERY_SECONDS = 5.0

    def __init__(self, instance: DagsterInstance, dagster_run: DagsterRun) -> None:
        super().__init__(instance, dagster_run)
        self._waiting_since: dict[str, float] = {}
        self._wait_limit = slot_wait_seconds()
        self._last_reap = 0.0

    def claim(self, concurrency_key: str, step_key: str, step_priority: int = 0) -> bool:
        if pop_captured_interrupt():
            raise DagsterExecutionInterruptedError(
                f"interrupted (SIGINT/SIGTERM) before step {step_key} could start")
        if super().claim(concurrency_key, step_key, step_priority):
            self._waiting_since.pop(step_key, None)
            return True
        now = time.monotonic()
        since = self._waiting_since.setdefault(step_key, now)
        if now - self._last_reap >= self.REAP_EVERY_SECONDS and self._instance.root_directory:
            self._last_reap = now
            with home_lock(Path(self._instance.root_directory)):
                for line in reap_dead_runs(self._instance):
                    _say(line)
        if now - since >= self._wait_limit:
            raise SlotWaitTimeout(
                f"step {step_key} gave up after {self._wait_limit:.0f}s waiting for a slot in "
                f"pool '{concurrency_key}', held by {_holders(self._instance, concurrency_key)}."
                f" Run the command again once that run has finished, or set {SLOT_WAIT_ENV} "
                "to wait longer.")
        return False

    def interval_to_next_pending_claim_check(self) -> float:
        if not self._pending_claims:
            return 0.0
        now = time.time()
        until = min((at - now for at in self._pending_timeouts.values()), default=0.0)
        return min(max(until, 0.05), 1.0)


def install_bounded_slot_wait() -> None:
    """Make in-process runs (`execute_in_process`, `materialize`) use
    `BoundedConcurrencyContext`. `execute_in_process` always uses Dagster's in-process executor,
    which builds its claim context by this module-level name: there is no setting for it."""
    dagster_in_process.InstanceConcurrencyContext = BoundedConcurrencyContext  # type: ignore[misc]


# --- SIGTERM ------------------------------------------------------------------------------

# After a SIGTERM or SIGINT, the interrupt is repeated every REPEAT seconds while the process
# runs (Dagster raises a captured interrupt only when user code is next entered, and an
# exception raised in a signal handler during a garbage-collection callback is discarded), and
# after HARD_STOP seconds the process's own in-progress runs are marked failed, their slots
# freed, and the process exits: a stop is bounded even if the interrupt never lands.
REPEAT_SECONDS = 3.0
HARD_STOP_SECONDS = 30.0
_received: dict[str, int] = {}


def received_signal() -> int | None:
    """The first SIGTERM/SIGINT this process received, if any."""
    return _received.get("signal")


def _raise_interrupt(signum: int, frame: object) -> None:
    _received.setdefault("signal", signum)
    raise KeyboardInterrupt(f"received {signal.Signals(signum).name}")


def _fail_own_runs(message: str) -> None:
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        return
    with DagsterInstance.from_config(home) as instance:
        for record in instance.get_run_records(RunsFilter(
                statuses=IN_PROGRESS, tags={PID_TAG: str(os.getpid())})):
            if record.dagster_run.tags.get(HOST_TAG) == socket.gethostname():
                instance.report_run_failed(record.dagster_run, message=message)
                instance.event_log_storage.free_concurrency_slots_for_run(
                    record.dagster_run.run_id)


def _watch(read_fd: int) -> None:
    first: float | None = None
    last_repeat = 0.0
    while True:
        ready, _, _ = select.select([read_fd], [], [], 1.0)
        if ready:
            for byte in os.read(read_fd, 64):
                if byte in (signal.SIGTERM, signal.SIGINT) and first is None:
                    first = last_repeat = time.monotonic()
                    _received["signal"] = byte
        if first is None:
            continue
        now = time.monotonic()
        if now - first >= HARD_STOP_SECONDS:
            name = signal.Signals(_received["signal"]).name
            message = (f"nba_pipeline: stopped by {name}; the run did not stop within "
                       f"{HARD_STOP_SECONDS:.0f}s, so it was marked failed and its slots freed "
                       "before the process exited")
            _say(message)
            try:
                _fail_own_runs(message)
            finally:
                os._exit(128 + _received["signal"])
        if now - last_repeat >= REPEAT_SECONDS:
            last_repeat = now
            os.kill(os.getpid(), signal.SIGINT)


def install_stop_handlers() -> None:
    """SIGTERM takes Ctrl-C's path (KeyboardInterrupt; inside a run, Dagster's interrupt
    handling, which maps SIGTERM to its SIGINT handler), with a watcher that bounds the stop.

    The watcher reads the signal wakeup fd, which CPython writes for every handled signal
    whichever handler Dagster has installed at the time. Main thread only; once per process.
    """
    if threading.current_thread() is not threading.main_thread() or "installed" in _received:
        return
    _received["installed"] = 1
    signal.signal(signal.SIGTERM, _raise_interrupt)
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    threading.Thread(target=_watch, args=(read_fd,), name="nba-pipeline-stop", daemon=True
                     ).start()
