"""The automation policy: which condition each asset gets, decided here and applied in one place.

Scraping (landing) runs on schedules; the landing sensor requests the raw partition a new file
belongs to; everything below raw reacts to its inputs through declarative automation.

Why not plain `AutomationCondition.eager()`:
- eager only acts on the latest partition (#24474), so a late box-score correction for an older
  date would never reach the tables built from it. `reactive()` acts on every partition.
- eager blocks while ANY upstream partition is missing, and our history inputs span up to 800
  days: one missing day (a gap in history, a day that failed) would block features for years.
  Here only the same date's inputs gate a partition (`SameDayInputsMissing`); history gaps never
  block, and a partition is never requested before its own date's inputs exist (#34094).
- A failed blocking check on an input holds everything built from it
  (`no_blocking_check_failed`). The checks are partitioned (one result per game day,
  lib/checks.py), so the hold is per day: it stops that day's line until the input's day is
  re-materialized with the check passing; the held requests then go out on their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from dagster import (
    AssetKey,
    AssetSelection,
    AssetSpec,
    AutomationCondition,
    AutomationContext,
    AutomationResult,
)
from dagster._core.asset_graph_view.entity_subset import EntitySubset

from nba_pipeline import tables
from nba_pipeline.lib.warehouse_asset import HISTORY_INPUTS
from nba_pipeline.partitions import GAME_DATE_TIMEZONE

# Predictions are refreshed at 17:00 ET (after the pre-tip lines refresh, before the earliest
# evening tip-off) even if nothing upstream changed, so the day's predictions are never stale.
PRE_TIP_CRON = "0 17 * * *"



def _key(name: str) -> AssetKey:
    return AssetKey(tables.table(name).path)


RAW_KEYS = tuple(AssetKey(t.path) for t in tables.RAW_TABLES)
# For each automated asset: the assets whose partition for the SAME game date must exist first
# (tables.py). History inputs are deliberately absent; the points model waits for the day's
# feature rows.
SAME_DAY_INPUTS: dict[AssetKey, tuple[AssetKey, ...]] = {
    AssetKey(t.path): tuple(_key(n) for n in t.same_day_inputs) for t in tables.automated()}


class SameDayCondition(AutomationCondition[AssetKey]):
    """A condition about the same game date's partitions of `keys` (named in the UI)."""

    label = ""
    template = "{names}"  # the UI's description, with the keys' names

    def __init__(self, keys: Sequence[AssetKey]) -> None:
        self._keys = tuple(keys)

    @property
    def name(self) -> str:
        return self.label

    @property
    def description(self) -> str:
        return self.template.format(names=", ".join(k.to_user_string() for k in self._keys))


class SameDayInputsMissing(SameDayCondition):
    """True for a game date whose own partition of any of `keys` is missing.

    Unlike `any_deps_missing()`, this ignores the history inputs (read over earlier dates) and
    only looks at the same date's `keys`; a partition requested on this same tick does not
    count as missing, so a whole chain (context -> features -> model -> predictions) can go in
    one run.
    """

    label = "same_day_inputs_missing"
    template = "The same game date's partition of {names} is missing"

    async def _matching(self, context: AutomationContext, key: AssetKey,
                        same_day: EntitySubset) -> EntitySubset:
        missing = await context.asset_graph_view.compute_missing_subset(
            key=key, from_subset=same_day)
        requested = context.request_subsets_by_key.get(key)
        return missing if requested is None else missing.compute_difference(requested)

    async def evaluate(self, context: AutomationContext) -> AutomationResult:  # type: ignore[override]
        view = context.asset_graph_view
        dates = context.candidate_subset.expensively_compute_partition_keys()
        matched: set[str] = set()
        for key in self._keys:
            if not dates:
                break
            same_day = view.get_full_subset(key=key).compute_intersection_with_partition_keys(dates)
            found = await self._matching(context, key, same_day)
            matched |= set(found.expensively_compute_partition_keys())
        return AutomationResult(
            context, context.candidate_subset.compute_intersection_with_partition_keys(matched))


class SameDayRawInProgress(SameDayInputsMissing):
    """True for a game date while a run is still writing one of its raw tables: the date's
    downstream waits for the whole landing-sensor run, then goes in one run, not piecemeal."""

    label = "same_day_raw_in_progress"
    template = "A run is still writing one of this game date's raw tables ({names})"

    def __init__(self) -> None:
        super().__init__(RAW_KEYS)

    async def _matching(self, context: AutomationContext, key: AssetKey,
                        same_day: EntitySubset) -> EntitySubset:
        in_progress = await context.asset_graph_view.compute_run_in_progress_subset(
            key=key, from_subset=same_day)
        return in_progress.compute_intersection(same_day)


