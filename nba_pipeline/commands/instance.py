"""The Dagster instance the commands share with `make dev`, and the checks every range needs."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from dagster import DagsterInstance, Definitions

from nba_pipeline import paths
from nba_pipeline.hygiene import home_lock, reap_dead_runs
from nba_pipeline.partitions import InvalidRangeError, validate_range


def declared_pools(defs: Definitions) -> set[str]:
    """Every pool an asset of the graph claims a slot in."""
    graph = defs.resolve_asset_graph()
    return {pool for key in graph.get_all_asset_keys() for pool in graph.get(key).pools or ()}


def prepare_home(home: Path, pools: Iterable[str], *, reap: bool = False) -> list[str]:
    """Create the home's dagster.yaml, storage and pool limits, once, under a file lock.

    Two reasons, both races between processes that use a new home at the same moment (two CLIs,
    a CLI beside `dagster dev`, the daemon's first runs): Dagster's sqlite storage creates its
    tables on first open (the loser fails with `table runs already exists`), and it creates a
    pool's slots on the pool's first claim by counting before inserting, so two first claims can
    leave two slots in a pool whose limit is one (two warehouse writers at once). Preparing the
    storage and every declared pool here, serialized, leaves nothing for the runs to create.
    A limit changed in dagster.yaml is applied the next time a command prepares the home.

    With `reap`, runs whose process is gone are then marked failed and their slots freed
    (`hygiene.reap_dead_runs`), under the same lock; returns what was reaped.
    """
    with home_lock(home):
        if not (home / "dagster.yaml").exists():
            shutil.copy(paths.instance_template(), home / "dagster.yaml")
        with DagsterInstance.from_config(str(home)) as instance:
            for pool in sorted(pools):
                instance.event_log_storage.initialize_concurrency_limit_to_default(pool)
            return reap_dead_runs(instance) if reap else []


def local_instance(defs: Definitions) -> DagsterInstance:
    """DAGSTER_HOME, or the default home beside the data, prepared for `defs` (`prepare_home`),
    its dead runs reaped (printed to stderr).

    With DAGSTER_HOME unset, Dagster itself raises; here the commands and the UI agree on one
    on-disk home instead. No daemon watches in-process CLI runs, so the commands reap them.
    """
    home = paths.dagster_home()
    for line in prepare_home(home, declared_pools(defs), reap=True):
        print(line, file=sys.stderr)
    os.environ["DAGSTER_HOME"] = str(home)
    return DagsterInstance.get()


def checked_range(command: str, start: date, end: date) -> None:
    """Exit with a message naming the bad date before any run starts."""
    try:
        validate_range(start, end)
    except InvalidRangeError as exc:
        raise SystemExit(f"{command}: {exc}") from None
