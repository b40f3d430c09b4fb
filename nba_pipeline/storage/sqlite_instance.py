"""Dagster's sqlite instance without a disk sync per event (the local default's run history).

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
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine

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