# Run id -> (its asset selection, the game dates it writes); runs never change either.
_RUN_SCOPES: dict[str, tuple[frozenset[AssetKey], frozenset[str]]] = {}
_UPDATES_PAGE = 1000
# The current tick's `updates_since` answers (several assets read the same inputs), keyed by
# (key, after) under "view": that tick's AssetGraphView.
_TICK_UPDATES: dict[Any, Any] = {}


def run_dates(tags: Mapping[str, str]) -> frozenset[str]:
    """The game dates a run writes: its partition, or every day of its partition range."""
    if "dagster/partition" in tags:
        return frozenset({tags["dagster/partition"]})
    start = tags.get("dagster/asset_partition_range_start")
    end = tags.get("dagster/asset_partition_range_end")
    if not start or not end:
        return frozenset()
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    return frozenset(date.fromordinal(d).isoformat()
                     for d in range(first.toordinal(), last.toordinal() + 1))


def _run_scope(instance: Any, run_id: str) -> tuple[frozenset[AssetKey], frozenset[str]]:
    if not run_id:  # a runless event (reported from outside a run)
        return frozenset(), frozenset()
    if run_id not in _RUN_SCOPES:
        record = instance.get_run_record_by_id(run_id)
        if record is None:
            return frozenset(), frozenset()
        if len(_RUN_SCOPES) > 10_000:
            _RUN_SCOPES.clear()
        run = record.dagster_run
        _RUN_SCOPES[run_id] = (frozenset(run.asset_selection or ()), run_dates(run.tags))
    return _RUN_SCOPES[run_id]


def updates_since(context: AutomationContext, key: AssetKey, after: int | None
                  ) -> dict[str, str]:
    """{partition: run id of its latest materialization} for `key`'s materializations with a
    storage id above `after` (None: the event log was empty), read from the event log itself.

    Not `compute_updated_since_temporal_context_subset`: that first asks the asset's record
    (the `asset_keys` row) whether anything is newer than the cursor, and on Postgres that row
    is written after the event, in its own transaction. A tick that captured the event's id as
    its cursor while the row still lagged saw nothing, and the next tick starts after that id:
    the update was never seen (on a busy machine, in 2 of 4 runs of the daemon test).
    """
    from dagster import AssetRecordsFilter

    view = context.asset_graph_view
    if _TICK_UPDATES.get("view") is not view:  # one tick's view: a new evaluation
        _TICK_UPDATES.clear()
        _TICK_UPDATES["view"] = view
    cached = _TICK_UPDATES.get((key, after))
    if cached is not None:
        return cached
    instance = view.instance
    latest: dict[str, tuple[int, str]] = {}
    cursor: str | None = None
    while True:
        result = instance.fetch_materializations(
            AssetRecordsFilter(asset_key=key, after_storage_id=after), limit=_UPDATES_PAGE,
            cursor=cursor, ascending=True)
        for record in result.records:
            if record.partition_key is not None:
                latest[record.partition_key] = (record.storage_id, record.run_id)
        if not result.has_more:
            break
        cursor = result.cursor
    found = {partition: run_id for partition, (_, run_id) in latest.items()}
    _TICK_UPDATES[(key, after)] = found
    return found


async def updated_or_requested(context: AutomationContext, keys: Sequence[AssetKey],
                               targets: Any = None) -> set[str]:
    """The dates of the evaluated asset that partitions of `keys` updated since the previous
    tick, or requested on this one, call for: `targets(partition)` (default: that same date).

    An update is ignored for the dates that the run which wrote it also materializes the
    evaluated asset for (Dagster's `executed_with_root_target`, per date: Dagster's only looks at
    the asset's single latest materialization, so of a range run it ignores the last day
    only). A backfill or automation run that rebuilds features and then the model for
    03-07..03-08 has the model's dates handled by that run; without this, the model's trigger
    fired for dates whose own update (the reset of `since_last_handled`) a tick could miss.
    """
    def mapped(partition: str) -> set[str]:
        return {partition} if targets is None else targets(partition)

    previous = context.previous_temporal_context
    dates: set[str] = set()
    own = context.key
    for key in keys:
        if previous is not None:
            for partition, run_id in updates_since(context, key, previous.last_event_id).items():
                selection, covered = _run_scope(context.asset_graph_view.instance, run_id)
                found = mapped(partition)
                dates |= found - covered if own in selection else found
        requested = context.request_subsets_by_key.get(key)
        if requested is not None:
            for partition in requested.expensively_compute_partition_keys():
                dates |= mapped(partition)
    return dates


