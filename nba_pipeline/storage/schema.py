"""Table schemas read from the BigQuery DDL in `sql/`, the one source of truth for every warehouse.

Frames are conformed to these schemas before any write, so a table's types never depend on
what the first DataFrame happened to hold (an all-null column, an empty day).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

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


class SchemaDriftError(SchemaMismatchError):
    """A produced frame drifted from its DDL before conform; `diff` says how."""

    def __init__(self, diff: SchemaDiff) -> None:
        super().__init__(diff.summary())
        self.diff = diff


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


def conform(frame: pd.DataFrame, name: str, *, allow_missing: bool = False) -> pd.DataFrame:
    """Return `frame` with exactly the table's columns, in order, cast to the table's types.

    Raises SchemaMismatchError naming missing, unexpected, null-in-required columns, or columns
    whose values cannot take the DDL type without loss (a cast never rounds or guesses).
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
    lossy = [c.name for c in schema.columns
             if c.name in frame.columns and _lossy(frame[c.name], c.type)]
    if lossy:
        raise SchemaMismatchError(
            f"{name}: columns {lossy} cannot be cast to their sql/ DDL types without loss")
    out = pd.DataFrame(index=frame.index)
    for col in schema.columns:
        values = frame[col.name] if col.name in frame.columns else pd.Series(index=frame.index)
        out[col.name] = _cast(values, col.type)
    required_nulls = [c.name for c in schema.columns if c.required and out[c.name].isna().any()]
    if required_nulls:
        raise SchemaMismatchError(f"{name}: NULL values in required columns {required_nulls}")
    return out.reset_index(drop=True)


# The pandas dtype `conform` gives each BigQuery type.
PANDAS_DTYPES = {
    "STRING": "string",
    "INT64": "Int64",
    "FLOAT64": "float64",
    "BOOL": "boolean",
    "DATE": "datetime64[ns]",
    "TIMESTAMP": "datetime64[ns]",
}
_NUMERIC_KINDS = ("integer", "floating", "mixed-integer-float", "decimal")
_TIME_KINDS = ("datetime64", "datetime", "date", "string")


def _lossy(values: pd.Series, bq_type: str) -> bool:
    """True when `values` cannot become `bq_type` without loss or guessing.

    Lossless: ints or whole floats into INT64, numbers into FLOAT64, 0/1 into BOOL, parseable
    dates (no time of day) into DATE, parseable timestamps into TIMESTAMP. Lossy: anything
    else, e.g. strings in a numeric or BOOL column, numbers in a STRING column (a numeric
    `game_id` has already lost its leading zeros), fractions into INT64.
    """
    present = values.dropna()
    if pd.api.types.is_datetime64_any_dtype(values.dtype) and bq_type in ("DATE", "TIMESTAMP"):
        # No parsing (fast on big frames); a DATE must not hold a time of day it would lose.
        return bq_type == "DATE" and bool((present != present.dt.normalize()).any())
    if str(values.dtype) == PANDAS_DTYPES[bq_type]:
        return False  # already conformed (every frame the IO managers get from an asset)
    if present.empty:
        return False
    kind = pd.api.types.infer_dtype(present, skipna=True)
    if bq_type == "STRING":
        return kind != "string"
    if bq_type in ("INT64", "FLOAT64"):
        if kind not in _NUMERIC_KINDS:
            return True
        return bq_type == "INT64" and bool((pd.to_numeric(present) % 1 != 0).any())
    if bq_type == "BOOL":
        if kind == "boolean":
            return False
        return kind not in _NUMERIC_KINDS or not bool(present.isin([0, 1]).all())
    if kind not in _TIME_KINDS:
        return True
    try:
        parsed = pd.to_datetime(present, utc=bq_type == "TIMESTAMP")
    except (ValueError, TypeError, OverflowError):
        return True
    return bq_type == "DATE" and bool((parsed != parsed.dt.normalize()).any())


def _found_type(values: pd.Series) -> str:
    """The dtype, plus what an object column holds (`object[string]`, `object[mixed]`)."""
    if values.dtype != object:
        return str(values.dtype)
    return f"object[{pd.api.types.infer_dtype(values, skipna=True)}]"


