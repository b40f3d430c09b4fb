"""DuckDB warehouse: Dagster's DuckDB pandas IO manager, extended to create tables from `sql/`.

Stock `DuckDBPandasIOManager` creates a table from the first frame it sees and skips empty
frames, so an empty game day or an all-null column would fix a wrong type forever. Here every
table is created from its DDL, and every frame is conformed to it before insert. Partition
replacement (delete window, insert) stays the stock `DbIOManager` behaviour.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from dagster import InputContext, OutputContext
from dagster._core.storage.db_io_manager import DbTypeHandler, TableSlice
from dagster_duckdb import DuckDBIOManager
from dagster_duckdb_pandas import DuckDBPandasTypeHandler

from nba_pipeline.storage.schema import (
    conform,
    duckdb_create_statement,
    normalize_loaded,
    table_schema,
)


class SchemaDuckDBPandasTypeHandler(DuckDBPandasTypeHandler):
    def handle_output(
        self, context: OutputContext, table_slice: TableSlice, obj: pd.DataFrame, connection
    ) -> None:
        schema = table_schema(f"{table_slice.schema}.{table_slice.table}")
        connection.execute(duckdb_create_statement(schema))
        frame = conform(obj, schema.name, allow_missing=True)  # noqa: F841 - scanned by DuckDB
        cols = ", ".join(schema.column_names)
        if len(frame):
            connection.execute(
                f"INSERT INTO {schema.dataset}.{schema.table} ({cols}) SELECT {cols} FROM frame"
            )
        context.add_output_metadata(
            {
                "dagster/partition_row_count" if context.has_partition_key else "dagster/row_count":
                len(frame),
                "dagster/storage_kind": "duckdb",
            }
        )

    def load_input(
        self, context: InputContext, table_slice: TableSlice, connection
    ) -> pd.DataFrame:
        schema = table_schema(f"{table_slice.schema}.{table_slice.table}")
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema.dataset}")
        connection.execute(duckdb_create_statement(schema))
        return normalize_loaded(super().load_input(context, table_slice, connection))


class WarehouseDuckDBIOManager(DuckDBIOManager):
    """DuckDB IO manager whose tables come from `sql/` (see module docstring)."""

    @staticmethod
    def type_handlers() -> Sequence[DbTypeHandler]:
        return [SchemaDuckDBPandasTypeHandler()]

    @staticmethod
    def default_load_type() -> type | None:
        return pd.DataFrame
