"""The Dagster instance the commands share with `make dev`, and the checks every range needs."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import yaml
from dagster import DagsterInstance, Definitions

from nba_pipeline import paths
from nba_pipeline.hygiene import home_lock, reap_dead_runs
from nba_pipeline.partitions import InvalidRangeError, validate_range
from nba_pipeline.storage.pool_slots import guard_pool_slots
from nba_pipeline.storage.sqlite_instance import configure_event_log


def declared_pools(defs: Definitions) -> set[str]:
    """Every pool an asset of the graph claims a slot in."""
    graph = defs.resolve_asset_graph()
    return {pool for key in graph.get_all_asset_keys() for pool in graph.get(key).pools or ()}


INSTANCE_ENV = "NBA_PIPELINE_INSTANCE"
# What the Postgres instance reads from the environment (deploy/dagster.prod.yaml); values are
# secrets or deployment details, never written to a file or printed.
PG_ENV = ("DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USERNAME", "DAGSTER_PG_PASSWORD",
          "DAGSTER_PG_DB")
# Production-only settings a local home leaves out: the Docker launcher needs a Docker daemon and
# a user-code image; locally the default launcher starts each run as a subprocess.
_CONTAINER_ONLY = ("run_launcher",)


def instance_kind(postgres: bool = False) -> str | None:
    """`postgres` when asked (flag or NBA_PIPELINE_INSTANCE), `sqlite` when that is asked,
    None when nothing is (a new home is then sqlite, an existing one is used as it is)."""
    kind = "postgres" if postgres else os.environ.get(INSTANCE_ENV, "").strip().lower()
    if kind not in ("", "sqlite", "postgres"):
        raise SystemExit(f"{INSTANCE_ENV}={kind!r}: expected 'sqlite' or 'postgres'")
    return kind or None


def home_storage(home: Path) -> str:
    """`postgres` or `sqlite`: what the home's dagster.yaml stores its history in."""
    config = yaml.safe_load((home / "dagster.yaml").read_text()) or {}
    return "postgres" if "postgres" in (config.get("storage") or {}) else "sqlite"


def postgres_instance_yaml() -> str:
    """deploy/dagster.prod.yaml (Postgres storage from DAGSTER_PG_*, run queue, pools, run
    monitoring, retries, retention) without its container launcher: the production settings,
    runnable on one machine. The storage block keeps its `env:` references, so no secret lands
    in the file."""
    config = yaml.safe_load(paths.production_instance().read_text())
    for key in _CONTAINER_ONLY:
        config.pop(key, None)
    header = ("# Written by `nba-pipeline init-home --postgres` from deploy/dagster.prod.yaml\n"
              "# (its run_launcher left out: runs start as local subprocesses).\n"
              f"# Storage settings come from the environment: {' '.join(PG_ENV)}.\n")
    return header + yaml.safe_dump(config, sort_keys=False)


def missing_postgres_env() -> list[str]:
    return [name for name in PG_ENV if not os.environ.get(name)]


def _write_instance_yaml(home: Path, kind: str | None) -> None:
    target = home / "dagster.yaml"
    if target.exists():
        if kind is not None and home_storage(home) != kind:
            raise SystemExit(f"{target} is a {home_storage(home)} instance, not {kind}; use "
                             "another DAGSTER_HOME (or remove that file) to change the storage")
        return
    if kind == "postgres":
        missing = missing_postgres_env()
        if missing:
            raise SystemExit(f"a Postgres instance needs {', '.join(missing)} in the "
                             "environment (docs/automation.md, 'Production instance on "
                             "PostgreSQL')")
        target.write_text(postgres_instance_yaml())
    else:
        shutil.copy(paths.instance_template(), target)


def _is_template(path: Path) -> bool:
    """The repository's own dagster.yaml (a home set to the checkout): never rewritten."""
    try:
        return path.resolve() == paths.instance_template().resolve()
    except FileNotFoundError:
        return False


def _ensure_pool(instance: DagsterInstance, pool: str) -> None:
    """Create `pool` at the configured default limit, or move it there if the default changed.

    Only a missing pool or a changed default is written: Dagster's re-initialisation of an
    existing pool retries its failed INSERT inside the same transaction, which Postgres has
    aborted by then (`InFailedSqlTransaction`), so a changed default is applied by dropping the
    pool (its limit and slots) and creating it again: change a limit while no run holds a slot.
    """
    storage = instance.event_log_storage
    if pool in storage.get_concurrency_keys():
        info = storage.get_concurrency_info(pool)
        default = instance.global_op_concurrency_default_limit
        if not info.using_default_limit or info.limit == default:
            return
        storage.delete_concurrency_limit(pool)
    storage.initialize_concurrency_limit_to_default(pool)


def prepare_home(home: Path, pools: Iterable[str], *, reap: bool = False,
                 kind: str | None = None) -> list[str]:
    """Create the home's dagster.yaml, storage and pool limits, once, under a file lock.

    Two reasons, both races between processes that use a new home at the same moment (two CLIs,
    a CLI beside `dagster dev`, the daemon's first runs): Dagster's sqlite storage creates its
    tables on first open (the loser fails with `table runs already exists`), and it creates a
    pool's slots on the pool's first claim by counting before inserting, so two first claims can
    leave two slots in a pool whose limit is one (two warehouse writers at once). Preparing the
    storage and every declared pool here, serialized, leaves nothing for the runs to create.
    A limit changed in dagster.yaml is applied the next time a command prepares the home, and
    the database is told to refuse a second claim of a held slot (`storage.pool_slots`). A
    sqlite home's event log is the pooled one (`storage.sqlite_instance`), added to a home made
    before it when its dagster.yaml configures no storage of its own.

    With `reap`, runs whose process is gone are then marked failed and their slots freed
    (`hygiene.reap_dead_runs`), under the same lock; returns what was reaped.

    `kind` (default: `instance_kind()`) picks the dagster.yaml a new home gets: the repo's
    sqlite one, or the production Postgres one (`postgres_instance_yaml`); an existing home is
    used as it is, and asking for the other kind stops with a message.
    """
    with home_lock(home):
        _write_instance_yaml(home, kind or instance_kind())
        if home_storage(home) == "sqlite" and not _is_template(home / "dagster.yaml"):
            configure_event_log(home)
        with DagsterInstance.from_config(str(home)) as instance:
            for pool in sorted(pools):
                _ensure_pool(instance, pool)
            guard_pool_slots(instance.event_log_storage)
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