@dataclass(frozen=True)
class SchemaDiff:
    """How a produced frame differs from its table's DDL, before conform.

    Fails on missing, undeclared extra, lossy-typed (retyped) columns and NULLs in NOT NULL
    columns. Declared working columns are dropped and casts are lossless: both are recorded,
    so nothing conform does is silent. Column order does not matter (writes go by name).
    """

    table: str
    rows: int
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    retyped: list[dict[str, str]] = field(default_factory=list)
    required_nulls: dict[str, int] = field(default_factory=dict)
    possible_renames: list[dict[str, str]] = field(default_factory=list)
    dropped_working_columns: list[str] = field(default_factory=list)
    casts: dict[str, list[str]] = field(default_factory=dict)
    order_changed: bool = False

    @property
    def passed(self) -> bool:
        """An empty frame (a day without games) passes: conform types it, nothing is lost."""
        return self.rows == 0 or not (self.missing or self.extra or self.retyped
                                      or self.required_nulls)

    def metadata(self) -> dict[str, Any]:
        schema = table_schema(self.table)
        return {
            "checked": "frame as produced, before conform to sql/ DDL",
            "ddl": f"sql/{schema.dataset}.sql", "expected_columns": len(schema.columns),
            "missing_columns": self.missing, "extra_columns": self.extra,
            "retyped_columns": self.retyped, "possible_renames": self.possible_renames,
            "nulls_in_required_columns": self.required_nulls,
            "dropped_working_columns": self.dropped_working_columns,
            "lossless_casts": self.casts, "column_order_changed": self.order_changed,
            **({"not_enforced": "empty frame"} if self.rows == 0 else {}),
        }

    def summary(self) -> str:
        parts = [f"{label} {value}" for label, value in (
            ("missing columns", self.missing), ("extra columns", self.extra),
            ("retyped columns", [r["column"] for r in self.retyped]),
            ("NULLs in required columns", self.required_nulls)) if value]
        return f"{self.table}: frame does not match sql/ DDL: " + "; ".join(parts)


def schema_diff(frame: pd.DataFrame, name: str, *,
                working: Collection[str] = ()) -> SchemaDiff:
    """Compare a produced frame with the DDL. `working` names columns the domain code carries
    on purpose (inputs passed through, intermediates); they are dropped, not failed."""
    schema = table_schema(name)
    expected = schema.column_names
    missing = [c for c in expected if c not in frame.columns]
    extra = [c for c in frame.columns if c not in expected and c not in working]
    present = [c for c in frame.columns if c in expected]
    retyped: list[dict[str, str]] = []
    casts: dict[str, list[str]] = {}
    for col in schema.columns:
        if col.name not in frame.columns:
            continue
        values = frame[col.name]
        found = _found_type(values)
        if _lossy(values, col.type):
            bad = values.dropna()
            retyped.append({"column": col.name, "expected": col.type,
                            "expected_dtype": PANDAS_DTYPES[col.type], "found": found,
                            "example": str(bad.iloc[0])[:80] if len(bad) else ""})
        elif str(values.dtype) != PANDAS_DTYPES[col.type]:
            casts.setdefault(f"{found} -> {PANDAS_DTYPES[col.type]}", []).append(col.name)
    types = {c.name: c.type for c in schema.columns}
    renames = []
    for gone in missing:
        fits = [c for c in extra if not _lossy(frame[c], types[gone])]
        if len(fits) == 1:
            renames.append({"from": fits[0], "to": gone})
    return SchemaDiff(
        table=name, rows=len(frame), missing=missing, extra=extra, retyped=retyped,
        required_nulls={c.name: int(frame[c.name].isna().sum()) for c in schema.columns
                        if c.required and c.name in frame.columns
                        and frame[c.name].isna().any()},
        possible_renames=renames,
        dropped_working_columns=[c for c in frame.columns if c not in expected and c in working],
        casts=casts, order_changed=present != [c for c in expected if c in present],
    )


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


def columns_to_add(schema: TableSchema, existing: Iterable[str]) -> list[Column]:
    """The DDL's columns an existing table lacks, in DDL order, to add with ADD COLUMN.

    `CREATE TABLE IF NOT EXISTS` leaves a table made by an older DDL as it was, so columns added
    since (`cold_start`, `history_games`, ...) must be added to it. They are added NULLABLE even
    where the DDL says NOT NULL (`history_games`): the old rows have no value (BigQuery cannot
    add a REQUIRED column to a table at all, DuckDB not without a made-up default); every new
    write fills them, and re-running the old partitions fills the rest (docs/storage.md).
    """
    have = {c.lower() for c in existing}
    return [c for c in schema.columns if c.name.lower() not in have]


def duckdb_add_column_statement(schema: TableSchema, column: Column) -> str:
    """DuckDB DDL adding one column, nullable (`columns_to_add`)."""
    return (f"ALTER TABLE {schema.dataset}.{schema.table} ADD COLUMN IF NOT EXISTS "
            f"{column.name} {DUCKDB_TYPES[column.type]}")


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
