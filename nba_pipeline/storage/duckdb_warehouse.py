"""DuckDB warehouse: Dagster's DuckDB pandas IO manager, extended to create tables from `sql/`.

Stock `DuckDBPandasIOManager` creates a table from the first frame it sees and skips empty
frames, so an empty game day or an all-null column would fix a wrong type forever. Here every
table is created from its DDL, and every frame is conformed to it before insert.

Stock `DbIOManager` deletes the slice, then the handler inserts, each in its own autocommit: a
failed insert leaves the partition empty. Here the delete is a no-op and the handler deletes
the window and inserts in ONE transaction, so a failed write leaves the previous rows intact
(the same contract as the BigQuery warehouse).

DuckDB allows one writer process per file: `connect` retries while another process holds the
lock (capped exponential backoff with jitter for ~10 minutes, where dagster-duckdb's doubling
delays reach minutes each) and always closes, so a failed run never keeps the lock. Two runs
in one process share the database; a write-write conflict between their transactions is
retried.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pandas as pd
from dagster import InputContext, OutputContext
from dagster._core.storage.db_io_manager import DbIOManager, DbTypeHandler, TableSlice
from dagster_duckdb import DuckDBIOManager
from dagster_duckdb.io_manager import DuckDbClient, _get_cleanup_statement
from dagster_duckdb_pandas import DuckDBPandasTypeHandler

from nba_pipeline.storage.history_window import HistoryWindowDbIOManager
from nba_pipeline.storage.schema import (
    TableSchema,
    columns_to_add,
    conform,
    duckdb_add_column_statement,
    duckdb_create_statement,
    normalize_loaded,
    table_schema,
)

T = TypeVar("T")
CONFLICT_RETRIES = 8
LOCK_RETRIES = 160  # delays double from 0.1 s up to a 5 s cap, with jitter: ~10 minutes in all
LOCK_MAX_DELAY_S = 5.0


def _lock_delays() -> Iterator[float]:
    """Capped, jittered exponential delays: a waiting writer notices a freed lock within ~5 s,
    and two waiting writers do not retry in lockstep."""
    delay = 0.1
    while True:
        yield delay * random.uniform(0.5, 1.0)
        delay = min(LOCK_MAX_DELAY_S, delay * 2)


def is_lock_error(exc: Exception) -> bool:
    """Another process holds the file's write lock (the only error worth waiting out)."""
    return "lock" in str(exc).lower()


def connect_waiting_for_lock(database: str, config: dict[str, Any]
                             ) -> duckdb.DuckDBPyConnection:
    """Connect, waiting out another writer's lock (LOCK_RETRIES capped delays, ~10 minutes);
    any other error (a missing folder, a corrupt file) raises at once with its cause."""
    delays = _lock_delays()
    for attempt in range(LOCK_RETRIES + 1):
        try:
            return duckdb.connect(database=database, read_only=False, config=config)
        except (RuntimeError, duckdb.IOException) as exc:
            if not is_lock_error(exc) or attempt == LOCK_RETRIES:
                raise
            time.sleep(next(delays))
    raise AssertionError("unreachable")


def retry_conflicts(fn: Callable[[], T]) -> T:
    """Run `fn`, retrying DuckDB write-write conflicts between connections of one process
    (two runs creating the same schema or table, or replacing slices of one table, at once)."""
    for attempt in range(CONFLICT_RETRIES):
        try:
            return fn()
        except duckdb.TransactionException:
            time.sleep(min(5.0, 0.05 * 2 ** attempt) * random.uniform(0.5, 1.0))
    return fn()


def create_table(connection: duckdb.DuckDBPyConnection, schema: TableSchema) -> list[str]:
    """Create the table from its DDL if missing, and add the nullable DDL columns an older
    table lacks (`schema.columns_to_add`); returns the columns added."""
    def create() -> list[str]:
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema.dataset}")
        connection.execute(duckdb_create_statement(schema))
        existing = [r[0] for r in connection.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ?", [schema.dataset, schema.table],
        ).fetchall()]
        added = columns_to_add(schema, existing)
        for column in added:
            connection.execute(duckdb_add_column_statement(schema, column))
        return [c.name for c in added]

    return retry_conflicts(create)


