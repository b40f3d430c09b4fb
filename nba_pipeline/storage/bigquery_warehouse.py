"""BigQuery warehouse: dagster-gcp-pandas' `BigQueryPandasIOManager`, extended in this one place.

The stock IO manager (dagster-gcp 0.29.27) does not fit a DATE-partitioned, DDL-first warehouse:
- its partition DELETE/SELECT compares the column with 'YYYY-mm-dd HH:MM:SS' strings, which
  BigQuery rejects for a DATE column (dagster #13147): here the window is `DATE 'YYYY-MM-DD'`
  literals, [start, end) in game dates, so one day or a whole backfill range is one statement;
- it creates tables from the first DataFrame, unpartitioned and unclustered (#15975), and skips
  empty frames: here every table is created from its `sql/` DDL (native `PARTITION BY game_date`,
  clustering, NOT NULL, expiry) before the first write;
- it upper-cases column names on write and lower-cases them on read (#14129): here frames are
  conformed to the DDL (exact names, order and types) and loaded with an explicit BigQuery schema,
  and reads select the DDL's columns by name;
- it deletes the slice, then loads: a failed load leaves the partition empty. Here the frame is
  loaded into a short-lived staging table, then ONE multi-statement transaction deletes the
  window and inserts the staging rows. A failure anywhere leaves the previous rows intact.
  Multi-statement transactions work on real BigQuery and on the emulator; partition decorators
  (`table$YYYYMMDD` with WRITE_TRUNCATE) do not work on the emulator and need one job per day,
  so they were not used. BigQuery aborts one of two transactions that mutate the same table at
  once ("concurrent update"); that transaction is retried with jittered backoff, so two runs
  writing different partitions of one table both land;
- it has no endpoint/credentials setting: when `emulator_endpoint` is set (tests only), the
  client talks to that endpoint with anonymous credentials. Unset (production), the client is
  the stock `bigquery.Client(project, location)` with application-default credentials.
"""

from __future__ import annotations

import io
import random
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from dagster import InputContext, OutputContext, TimeWindow
from dagster._core.storage.db_io_manager import (
    DbIOManager,
    DbTypeHandler,
    TablePartitionDimension,
    TableSlice,
    static_where_clause,
)
from dagster_gcp.bigquery.io_manager import BigQueryClient
from dagster_gcp_pandas import BigQueryPandasIOManager, BigQueryPandasTypeHandler
from google.api_core import exceptions as gexc
from google.cloud import bigquery
from pydantic import Field

from nba_pipeline.storage.history_window import HistoryWindowDbIOManager
from nba_pipeline.storage.schema import Column, TableSchema, conform, table_schema

STAGING_PREFIX = "_staging_"
STAGING_TTL = timedelta(hours=6)
CONFLICT_RETRIES = 6
BQ_FIELD_TYPES = {"STRING": "STRING", "INT64": "INTEGER", "FLOAT64": "FLOAT",
                  "BOOL": "BOOLEAN", "DATE": "DATE", "TIMESTAMP": "TIMESTAMP"}


def make_client(project: str, location: str | None = None,
                emulator_endpoint: str | None = None) -> bigquery.Client:
    """The stock client (application-default credentials) unless an emulator endpoint is given."""
    if not emulator_endpoint:
        return bigquery.Client(project=project, location=location)
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials

    return bigquery.Client(project=project, location=location,
                           credentials=AnonymousCredentials(),
                           client_options=ClientOptions(api_endpoint=emulator_endpoint))


def create_statement(schema: TableSchema, project: str) -> str:
    """The table's `sql/` DDL with `{project}` filled in."""
    return schema.ddl.replace("{project}", project).rstrip().rstrip(";")


def bq_schema(schema: TableSchema) -> list[bigquery.SchemaField]:
    return [bigquery.SchemaField(c.name, BQ_FIELD_TYPES[c.type],
                                 mode="REQUIRED" if c.required else "NULLABLE")
            for c in schema.columns]


ARROW_TYPES = {"STRING": pa.string(), "INT64": pa.int64(), "FLOAT64": pa.float64(),
               "BOOL": pa.bool_(), "DATE": pa.date32(), "TIMESTAMP": pa.timestamp("us", tz="UTC")}


