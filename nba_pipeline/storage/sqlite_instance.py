"""Dagster's sqlite instance made cheaper per event (the local default's run history): no disk
sync per event, and one engine and connection per event-log shard instead of one per write.

Dagster's sqlite event log opens, commits and closes the run's file and the index file for every
event it stores (a NullPool engine per event), and SQLite's default durability syncs the disk at
each commit and at each last close (the WAL checkpoint). A season's single run stores about 5,200
events (one materialization and one planned event per asset and game day) through about 21,000
such connections (profiled): most of a history season's wall time on a slow disk
(docs/performance.md, "The run history"). Measured on this project's CI machine: 7-10 ms per
event write with the default synchronous=FULL, 0.5-1.4 ms with OFF.

With synchronous=OFF SQLite still hands every commit to the operating system before returning,
so a crash of any Dagster process loses nothing; only an operating-system crash or a power loss
can lose or corrupt the last writes of the run history (never the warehouse: tables live in
DuckDB, files in the landing folder). That is the trade a local development history takes;
production runs on PostgreSQL (deploy/dagster.prod.yaml), which this does not touch.
NBA_PIPELINE_SQLITE_SYNCHRONOUS=FULL (or NORMAL) keeps SQLite's stronger setting.

Only sqlite files inside DAGSTER_HOME are changed; the listener is installed once per process by
`nba_pipeline.definitions`, so CLI runs, code servers and their run workers all get it.
"""

from __future__ import annotations

import os
import sqlite3
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

SYNCHRONOUS_ENV = "NBA_PIPELINE_SQLITE_SYNCHRONOUS"
DEFAULT_SYNCHRONOUS = "OFF"
_ALLOWED = ("OFF", "NORMAL", "FULL", "EXTRA")
_installed: list[bool] = []


def synchronous_setting() -> str:
    """OFF unless NBA_PIPELINE_SQLITE_SYNCHRONOUS asks for one of SQLite's other levels."""
    value = (os.environ.get(SYNCHRONOUS_ENV) or DEFAULT_SYNCHRONOUS).strip().upper()
    if value not in _ALLOWED:
        raise ValueError(f"{SYNCHRONOUS_ENV}={value!r}: expected one of {', '.join(_ALLOWED)}")
    return value


def _in_dagster_home(connection: sqlite3.Connection) -> bool:
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        return False
    root = Path(home).resolve()
    for _, name, file in connection.execute("PRAGMA database_list").fetchall():
        if name == "main" and file:
            path = Path(file).resolve()
            return path == root or root in path.parents
    return False


def _on_connect(dbapi_connection: object, _record: object) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection) and _in_dagster_home(dbapi_connection):
        dbapi_connection.execute(f"PRAGMA synchronous={synchronous_setting()}")


def install_relaxed_sync() -> None:
    """Set the synchronous level on every new SQLite connection to a file in DAGSTER_HOME
    (idempotent; a bad NBA_PIPELINE_SQLITE_SYNCHRONOUS fails here, before any run)."""
    synchronous_setting()
    if not _installed:
        event.listen(Engine, "connect", _on_connect)
        _installed.append(True)


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's run-sharded sqlite event log, with one engine and one open connection per
    shard kept for the process instead of a new engine per statement batch.

    The parent builds a SQLAlchemy engine for every connection it opens: every event stored pays
    for an engine, a fresh compile of each statement (the compiled cache lives in the engine)
    and a sqlite open and close. Profiled on 74 game days of landing and raw assets (3,348
    events): 70.9 s with the parent, 55.2 s with the engine kept, 44.5 s with its connection
    pooled too (docs/performance.md, "The run history on sqlite").

    Nothing else changes: the same files, schema and locking (sqlite's own, across processes),
    the parent's per-storage thread lock around every connection, and the engines of the last
    MAX_OPEN_SHARDS shards stay open (a webserver that reads many runs does not keep a file per
    run). `wipe` closes every engine before the files go.
    """

    MAX_OPEN_SHARDS = 16

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(  # type: ignore[override]
            cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = create_engine(self.conn_string_for_shard(shard), pool_size=1, max_overflow=2,
                               connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        self._engines[shard] = engine
        while len(self._engines) > self.MAX_OPEN_SHARDS:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            with self._engine(shard).connect() as conn, conn.begin():
                yield conn

    def _close_engines(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        self._close_engines()
        super().wipe()

    def upgrade(self) -> None:
        self._close_engines()
        super().upgrade()

    def dispose(self) -> None:
        self._close_engines()
        super().dispose()


def event_log_block(home: Path) -> str:
    """The dagster.yaml lines a local sqlite home uses for its event log (same files as
    Dagster's default: `<home>/history/runs`)."""
    return ("\n# The run history's event log: Dagster's sqlite one, with one engine and\n"
            "# connection per shard kept (nba_pipeline/storage/sqlite_instance.py).\n"
            + yaml.safe_dump({"event_log_storage": {
                "module": PooledSqliteEventLogStorage.__module__,
                "class": PooledSqliteEventLogStorage.__name__,
                "config": {"base_dir": str(home.resolve() / "history" / "runs")}}},
                sort_keys=False))


def configure_event_log(home: Path) -> bool:
    """Give a sqlite home's dagster.yaml the pooled event log when it configures no storage of
    its own (a new home, or one made before this existed); True when the file was changed."""
    target = home / "dagster.yaml"
    config = yaml.safe_load(target.read_text()) or {}
    if any(k in config for k in ("storage", "event_log_storage", "run_storage",
                                 "schedule_storage")):
        return False
    with target.open("a") as out:
        out.write(event_log_block(home))
    return True