class SchemaDuckDBPandasTypeHandler(DuckDBPandasTypeHandler):
    def handle_output(
        self, context: OutputContext, table_slice: TableSlice, obj: pd.DataFrame, connection
    ) -> None:
        schema = table_schema(f"{table_slice.schema}.{table_slice.table}")
        frame = conform(obj, schema.name, allow_missing=True)
        create_table(connection, schema)
        retry_conflicts(lambda: self._replace(connection, table_slice, schema, frame))
        context.add_output_metadata(
            {
                "dagster/partition_row_count" if context.has_partition_key else "dagster/row_count":
                len(frame),
                "dagster/storage_kind": "duckdb",
            }
        )

    def _replace(self, connection: duckdb.DuckDBPyConnection, table_slice: TableSlice,
                 schema: TableSchema, frame: pd.DataFrame) -> None:
        connection.execute("BEGIN TRANSACTION")
        try:
            connection.register("_nba_frame", frame)
            for statement in self.replace_statements(table_slice, schema, bool(len(frame))):
                connection.execute(statement)
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        finally:
            connection.unregister("_nba_frame")

    def replace_statements(self, table_slice: TableSlice, schema: TableSchema,
                           has_rows: bool) -> list[str]:
        """DELETE the slice's window, INSERT the frame; run inside one transaction."""
        statements = [_get_cleanup_statement(table_slice)]
        if has_rows:
            cols = ", ".join(schema.column_names)
            statements.append(f"INSERT INTO {schema.dataset}.{schema.table} ({cols}) "
                              f"SELECT {cols} FROM _nba_frame")
        return statements

    def load_input(
        self, context: InputContext, table_slice: TableSlice, connection
    ) -> pd.DataFrame:
        create_table(connection, table_schema(f"{table_slice.schema}.{table_slice.table}"))
        return normalize_loaded(super().load_input(context, table_slice, connection))


class WarehouseDuckDbClient(DuckDbClient):
    """The handler replaces slices transactionally, so the stock pre-write delete is a no-op."""

    @staticmethod
    def delete_table_slice(context: OutputContext, table_slice: TableSlice, connection) -> None:
        return None

    @staticmethod
    def ensure_schema_exists(context: OutputContext, table_slice: TableSlice,
                             connection) -> None:
        """Schema and table from the DDL (the stock one creates only the schema, unretried)."""
        create_table(connection, table_schema(f"{table_slice.schema}.{table_slice.table}"))

    @staticmethod
    @contextmanager
    def connect(context: Any, _: Any) -> Iterator[duckdb.DuckDBPyConnection]:
        config = context.resource_config or {}
        database = config["database"]
        if database != ":memory:" and not database.startswith("md:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        conn = connect_waiting_for_lock(
            database, {"custom_user_agent": "dagster", **(config.get("connection_config") or {})})
        try:
            yield conn
        finally:
            conn.close()


class WarehouseDuckDBIOManager(DuckDBIOManager):
    """DuckDB IO manager whose tables come from `sql/` (see module docstring)."""

    @staticmethod
    def type_handlers() -> Sequence[DbTypeHandler]:
        return [SchemaDuckDBPandasTypeHandler()]

    @staticmethod
    def default_load_type() -> type | None:
        return pd.DataFrame

    def create_io_manager(self, context: Any) -> DbIOManager:
        return HistoryWindowDbIOManager(
            db_client=WarehouseDuckDbClient(),
            database=self.database,
            schema=self.schema_,
            type_handlers=self.type_handlers(),
            default_load_type=self.default_load_type(),
            io_manager_name="WarehouseDuckDBIOManager",
        )