def to_parquet(frame: pd.DataFrame, schema: TableSchema) -> bytes:
    """Parquet typed by the DDL (DATE as date32, TIMESTAMP as UTC): the load job's file.

    Written here rather than by `load_table_from_dataframe`, whose dtype-guessing path is
    deprecated in google-cloud-bigquery in favour of pandas-gbq.
    """
    arrays = []
    for col in schema.columns:
        values = frame[col.name]
        if col.type == "DATE":
            values = pd.to_datetime(values).dt.date
        elif col.type == "TIMESTAMP":
            values = pd.to_datetime(values, utc=True)
        arrays.append(pa.array(values, type=ARROW_TYPES[col.type], from_pandas=True))
    table = pa.Table.from_arrays(arrays, schema=pa.schema(
        [pa.field(c.name, ARROW_TYPES[c.type], nullable=not c.required) for c in schema.columns]))
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def window_where(dimensions: Sequence[TablePartitionDimension]) -> str:
    """WHERE clause of a slice with DATE literals (the stock one uses datetime strings, #13147)."""
    clauses = []
    for dim in dimensions:
        if isinstance(dim.partitions, TimeWindow):
            start, end = dim.partitions
            clauses.append(f"{dim.partition_expr} >= DATE '{start.date().isoformat()}' AND "
                           f"{dim.partition_expr} < DATE '{end.date().isoformat()}'")
        else:
            clauses.append(static_where_clause(dim))
    return " AND ".join(clauses) if clauses else "TRUE"


def _table_id(table_slice: TableSlice) -> str:
    return f"`{table_slice.database}.{table_slice.schema}.{table_slice.table}`"


def _is_conflict(exc: Exception) -> bool:
    text = str(exc).lower()
    return "concurrent update" in text or "could not serialize" in text or "conflict" in text


class WarehouseBigQueryClient(BigQueryClient):
    """Connects (stock or emulator), creates datasets and tables from DDL, selects with DATE
    literals. The slice is replaced by the type handler inside one transaction, so the stock
    delete-before-write step is a no-op here."""

    def __init__(self, project: str, location: str | None,
                 emulator_endpoint: str | None) -> None:
        super().__init__()
        self.project = project
        self.location = location
        self.emulator_endpoint = emulator_endpoint
        # Tables created during this run: one DDL job per table and run, not per write.
        self._ensured: set[str] = set()

    @contextmanager
    def connect(self, context: Any, table_slice: TableSlice) -> Iterator[bigquery.Client]:  # type: ignore[override]
        client = make_client(self.project, self.location, self.emulator_endpoint)
        try:
            yield client
        finally:
            client.close()

    def ensure_schema_exists(self, context: OutputContext, table_slice: TableSlice,  # type: ignore[override]
                             connection: bigquery.Client) -> None:
        """Create the dataset and the table from its DDL if missing (checked once per run and
        table with a metadata call, so an existing table costs no DDL job)."""
        name = f"{table_slice.schema}.{table_slice.table}"
        if name in self._ensured:
            return
        try:
            connection.get_table(f"{table_slice.database}.{name}")
        except gexc.NotFound:
            try:
                apply_ddl(connection, table_slice.database, [name])
            except (gexc.Conflict, gexc.BadRequest):
                # Another run created it at the same moment: fine if the table is there now.
                connection.get_table(f"{table_slice.database}.{name}")
        self._ensured.add(name)

    @staticmethod
    def delete_table_slice(context: OutputContext, table_slice: TableSlice,
                           connection: bigquery.Client) -> None:
        """No-op: the handler deletes and inserts in one transaction (see module docstring)."""

    @staticmethod
    def get_select_statement(table_slice: TableSlice) -> str:
        schema = table_schema(f"{table_slice.schema}.{table_slice.table}")
        cols = ", ".join(table_slice.columns or schema.column_names)
        return (f"SELECT {cols} FROM {_table_id(table_slice)} "
                f"WHERE {window_where(table_slice.partition_dimensions)}")


