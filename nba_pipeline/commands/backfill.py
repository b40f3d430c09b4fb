"""Backfill a game-date range: in process as one single run (default), or --submit it to Dagster.

In process, the range runs now as ONE run (single-run backfill policy), e.g. a season in one
pass, and the command exits non-zero naming the failing day. With --submit, a Dagster backfill
is created in the instance (DAGSTER_HOME) and the daemon runs it (`dagster dev` or
`dagster-daemon`); its progress shows under Overview -> Backfills in the UI.

Selection (--select): asset groups (`raw analytics`), asset keys (`nba_raw/schedule`), or a
key with `+` appended to include everything downstream of it (`nba_raw/player_boxscores+`).
A backfill selects the downstream graph explicitly: automation does not cascade through
historical ranges by itself at this scale (#24474).
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections.abc import Sequence
from datetime import date

from dagster import AssetKey, AssetSelection, DagsterInstance, Definitions
from dagster._core.execution.backfill import PartitionBackfill

from nba_pipeline.commands.instance import checked_range, local_instance
from nba_pipeline.constants import TRIGGER_TAG
from nba_pipeline.definitions import build_definitions
from nba_pipeline.partitions import game_days_between
from nba_pipeline.runner import run_range


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--start", type=date.fromisoformat, required=True, help="first game date")
    parser.add_argument("--end", type=date.fromisoformat, required=True,
                        help="last game date (inclusive)")
    parser.add_argument("--select", "--groups", dest="select", nargs="*", default=None,
                        metavar="GROUP|KEY[+]",
                        help="asset groups and/or keys (default: all), e.g. raw analytics, "
                             "nba_raw/player_boxscores+")
    parser.add_argument("--submit", action="store_true",
                        help="create a Dagster backfill for the daemon instead of running now")


def resolve_selection(defs: Definitions, select: Sequence[str] | None) -> list[AssetKey]:
    """Groups, keys and `key+` (key and its downstream) -> asset keys, in graph order."""
    graph = defs.resolve_asset_graph()
    if not select:
        return sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string())
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys()}
    selection = AssetSelection.keys()
    for item in select:
        downstream = item.endswith("+")
        name = item.rstrip("+")
        if name in groups and not downstream:
            part = AssetSelection.groups(name)
        else:
            key = AssetKey.from_user_string(name)
            if not graph.has(key):
                raise SystemExit(f"unknown asset group or key: {item!r} (groups: "
                                 f"{', '.join(sorted(g for g in groups if g))})")
            part = AssetSelection.assets(key).downstream() if downstream else \
                AssetSelection.assets(key)
        selection = selection | part
    return sorted(selection.resolve(graph), key=lambda k: k.to_user_string())


def submit_backfill(defs: Definitions, instance: DagsterInstance, start: date, end: date,
                    keys: Sequence[AssetKey]) -> str:
    """Create a Dagster asset backfill for the daemon: the request the UI's "Materialize ->
    date range" sends (`PartitionBackfill.from_asset_partitions`), so both paths are one.

    Dagster puts the dates on the selection's roots and walks the graph through the partition
    mappings; every dependency is same-date (history windows are read by the IO manager,
    storage/history_window.py), so every selected asset gets exactly these dates, and the
    single-run policy puts the selection in one run. (With the history declared as window
    mappings, four requested days became features, models and predictions through today: 16
    runs, 537 s; docs/automation.md "Backfills".) The range was checked by `run`
    (`checked_range`) before anything was built.
    """
    partitions = [d.isoformat() for d in game_days_between(start, end)]
    backfill_id = uuid.uuid4().hex[:8]
    backfill = PartitionBackfill.from_asset_partitions(
        backfill_id=backfill_id, asset_graph=defs.resolve_asset_graph(),
        partition_names=partitions, asset_selection=list(keys), backfill_timestamp=time.time(),
        tags={TRIGGER_TAG: "cli_backfill"}, dynamic_partitions_store=instance,
        all_partitions=False, title=f"nba-pipeline backfill {start}..{end}",
        description=f"{len(keys)} asset(s), {len(partitions)} game date(s)", run_config=None)
    instance.add_backfill(backfill)
    return backfill_id


def run(args: argparse.Namespace) -> int:
    checked_range("backfill", args.start, args.end)
    defs = build_definitions()
    keys = resolve_selection(defs, args.select)
    instance = local_instance(defs)
    if args.submit:
        backfill_id = submit_backfill(defs, instance, args.start, args.end, keys)
        print(f"submitted backfill {backfill_id}: {len(keys)} asset(s), {args.start}..{args.end}; "
              "the daemon runs it (`dagster dev`), progress under Overview -> Backfills")
        return 0
    started = time.perf_counter()
    result = run_range(defs, args.start, args.end, selection=keys, instance=instance)
    elapsed = time.perf_counter() - started
    status = "succeeded" if result.success else f"FAILED: {result.failure}"
    print(f"backfill {args.start}..{args.end} {status} in {elapsed:.1f}s (run {result.run_id}); "
          f"checks passed {result.checks_passed}, failed {len(result.checks_failed)}")
    for failed in result.checks_failed:
        print(f"  failed check: {failed} on {', '.join(result.check_days.get(failed, []))}")
    return 0 if result.success else 1