class SelfUpdated(AutomationCondition[AssetKey]):
    """This asset's partitions materialized since the previous tick, read from the event log
    itself (`updates_since`): the reset of `since_last_handled` that a lagging asset record
    cannot hide (`newly_updated()` alone missed some, and the asset was requested again)."""

    @property
    def name(self) -> str:
        return "updated_since_previous_tick"

    async def evaluate(self, context: AutomationContext) -> AutomationResult:  # type: ignore[override]
        previous = context.previous_temporal_context
        dates: set[str] = set()
        if previous is not None:
            dates = set(updates_since(context, context.key, previous.last_event_id))
        return AutomationResult(
            context, context.candidate_subset.compute_intersection_with_partition_keys(dates))


def handled() -> AutomationCondition:
    """`since_last_handled()`'s reset, plus `SelfUpdated`."""
    return (AutomationCondition.newly_requested() | AutomationCondition.newly_updated()
            | SelfUpdated() | AutomationCondition.initial_evaluation()).with_label("handled")


class SameDayInputsUpdated(SameDayCondition):
    """True for a game date whose own partition of any of `keys` updated since the previous
    tick or is requested on this one. Lets an asset follow a same-day asset it does not read
    (the points model serves the dates the feature store has rows for)."""

    label = "same_day_inputs_updated"
    template = "The same game date's partition of {names} updated"

    async def evaluate(self, context: AutomationContext) -> AutomationResult:  # type: ignore[override]
        dates = await updated_or_requested(context, self._keys)
        return AutomationResult(
            context, context.candidate_subset.compute_intersection_with_partition_keys(dates))


class EarlierInputsUpdated(SameDayCondition):
    """True for the dates after one whose partition of any of `keys` (history inputs, read over
    the days before each date) updated since the previous tick or is requested on this one.

    History dependencies are declared on the same date (storage/history_window.py), so Dagster's
    `any_deps_updated()` sees only that date. `cascade_days=None` (point-in-time inputs, read
    strictly before the date): only the NEXT game date. D's box scores landing after D's games
    change D+1's features, not D's; a late correction to an old date reaches today's
    predictions when today is rebuilt, and past predictions stay what was known before their
    games. `cascade_days=N` (facts read through the date, e.g. 30 days of box scores for rest
    days): every date up to N calendar days later, as a window mapping would.
    """

    label = "earlier_inputs_updated"
    template = "An earlier game date's partition of {names} updated"

    def __init__(self, keys: Sequence[AssetKey], cascade_days: int | None = None) -> None:
        super().__init__(keys)
        self._cascade_days = cascade_days

    def _dates_after(self, partitions_def: Any, updated: str) -> set[str]:
        if self._cascade_days is None:
            following = partitions_def.get_next_partition_key(updated)
            return set() if following is None else {following}
        first = date.fromisoformat(updated)
        return {(first + timedelta(days=n)).isoformat() for n in range(1, self._cascade_days + 1)}

    async def evaluate(self, context: AutomationContext) -> AutomationResult:  # type: ignore[override]
        partitions_def = context.asset_graph.get(context.key).partitions_def
        dates = await updated_or_requested(
            context, self._keys, lambda updated: self._dates_after(partitions_def, updated))
        return AutomationResult(
            context, context.candidate_subset.compute_intersection_with_partition_keys(dates))


def no_blocking_check_failed() -> AutomationCondition:
    """No blocking check of any input failed on its latest run (or it is re-run this tick).

    Unlike `all_deps_blocking_checks_passed()`, a check that never ran in this instance does
    not block (a new instance over an existing warehouse, an input not rebuilt yet).
    """
    return AutomationCondition.all_deps_match(
        AutomationCondition.all_checks_match(
            ~AutomationCondition.check_failed() | AutomationCondition.will_be_requested(),
            blocking_only=True)
    ).with_label("no blocking check of an input failed")