class WarehouseBigQueryPandasTypeHandler(BigQueryPandasTypeHandler):
    """Conform to DDL, load to staging with an explicit schema, replace the slice atomically."""

    def handle_output(self, context: OutputContext, table_slice: TableSlice,
                      obj: pd.DataFrame, connection: bigquery.Client) -> None:
        schema = table_schema(f"{table_slice.schema}.{table_slice.table}")
        frame = conform(obj, schema.name, allow_missing=True)
        config = context.resource_config or {}
        staging = None
        if len(frame):
            staging = self._load_staging(connection, table_slice, schema, frame, config)
        try:
            script = "\n".join(["BEGIN TRANSACTION;",
                                *self.replace_statements(table_slice, schema, staging),
                                "COMMIT TRANSACTION;"])
            self._run_with_retry(connection, script, config)
        finally:
            if staging:
                connection.delete_table(staging, not_found_ok=True)
        context.add_output_metadata({
            "dagster/partition_row_count" if context.has_partition_key else "dagster/row_count":
            len(frame),
            "dagster/storage_kind": "bigquery",
        })

    def replace_statements(self, table_slice: TableSlice, schema: TableSchema,
                           staging: str | None) -> list[str]:
        """DELETE the slice's window, INSERT the staged rows; run inside one transaction."""
        target = _table_id(table_slice)
        where = window_where(table_slice.partition_dimensions)
        statements = [f"DELETE FROM {target} WHERE {where};"]
        if staging:
            cols = ", ".join(schema.column_names)
            statements.append(f"INSERT INTO {target} ({cols}) SELECT {cols} FROM `{staging}`;")
        return statements

    @staticmethod
    def _load_staging(connection: bigquery.Client, table_slice: TableSlice,
                      schema: TableSchema, frame: pd.DataFrame, config: dict) -> str:
        staging = (f"{table_slice.database}.{table_slice.schema}."
                   f"{STAGING_PREFIX}{table_slice.table}_{uuid.uuid4().hex[:12]}")
        table = bigquery.Table(staging, schema=bq_schema(schema))
        # Expires on its own if the process dies before dropping it.
        table.expires = datetime.now(timezone.utc) + STAGING_TTL
        connection.create_table(table)
        job_config = bigquery.LoadJobConfig(schema=bq_schema(schema),
                                            source_format=bigquery.SourceFormat.PARQUET,
                                            write_disposition="WRITE_TRUNCATE")
        connection.load_table_from_file(
            io.BytesIO(to_parquet(frame, schema)), staging, job_config=job_config,
            location=config.get("location"), timeout=config.get("timeout"),
        ).result()
        return staging

    @staticmethod
    def _run_with_retry(connection: bigquery.Client, script: str, config: dict) -> None:
        for attempt in range(CONFLICT_RETRIES + 1):
            try:
                connection.query(script, location=config.get("location"),
                                 timeout=config.get("timeout")).result()
                return
            except (gexc.BadRequest, gexc.Conflict, gexc.Aborted) as exc:
                if attempt == CONFLICT_RETRIES or not _is_conflict(exc):
                    raise
                time.sleep(min(30.0, 0.5 * 2 ** attempt) * random.uniform(0.5, 1.0))

    def load_input(self, context: InputContext, table_slice: TableSlice,
                   connection: bigquery.Client) -> pd.DataFrame:
        schema = table_schema(f"{table_slice.schema}.{table_slice.table}")
        if table_slice.partition_dimensions and len(context.asset_partition_keys) == 0:
            return conform(pd.DataFrame(), schema.name, allow_missing=True)
        config = context.resource_config or {}
        try:
            frame = read_frame(connection, WarehouseBigQueryClient.get_select_statement(
                table_slice), schema, location=config.get("location"),
                timeout=config.get("timeout"))
        except (gexc.NotFound, gexc.Forbidden):
            # A table never written (history before the first backfill) reads as an empty,
            # typed frame. Real BigQuery answers 404 for it, the emulator 403: ask which it is.
            try:
                connection.get_table(f"{table_slice.database}.{schema.name}")
            except gexc.NotFound:
                return conform(pd.DataFrame(), schema.name, allow_missing=True)
            raise
        return frame


_NULLABLE_PANDAS = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}


