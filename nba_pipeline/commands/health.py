"""Per asset over a game-date range: partitions materialized/missing/failed/late, and checks.

Reads the Dagster instance in DAGSTER_HOME (the same history the UI shows); the decisions live in
nba_pipeline/health.py.
"""

from __future__ import annotations

import argparse
import json
from datetime import date, datetime, timezone

from dagster import (
    AssetCheckKey,
    AssetKey,
    AssetPartitionStatus,
    AssetRecordsFilter,
    DagsterInstance,
    Definitions,
)

from nba_pipeline.commands.instance import checked_range, local_instance
from nba_pipeline.health import AssetFacts, CheckRun, dates, render, summarize, to_json
from nba_pipeline.lib.freshness import deadline_for

PAGE = 1000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--start", type=date.fromisoformat, required=True, help="first game date")
    parser.add_argument("--end", type=date.fromisoformat, required=True,
                        help="last game date (inclusive)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    from nba_pipeline.definitions import build_definitions

    checked_range("health", args.start, args.end)
    defs = build_definitions()
    with local_instance(defs) as instance:
        facts = read_facts(instance, defs, args.start, args.end)
    report = summarize(facts, args.start, args.end)
    print(json.dumps(to_json(report, args.start, args.end), indent=1) if args.json  # noqa: T201
          else render(report, args.start, args.end))
    return 0 if all(a.healthy for a in report) else 1


def read_facts(instance: DagsterInstance, defs: Definitions, start: date, end: date
               ) -> list[AssetFacts]:
    """What the instance recorded for every daily-partitioned asset and its checks."""
    graph = defs.resolve_asset_graph()
    keys = [str(d) for d in dates(start, end)]
    out = []
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        if node.partitions_def is None:
            continue
        name = key.to_user_string()
        deadline = deadline_for(name)
        check_keys = sorted(node.check_keys, key=lambda c: c.name)
        materialized, gaps = _materialized_at(instance, key, keys)
        out.append(AssetFacts(
            asset=name,
            materialized_at=materialized,
            gaps=gaps,
            failed=_failed(instance, key, keys, node.partitions_def),
            checks=[c.name for c in check_keys],
            check_runs=[r for c in check_keys for r in _check_runs(instance, c)],
            deadline=deadline.for_partition if deadline else None,
        ))
    return out


def _materialized_at(instance: DagsterInstance, key: AssetKey, partitions: list[str]
                     ) -> tuple[dict[date, datetime], dict[date, int]]:
    """First materialization per date, and the latest `gaps_by_date` count per date (only
    prediction_gaps records it: read from the records fetched anyway, so it costs nothing)."""
    first: dict[date, datetime] = {}
    gaps: dict[date, int] = {}
    cursor = None
    while True:
        result = instance.fetch_materializations(
            AssetRecordsFilter(asset_key=key, asset_partitions=partitions), limit=PAGE,
            cursor=cursor, ascending=True)
        for record in result.records:
            day = date.fromisoformat(record.partition_key)
            first.setdefault(day, datetime.fromtimestamp(record.timestamp, tz=timezone.utc))
            meta = record.asset_materialization.metadata if record.asset_materialization else {}
            by_date = meta.get("gaps_by_date")
            if by_date is not None and day.isoformat() in by_date.value:
                gaps[day] = int(by_date.value[day.isoformat()])  # ascending: latest wins
        if not result.has_more:
            return first, gaps
        cursor = result.cursor


def _failed(instance: DagsterInstance, key: AssetKey, partitions: list[str], partitions_def
            ) -> set[date]:
    status = instance.get_status_by_partition(key, partitions, partitions_def) or {}
    return {date.fromisoformat(p) for p, s in status.items() if s == AssetPartitionStatus.FAILED}


def _check_runs(instance: DagsterInstance, key: AssetCheckKey) -> list[CheckRun]:
    """Every evaluation of the check: one per game day (its partition), or, for results recorded
    before checks were partitioned, the window in their `partition` metadata."""
    runs = []
    cursor = None
    while True:
        records = instance.event_log_storage.get_asset_check_execution_history(
            key, limit=PAGE, cursor=cursor)
        for record in records:
            evaluation = record.evaluation
            if evaluation is None or not hasattr(evaluation, "passed"):  # planned, not evaluated
                continue
            window = record.partition or evaluation.partition
            if window is None:
                legacy = evaluation.metadata.get("partition")
                window = str(legacy.value) if legacy is not None else ""
            runs.append(CheckRun(
                check=key.name, passed=evaluation.passed,
                warn_only=evaluation.severity.value == "WARN", window=window,
                at=datetime.fromtimestamp(record.create_timestamp, tz=timezone.utc)))
        if len(records) < PAGE:
            return runs
        cursor = records[-1].id
