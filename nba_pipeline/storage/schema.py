"""Table schemas read from the BigQuery DDL in `sql/`, the one source of truth for every warehouse.

Frames are conformed to these schemas before any write, so a table's types never depend on
what the first DataFrame happened to hold (an all-null column, an empty day).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from nba_pipeline import paths

_TABLE = re.compile(
    r"CREATE TABLE IF NOT EXISTS `\{project\}\.(?P<dataset>\w+)\.(?P<table>\w+)` "
    r"\((?P<body>.*?)\n\)(?P<tail>.*?);",
    re.S,
)
_COLUMN = re.compile(r"^\s*(?P<name>\w+)\s+(?P<type>[A-Z0-9]+)(?P<notnull>\s+NOT NULL)?,?\s*$")
_CLUSTER = re.compile(r"CLUSTER BY ([\w, ]+)")
_PARTITION = re.compile(r"PARTITION BY (\w+)")


class SchemaMismatchError(ValueError):
    """A frame does not fit its table: the message names the columns."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool


@dataclass(frozen=True)
class TableSchema:
    dataset: str
    table: str
    columns: tuple[Column, ...]
    partition_column: str | None
    clustering: tuple[str, ...]
    ddl: str

    @property
    def name(self) -> str:
        return f"{self.dataset}.{self.table}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


@cache
def load_schemas(sql_dir: Path | None = None) -> dict[str, TableSchema]:
    """All tables declared in `sql/*.sql` (the packaged copy when installed), by `dataset.table`."""
    sql_dir = sql_dir or paths.sql_dir()
    schemas: dict[str, TableSchema] = {}
    for path in sorted(sql_dir.glob("*.sql")):
        for m in _TABLE.finditer(path.read_text()):
            columns = []
            for line in m.group("body").splitlines():
                c = _COLUMN.match(line)
                if c:
                    columns.append(Column(c["name"], c["type"], bool(c["notnull"])))
            tail = m.group("tail")
            part = _PARTITION.search(tail)
            clus = _CLUSTER.search(tail)
            schema = TableSchema(
                dataset=m["dataset"],
                table=m["table"],
                columns=tuple(columns),
                partition_column=part.group(1) if part else None,
                clustering=tuple(x.strip() for x in clus.group(1).split(",")) if clus else (),
                ddl=m.group(0),
            )
            schemas[schema.name] = schema
    return schemas


def table_schema(name: str) -> TableSchema:
    try:
        return load_schemas()[name]
    except KeyError:
        raise KeyError(f"No DDL for table {name!r} in {paths.sql_dir()}") from None


def empty_frame(name: str) -> pd.DataFrame:
    return conform(pd.DataFrame(), name, allow_missing=True)


def conform(frame: pd.DataFrame, name: str, *, allow_missing: bool = False) -> pd.DataFrame:
    """Return `frame` with exactly the table's columns, in order, cast to the table's types.

    Raises SchemaMismatchError naming missing, unexpected or null-in-required columns.
    """
    schema = table_schema(name)
    expected = schema.column_names
    missing = [c for c in expected if c not in frame.columns]
    extra = [c for c in frame.columns if c not in expected]
    if (missing and not (allow_missing and frame.empty)) or extra:
        raise SchemaMismatchError(
            f"{name}: frame does not match sql/ DDL; missing columns {missing}, "
            f"unexpected columns {extra}"
        )
    out = pd.DataFrame(index=frame.index)
    for col in schema.columns:
        values = frame[col.name] if col.name in frame.columns else pd.Series(index=frame.index)
        out[col.name] = _cast(values, col.type)
    required_nulls = [c.name for c in schema.columns if c.required and out[c.name].isna().any()]
    if required_nulls:
        raise SchemaMismatchError(f"{name}: NULL values in required columns {required_nulls}")
    return out.reset_index(drop=True)


def _cast(values: pd.Series, bq_type: str) -> pd.Series:
    if bq_type == "STRING":
        return values.astype("string")
    if bq_type == "INT64":
        return pd.to_numeric(values, errors="raise").round().astype("Int64")
    if bq_type == "FLOAT64":
        return pd.to_numeric(values, errors="raise").astype("float64")
    if bq_type == "BOOL":
        return values.astype("boolean")
    if bq_type == "DATE":
        return pd.to_datetime(values).dt.normalize().astype("datetime64[ns]")
    if bq_type == "TIMESTAMP":
        ts = pd.to_datetime(values, utc=True)
        return ts.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
    raise SchemaMismatchError(f"unsupported column type {bq_type}")


DUCKDB_TYPES = {
    "STRING": "VARCHAR",
    "INT64": "BIGINT",
    "FLOAT64": "DOUBLE",
    "BOOL": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP",
}


def duckdb_create_statement(schema: TableSchema) -> str:
    cols = ",\n  ".join(
        f"{c.name} {DUCKDB_TYPES[c.type]}{' NOT NULL' if c.required else ''}"
        for c in schema.columns
    )
    return f"CREATE TABLE IF NOT EXISTS {schema.dataset}.{schema.table} (\n  {cols}\n)"


def normalize_loaded(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo warehouse read quirks so loaded frames look like written ones (dates as datetime64)."""
    for col in frame.columns:
        dtype = frame[col].dtype
        if pd.api.types.is_datetime64_any_dtype(dtype):
            if getattr(dtype, "tz", None) is not None:
                frame[col] = frame[col].dt.tz_convert("UTC").dt.tz_localize(None)
            frame[col] = frame[col].astype("datetime64[ns]")
        elif pd.api.types.is_object_dtype(dtype):
            first = frame[col].dropna().head(1)
            if len(first) and hasattr(first.iloc[0], "isoformat"):
                frame[col] = pd.to_datetime(frame[col])
    return frame