def read_frame(client: bigquery.Client, sql: str, schema: TableSchema,
               location: str | None = None, timeout: float | None = None) -> pd.DataFrame:
    """Run a SELECT and return it with DuckDB-like dtypes (via Arrow: `to_dataframe` is
    deprecated in google-cloud-bigquery in favour of pandas-gbq)."""
    table = client.query(sql, location=location, timeout=timeout).result().to_arrow(
        create_bqstorage_client=False)
    return normalize_bigquery(table.to_pandas(types_mapper=_NULLABLE_PANDAS.get), schema)


def normalize_bigquery(frame: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    """Make a BigQuery read look like a DuckDB read, so assets see the same dtypes on both:
    DATE/TIMESTAMP as naive datetime64[ns]; INT64/BOOL as numpy int64/bool unless they hold
    NULLs (then nullable Int64/boolean, as DuckDB returns them)."""
    types = {c.name: c.type for c in schema.columns}
    for col in frame.columns:
        if types.get(col) in ("INT64", "BOOL") and not frame[col].isna().any():
            frame[col] = frame[col].astype("int64" if types[col] == "INT64" else "bool")
        elif types.get(col) == "DATE":
            frame[col] = pd.to_datetime(frame[col].astype("object")).astype("datetime64[ns]")
        elif types.get(col) == "TIMESTAMP":
            ts = pd.to_datetime(frame[col], utc=True)
            frame[col] = ts.dt.tz_localize(None).astype("datetime64[ns]")
    return frame


class WarehouseBigQueryIOManager(BigQueryPandasIOManager):
    """`BigQueryPandasIOManager` with DDL-first tables and atomic partition replacement."""

    emulator_endpoint: str | None = Field(
        default=None,
        description="Tests only: a BigQuery emulator's URL; anonymous credentials are used. "
        "Unset in production (application-default credentials, stock client).",
    )

    @staticmethod
    def type_handlers() -> Sequence[DbTypeHandler]:
        return [WarehouseBigQueryPandasTypeHandler()]

    def create_io_manager(self, context: Any) -> DbIOManager:
        return HistoryWindowDbIOManager(
            db_client=WarehouseBigQueryClient(self.project, self.location,
                                              self.emulator_endpoint),
            io_manager_name="WarehouseBigQueryIOManager",
            database=self.project,
            schema=self.dataset,
            type_handlers=self.type_handlers(),
            default_load_type=self.default_load_type(),
        )


def apply_ddl(client: bigquery.Client, project: str,
              tables: Sequence[str] | None = None) -> list[str]:
    """Create every dataset and table declared in `sql/` (idempotent: IF NOT EXISTS), and add
    the DDL columns an existing table lacks, NULLABLE (`schema.columns_to_add`).

    Returns the tables applied, as `dataset.table`.
    """
    return [name for name, _ in apply_ddl_with_columns(client, project, tables)]


def apply_ddl_with_columns(client: bigquery.Client, project: str,
                           tables: Sequence[str] | None = None
                           ) -> list[tuple[str, list[str]]]:
    """`apply_ddl`, with the columns added to each table."""
    from nba_pipeline.storage.schema import columns_to_add, load_schemas

    schemas = load_schemas()
    names = list(tables) if tables is not None else sorted(schemas)
    for dataset in sorted({schemas[n].dataset for n in names}):
        client.query(f"CREATE SCHEMA IF NOT EXISTS `{project}.{dataset}`").result()
    applied = []
    for name in names:
        schema = schemas[name]
        client.query(create_statement(schema, project)).result()
        existing = [f.name for f in client.get_table(f"{project}.{name}").schema]
        added = columns_to_add(schema, existing)
        for column in added:
            client.query(add_column_statement(schema, column, project)).result()
        applied.append((name, [c.name for c in added]))
    return applied


def add_column_statement(schema: TableSchema, column: Column, project: str) -> str:
    """BigQuery DDL adding one column, NULLABLE (the only mode BigQuery can add); IF NOT
    EXISTS, so a run that races another, or repeats, changes nothing."""
    return (f"ALTER TABLE `{project}.{schema.name}` ADD COLUMN IF NOT EXISTS "
            f"{column.name} {column.type}")
