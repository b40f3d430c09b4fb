"""One schema check for every warehouse table: the produced frame must match its `sql/` DDL.

Both IO managers conform frames on write; this check makes drift visible per asset before it is
hidden by casting. `warehouse_asset` attaches this check to every table asset (see
`with_schema_check`), so no asset needs per-asset code for it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pandas as pd
from dagster import AssetExecutionContext, AssetKey, Output

from nba_pipeline.checks.framework import Check, Outcome, evaluate
from nba_pipeline.storage.schema import table_schema

SCHEMA_CHECK_NAME = "schema_matches_ddl"

# The pandas dtype `storage.schema.conform` gives each BigQuery type.
EXPECTED_DTYPES = {
    "STRING": "string",
    "INT64": "Int64",
    "FLOAT64": "float64",
    "BOOL": "boolean",
    "DATE": "datetime64[ns]",
    "TIMESTAMP": "datetime64[ns]",
}


def schema_outcome(frame: pd.DataFrame, table: str) -> Outcome:
    """Columns (names and order), pandas dtypes and NOT NULL columns compared with the DDL."""
    schema = table_schema(table)
    expected = schema.column_names
    missing = [c for c in expected if c not in frame.columns]
    unexpected = [c for c in frame.columns if c not in expected]
    present = [c for c in frame.columns if c in expected]
    out_of_order = present != [c for c in expected if c in present]
    wrong_types = [
        {"column": c.name, "ddl_type": c.type, "expected": EXPECTED_DTYPES[c.type],
         "actual": str(frame[c.name].dtype)}
        for c in schema.columns
        if c.name in frame.columns and str(frame[c.name].dtype) != EXPECTED_DTYPES[c.type]
    ]
    null_required = {c.name: int(frame[c.name].isna().sum()) for c in schema.columns
                     if c.required and c.name in frame.columns and frame[c.name].isna().any()}
    passed = not (missing or unexpected or out_of_order or wrong_types or null_required)
    return Outcome(passed, {
        "ddl": f"sql/{schema.dataset}.sql", "expected_columns": len(expected),
        "missing_columns": missing, "unexpected_columns": unexpected,
        "columns_out_of_order": out_of_order, "wrong_types": wrong_types,
        "nulls_in_required_columns": null_required,
    })


def schema_check(table: str) -> Check:
    def fn(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
        return schema_outcome(frame, table)

    return Check(
        SCHEMA_CHECK_NAME,
        f"The written frame has exactly the columns, order, types and NOT NULLs of {table} in "
        "sql/ (0 differences allowed).",
        fn, blocking=True, threshold="0 differences")


def with_schema_check(table: str, key: AssetKey, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an asset body so the schema check runs on every Output it produces.

    `functools.wraps` keeps the signature, so Dagster still sees the same inputs and resources.
    """
    check = schema_check(table)

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Iterator[Any]:
        result = fn(*args, **kwargs)
        events = result if isinstance(result, Iterator) else [result]
        for event in events:
            yield event
            if isinstance(event, Output) and isinstance(event.value, pd.DataFrame):
                yield from evaluate(key, [check], event.value, _label())

    return wrapped


def _label() -> str:
    window = AssetExecutionContext.get().partition_time_window
    first, last = window.start.date(), (window.end - pd.Timedelta(days=1)).date()
    return first.isoformat() if first == last else f"{first}..{last}"
