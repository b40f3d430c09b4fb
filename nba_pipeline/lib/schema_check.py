"""One schema check for every warehouse table: the frame the domain code PRODUCED must match its
`sql/` DDL, before anything conforms it.

`table_frame` (assets/common.py) diffs the produced frame with the DDL
(`storage.schema.schema_diff`) before it conforms it. On drift (missing, undeclared extra,
renamed or lossy-typed columns, NULLs in NOT NULL columns) it raises `SchemaDriftError`; the
wrapper below reports the failed, blocking check with the diff and fails the step, so nothing
is written (the partition keeps its previous rows: a drifted frame cannot be written without
losing or inventing values) and nothing downstream runs. On success the diff rides on the
conformed frame (`frame.attrs`), and the check's metadata records what conform dropped
(declared working columns) and cast (losslessly). `warehouse_asset` attaches this check to
every table asset, so no asset needs code for it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pandas as pd
from dagster import AssetExecutionContext, AssetKey, Failure, Output

from nba_pipeline.lib.checks import Check, Outcome, evaluate
from nba_pipeline.storage.schema import SchemaDiff, SchemaDriftError, schema_diff

SCHEMA_CHECK_NAME = "schema_matches_ddl"
# Where `table_frame` leaves the pre-conform diff on the frame it returns.
SCHEMA_DIFF_ATTR = "nba_pipeline/schema_diff"


def schema_outcome(frame: pd.DataFrame, table: str) -> Outcome:
    """The pre-conform diff carried by a `table_frame` result, else a diff of `frame` itself."""
    diff = frame.attrs.get(SCHEMA_DIFF_ATTR)
    if not (isinstance(diff, SchemaDiff) and diff.table == table):
        diff = schema_diff(frame, table)
    return Outcome(diff.passed, diff.metadata())


def schema_check(table: str, diff: SchemaDiff | None = None) -> Check:
    """The check; with `diff`, one that reports that diff (the drifted frame was never output)."""
    def fn(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
        if diff is not None:
            return Outcome(diff.passed, diff.metadata())
        return schema_outcome(frame, table)

    return Check(
        SCHEMA_CHECK_NAME,
        f"The frame the asset produced, before conform, has every column of {table} in sql/, no "
        "undeclared extra column, values that take each DDL type without loss, and no NULL in "
        "NOT NULL columns (0 differences allowed; order does not matter).",
        fn, blocking=True, threshold="0 differences", per_day=False)


def with_schema_check(table: str, key: AssetKey, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an asset body so the schema check reports on every frame it produces.

    `functools.wraps` keeps the signature, so Dagster still sees the same inputs and resources.
    """
    check = schema_check(table)

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Iterator[Any]:
        try:
            result = fn(*args, **kwargs)
            events = result if isinstance(result, Iterator) else [result]
            for event in events:
                yield event
                if isinstance(event, Output) and isinstance(event.value, pd.DataFrame):
                    yield from evaluate(AssetExecutionContext.get(), key, [check], event.value)
        except SchemaDriftError as drift:
            if drift.diff.table != table:
                raise
            frame = pd.DataFrame(index=range(drift.diff.rows))  # rows_checked in the metadata
            yield from evaluate(AssetExecutionContext.get(), key, [schema_check(table, drift.diff)],
                                frame)
            raise Failure(
                description=f"{drift} (blocking check {SCHEMA_CHECK_NAME}; nothing written)",
                metadata={k: v for k, v in drift.diff.metadata().items()
                          if k in ("missing_columns", "extra_columns", "retyped_columns")},
            ) from None

    return wrapped

