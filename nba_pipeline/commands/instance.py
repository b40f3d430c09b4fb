"""The Dagster instance the commands share with `make dev`, and the checks every range needs."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from dagster import DagsterInstance, Definitions

from nba_pipeline import paths
from nba_pipeline.partitions import InvalidRangeError, validate_range

LOCK_FILE = ".nba_pipeline.lock"


@contextmanager
def _home_lock(home: Path) -> Iterator[None]:
    """An exclusive lock on the home, so processes that start together prepare it once."""
    home.mkdir(parents=True, exist_ok=True)
    with open(home / LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def declared_pools(defs: Definitions) -> set[str]:
    """Every pool an asset of the graph claims a slot in."""
    graph = defs.resolve_asset_graph()
    return {pool for key in graph.get_all_asset_keys() for pool in graph.get(key).pools or ()}


def prepare_home(home: Path, pools: Iterable[str]) -> None:
    """Create the home's dagster.yaml, storage and pool limits, once, under a file lock.

    Two reasons, both races between processes that use a new home at the same moment (two CLIs,
    a CLI beside `dagster dev`, the daemon's first runs): Dagster's sqlite storage creates its
    tables on first open (the loser fails with `table runs already exists`), and it creates a
    pool's slots on the pool's first claim by counting before inserting, so two first claims can
    leave two slots in a pool whose limit is one (two warehouse writers at once). Preparing the
    storage and every declared pool here, serialized, leaves nothing for the runs to create.
    A limit changed in dagster.yaml is applied the next time a command prepares the home.
    """
    with _home_lock(home):
        if not (home / "dagster.yaml").exists():
            shutil.copy(paths.instance_template(), home / "dagster.yaml")
        with DagsterInstance.from_config(str(home)) as instance:
            for pool in sorted(pools):
                instance.event_log_storage.initialize_concurrency_limit_to_default(pool)


def local_instance(defs: Definitions) -> DagsterInstance:
    """DAGSTER_HOME, or the default home beside the data, prepared for `defs` (`prepare_home`).

    With DAGSTER_HOME unset, Dagster itself raises; here the commands and the UI agree on one
    on-disk home instead.
    """
    home = paths.dagster_home()
    prepare_home(home, declared_pools(defs))
    os.environ["DAGSTER_HOME"] = str(home)
    return DagsterInstance.get()


def checked_range(command: str, start: date, end: date) -> None:
    """Exit with a message naming the bad date before any run starts."""
    try:
        validate_range(start, end)
    except InvalidRangeError as exc:
        raise SystemExit(f"{command}: {exc}") from None
