"""Shape of every warehouse asset: daily partitions, single-run backfills, replace-by-date."""

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    BackfillPolicy,
    MetadataValue,
    Output,
    asset,
)

from nba_pipeline.lib.checks import Check, evaluate
from nba_pipeline.lib.schema_check import SCHEMA_DIFF_ATTR, schema_check, with_schema_check
from nba_pipeline.partitions import daily_partitions, dates_between
from nba_pipeline.storage.history_window import HISTORY_DAYS, THROUGH_GAME_DATE
from nba_pipeline.storage.schema import SchemaDriftError, conform, schema_diff, table_schema
from nba_pipeline.tables import Table

OWNERS = ["team:nba-data"]
# Every warehouse write claims a slot in this pool (dagster.yaml sets its size): 1 for DuckDB,
# which allows a single writer process (#16248); larger for BigQuery.
WAREHOUSE_POOL = "warehouse"
# Asset metadata naming the history inputs and their windows (the UI shows it; automation reads
# it to rebuild the next game date when an earlier one changes).
HISTORY_INPUTS = "history_inputs"


def table_key(table: Table) -> AssetKey:
    """`nba_raw.player_boxscores` -> AssetKey(['nba_raw', 'player_boxscores'])."""
    return AssetKey(table.path)


def same_day(**inputs: Table) -> dict[str, AssetIn]:
    """Inputs read for the run's own game dates, by parameter name: `same_day(schedule=SCHEDULE)`.

    History inputs (a window of earlier dates) are declared with `history`.
    """
    return {name: AssetIn(table_key(entry)) for name, entry in inputs.items()}


def history(table: Table, days: int, *, through_game_date: bool = False) -> AssetIn:
    """An input read over the `days` calendar days before each of the run's game dates (and
    the date itself if `through_game_date`).

    The dependency is the same date, so a range chosen in the UI stays that range; the IO
    manager reads the window (storage/history_window.py says why) and automation rebuilds the
    next game date when an earlier one changes (lib/automation.py).
    """
    return AssetIn(table_key(table), metadata={HISTORY_DAYS: days,
                                               THROUGH_GAME_DATE: through_game_date})


def history_inputs(ins: Mapping[str, AssetIn] | None) -> dict[str, dict[str, Any]]:
    """{upstream key: {"days": n, "through_game_date": bool}} for the `history` inputs."""
    out: dict[str, dict[str, Any]] = {}
    for entry in (ins or {}).values():
        metadata = entry.metadata or {}
        if metadata.get(HISTORY_DAYS) and entry.key is not None:
            out[entry.key.to_user_string()] = {
                "days": int(metadata[HISTORY_DAYS]),
                "through_game_date": bool(metadata.get(THROUGH_GAME_DATE))}
    return out


def warehouse_asset(
    table: Table,
    *,
    ins: Mapping[str, AssetIn] | None = None,
    deps: Sequence[Table] = (),
    checks: Sequence[Check] = (),
) -> Callable[..., Any]:
    """Declare a daily-partitioned table asset whose key mirrors its warehouse location.

    `deps` are inputs it does not load (the landing files it parses); `checks` its asset checks
    (lib/checks.py), evaluated by `checked_output`. Every such asset also gets the
    `schema_matches_ddl` check on what it writes (lib/schema_check.py).
    """
    schema = table_schema(table.name)
    windows = history_inputs(ins)
    decorate = asset(
        key=table_key(table),
        group_name=table.group,
        description=_ddl_description(schema.ddl),
        partitions_def=daily_partitions,
        backfill_policy=BackfillPolicy.single_run(),
        metadata={
            "partition_expr": schema.partition_column or "game_date",
            "ddl": table.ddl_file,
            "clustering": ", ".join(schema.clustering),
            **({HISTORY_INPUTS: MetadataValue.json(windows)} if windows else {}),
        },
        kinds={"pandas", "duckdb", "bigquery"},
        owners=OWNERS,
        ins=ins,
        deps=[table_key(entry) for entry in deps],
        check_specs=[*(c.spec(table_key(table)) for c in checks),
                     schema_check(table.name).spec(table_key(table))],
        pool=WAREHOUSE_POOL,
    )
    return lambda fn: decorate(with_schema_check(table.name, table_key(table), fn))


def _ddl_description(ddl: str) -> str:
    marker = 'description = "'
    start = ddl.find(marker)
    return ddl[start + len(marker): ddl.find('"', start + len(marker))] if start >= 0 else ""


def partition_window(context: AssetExecutionContext) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The run's game-date window [start, end) as naive timestamps (one day or a backfill range)."""
    window = context.partition_time_window
    return (pd.Timestamp(window.start.date()), pd.Timestamp(window.end.date()))


def partition_dates(context: AssetExecutionContext) -> list[date]:
    start, end = partition_window(context)
    return dates_between(start.date(), end.date())


def in_window(frame: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    if frame.empty:
        return frame
    dates = pd.to_datetime(frame["game_date"])
    return frame[(dates >= start) & (dates < end)]


def table_frame(frame: pd.DataFrame, table: Table, *,
                working: Collection[str] = ()) -> pd.DataFrame:
    """The table's columns, typed per its DDL, after the schema check saw the frame as produced.

    `working` names the columns the domain code carries on purpose (inputs passed through,
    intermediates): they are dropped, and the check's metadata lists them. Any other
    difference raises SchemaDriftError before anything is written (checks/schema.py reports
    it as the failed `schema_matches_ddl`). An empty day gives a typed empty frame.
    """
    diff = schema_diff(frame, table.name, working=working)
    if not diff.passed:
        raise SchemaDriftError(diff)
    out = conform(project(frame, table.name), table.name, allow_missing=frame.empty)
    out.attrs[SCHEMA_DIFF_ATTR] = diff
    return out


def project(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Keep only the table's columns (`table_frame` has checked that the rest are working ones)."""
    return frame[[c for c in table_schema(table).column_names if c in frame.columns]]


def window_label(context: AssetExecutionContext) -> str:
    start, end = partition_window(context)
    last = (end - pd.Timedelta(days=1)).date()
    return start.date().isoformat() if last == start.date() else f"{start.date()}..{last}"


def checked_output(context: AssetExecutionContext, table: Table, checks: Sequence[Check],
                   frame: pd.DataFrame, metadata: Mapping[str, Any] | None = None,
                   inputs: Mapping[str, pd.DataFrame] | None = None) -> Iterator[Any]:
    """The table's Output, then each check's result on that same frame, per game day."""
    yield Output(frame, metadata=dict(metadata or {}))
    yield from evaluate(context, table_key(table), checks, frame, inputs)