def reactive(same_day_inputs: Sequence[AssetKey], follows: Sequence[AssetKey] = (),
             history: Mapping[AssetKey, int | None] | None = None,
             parents: Sequence[AssetKey] | None = None) -> AutomationCondition:
    """Materialize a date when any input partition updates (any date, not only the latest),
    when the date's partition first appears, when a same-day asset it `follows` updates, or
    when an earlier date of a `history` input updates (`EarlierInputsUpdated`); and only once
    that date's own inputs exist.

    `history`: {input: None} for inputs read strictly before the date (their same-date
    partition is not an input at all), {input: days} for those read through it.
    `parents`: the asset's inputs (every one on the same daily partitions): their same-date
    updates are read by `SameDayInputsUpdated`, which ignores what the run that wrote them
    also built of this asset (per date); without it, Dagster's `any_deps_updated()`.

    The reset is `handled()`: `since_last_handled()`'s, plus this asset's own updates read from
    the event log (`SelfUpdated`).
    """
    history = history or {}
    before_date = [k for k, days in history.items() if days is None]
    if parents is not None:
        deps_updated: AutomationCondition = SameDayInputsUpdated(
            [k for k in parents if k not in before_date])
    else:
        deps_updated = AutomationCondition.any_deps_updated()
        if before_date:
            deps_updated = deps_updated.ignore(AssetSelection.assets(*before_date))
    trigger = AutomationCondition.newly_missing() | deps_updated
    if before_date:
        trigger = trigger | EarlierInputsUpdated(before_date)
    for days in sorted({d for d in history.values() if d is not None}):
        trigger = trigger | EarlierInputsUpdated(
            [k for k, d in history.items() if d == days], cascade_days=days)
    if follows:
        trigger = trigger | SameDayInputsUpdated(follows)
    return (
        trigger.since(handled())
        & ~SameDayInputsMissing(same_day_inputs)
        & ~SameDayRawInProgress()
        & no_blocking_check_failed()
        & ~AutomationCondition.any_deps_in_progress()
        & ~AutomationCondition.in_progress()
    ).with_label("reactive (all dates, same-day inputs present)")


def pre_tip(same_day_inputs: Sequence[AssetKey], cron: str = PRE_TIP_CRON) -> AutomationCondition:
    """Today's partition once per cron tick (US/Eastern), whatever changed upstream."""
    return (
        AutomationCondition.in_latest_time_window()
        & AutomationCondition.cron_tick_passed(cron, GAME_DATE_TIMEZONE).since_last_handled()
        & ~SameDayInputsMissing(same_day_inputs)
        & ~SameDayRawInProgress()
        & no_blocking_check_failed()
        & ~AutomationCondition.any_deps_in_progress()
        & ~AutomationCondition.in_progress()
    ).with_label(f"pre-tip refresh ({cron} {GAME_DATE_TIMEZONE})")


def condition_for(key: AssetKey, history: Mapping[AssetKey, int | None] | None = None,
                  parents: Sequence[AssetKey] | None = None) -> AutomationCondition | None:
    """The condition for one asset; None for landing (schedules) and raw (landing sensor).

    `history`, `parents`: its history inputs and its inputs, as `reactive` takes them.
    """
    inputs = SAME_DAY_INPUTS.get(key)
    if inputs is None:
        return None
    entry = tables.table(key.to_user_string())
    if entry.pre_tip_refresh:
        return (reactive(inputs, history=history, parents=parents)
                | pre_tip(inputs)).with_label(entry.table)
    return reactive(inputs, follows=tuple(_key(n) for n in entry.follows), history=history,
                    parents=parents)


def history_windows(spec: AssetSpec) -> dict[AssetKey, int | None]:
    """The spec's history inputs (lib/warehouse_asset.py `history`): None for one read strictly
    before the date, its window in days for one read through the date."""
    declared = spec.metadata.get(HISTORY_INPUTS)
    windows = getattr(declared, "data", declared) or {}
    return {AssetKey.from_user_string(name): window["days"] if window.get("through_game_date")
            else None for name, window in sorted(windows.items())}


def with_automation(spec: AssetSpec) -> AssetSpec:
    """`spec` with the policy's condition set, if the policy covers it (definitions.py)."""
    condition = condition_for(spec.key, history_windows(spec),
                              parents=sorted((d.asset_key for d in spec.deps),
                                             key=lambda k: k.to_user_string()))
    return spec if condition is None else spec.replace_attributes(automation_condition=condition)


AUTOMATED_KEYS = tuple(SAME_DAY_INPUTS)
