"""The landing sensor: a new or corrected payload requests exactly the raw partition it feeds.

Each tick lists, per watched prefix, at most `MAX_KEYS_PER_TICK` keys landed since the stored
cursor (`LandingStore.list_since`), so a large bucket cannot time the sensor out (#14830). Files
are grouped by game date: a burst of files for one date is one run. The run key is the date plus
a digest of every file's identity (key + content version), so a file already requested is never
requested again, while a corrected file (same or new key, new content) is (#3726). A file whose
date cannot be parsed is logged, named in the SkipReason and recorded as an observation on its
landing asset; it never silently disappears. The same goes for entries the raw assets will
skip (symbolic links, nested folders, stray or future-dated files): found while fingerprinting
a date, reported once, never raised.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from dagster import (
    AssetKey,
    AssetObservation,
    AssetRecordsFilter,
    AssetSelection,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from nba_pipeline import tables
from nba_pipeline.constants import SENSOR_INTERVAL_SECONDS, TRIGGER_TAG
from nba_pipeline.ingest.endpoints import ENDPOINTS, endpoints_for, sources
from nba_pipeline.lib.landed_inputs import chosen_fetches, file_identities, inputs_digest
from nba_pipeline.partitions import daily_partitions, is_game_day, last_partition_date
from nba_pipeline.storage.landing import LandedKey, LandingStore

# Payload prefixes only, one per source of the endpoint registry: model artifacts (models/) and
# published JSON (published/) share the store but are outputs, not inputs.
WATCHED_PREFIXES = tuple(f"{source}/" for source in sources())
MAX_KEYS_PER_TICK = 500
# Dates watched for new or corrected files: today's partition and the days before it.
LOOKBACK_DAYS = 7
# ...and the days after the latest landed game date (a replayed season's next dates).
LOOKAHEAD_DAYS = 3
# Date prefixes re-fingerprinted per tick to catch files rewritten in place (same key).
VERIFY_PER_TICK = 48
RAW_GROUP = "raw"
# Dagster's run tags for a run's partition, its range (single-run backfills, CLI ranges) and
# its backfill (dagster._core.storage.tags; spelled here to keep the import public).
PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
BACKFILL_TAG = "dagster/backfill"

RAW_TABLE_BY_ENDPOINT: dict[tuple[str, str], AssetKey] = {
    key: AssetKey(e.raw_table.path) for key, e in ENDPOINTS.items()}
# Swept with their own cursors: per endpoint (new dates sort after old ones, so the latest
# landed date is always seen), then per source (keys of unknown endpoints or unparseable keys).
SWEEP_PREFIXES = (*(e.prefix for e in ENDPOINTS.values()), *WATCHED_PREFIXES)
LANDING_ASSET_BY_ENDPOINT: dict[tuple[str, str], AssetKey] = {
    key: AssetKey(e.landing_asset.path) for key, e in ENDPOINTS.items()}


@dataclass
class LandingPlan:
    """What one tick decided: runs to request, files it could not place, the next cursor."""

    run_requests: list[RunRequest] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)  # key -> reason
    ignored: list[str] = field(default_factory=list)  # valid keys of endpoints nothing parses
    outside_window: list[str] = field(default_factory=list)  # valid keys, dates not watched
    cursor: SensorCursor = field(default_factory=lambda: SensorCursor())
    files_seen: int = 0


@dataclass
class SensorCursor:
    """What the sensor has seen, as landing-store cursors (each key-ordered, so bounded).

    `dates`: one cursor per `source/endpoint/date/` prefix of the watched dates. Within a date,
    fetch times sort in arrival order, so a key-ordered cursor sees every new fetch, including a
    late correction of an older date. `sweep`: one cursor per payload prefix; the sweep finds
    keys that cannot be parsed (they match no date prefix) and the latest landed game date
    (`latest`). `synced`: the sweep has caught up once; until then every file is a baseline,
    so a new deployment does not re-request the history already in the store.
    `fingerprints`: per watched date prefix, a digest of its latest fetch (key@version). A file
    rewritten in place (same key, new content) is invisible to key-ordered cursors; a bounded
    rotation (`verify_at`) re-fingerprints a few prefixes per tick and requests the ones that
    changed. `reported`: per watched date prefix, a digest of the entries it skipped (links,
    nested folders, stray or future-dated files), so each is reported once, not every tick.
    """

    dates: dict[str, str] = field(default_factory=dict)
    sweep: dict[str, str] = field(default_factory=dict)
    latest: str | None = None
    synced: bool = False
    fingerprints: dict[str, str] = field(default_factory=dict)
    verify_at: int = 0
    reported: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, raw: str | None) -> SensorCursor:
        if not raw:
            return cls()
        data = json.loads(raw)
        return cls(dict(data.get("dates", {})), dict(data.get("sweep", {})),
                   data.get("latest"), bool(data.get("synced", False)),
                   dict(data.get("fingerprints", {})), int(data.get("verify_at", 0)),
                   dict(data.get("reported", {})))

    def dump(self) -> str:
        return json.dumps({"dates": self.dates, "sweep": self.sweep, "latest": self.latest,
                           "synced": self.synced, "fingerprints": self.fingerprints,
                           "verify_at": self.verify_at, "reported": self.reported},
                          sort_keys=True)


def run_key_for(game_date: date, assets: list[AssetKey], identities: list[str]) -> str:
    """Content-addressed: the date, the raw tables, and what they will parse (key@version).

    The same inputs give the same key (Dagster drops a repeated run key), new content a new one.
    """
    digest = hashlib.sha256("\n".join(sorted(identities)).encode()).hexdigest()[:16]
    tables = "+".join(sorted(k.path[-1] for k in assets))
    return f"landing:{game_date.isoformat()}:{tables}:{digest}"


def watched_dates(today: date, latest: date | None, lookback_days: int) -> list[date]:
    """Today and the days before it, plus the days around the latest landed game date.

    In production the two coincide. Replaying recorded seasons, the latest landed date is in
    the past, and files landed for the next dates must still be picked up.
    """
    first = daily_partitions.start.date()
    dates = {today - timedelta(days=i) for i in range(lookback_days + 1)}
    if latest is not None:
        dates |= {latest + timedelta(days=i) for i in range(-lookback_days, LOOKAHEAD_DAYS + 1)}
    return sorted(d for d in dates if first <= d <= today and is_game_day(d))


def plan_landing_runs(store: LandingStore, cursor: SensorCursor, *,
                      limit: int = MAX_KEYS_PER_TICK, lookback_days: int = LOOKBACK_DAYS,
                      verify_per_tick: int = VERIFY_PER_TICK,
                      now: datetime | None = None) -> LandingPlan:
    """List what landed since `cursor` (bounded per prefix) and plan one run per game date.

    Dates outside the watched window are not requested (rebuild those with a backfill); their
    new files are reported in `outside_window`, never silently dropped.
    """
    today = last_partition_date(now)
    plan = LandingPlan(cursor=SensorCursor(latest=cursor.latest))
    caught_up = True
    latest = date.fromisoformat(cursor.latest) if cursor.latest else None
    swept: list[LandedKey] = []
    for prefix in SWEEP_PREFIXES:
        keys, new_cursor = store.list_since(prefix, cursor.sweep.get(prefix), limit)
        caught_up &= len(keys) < limit
        if new_cursor is not None:
            plan.cursor.sweep[prefix] = new_cursor
        source_level = prefix in WATCHED_PREFIXES
        for key in keys:
            try:
                landed = LandedKey.parse(key)
            except ValueError as exc:
                plan.rejected[key] = str(exc)
                continue
            known = (landed.source, landed.endpoint) in RAW_TABLE_BY_ENDPOINT
            if source_level:
                # Known endpoints are swept on their own prefix (below their own cursor).
                if not known:
                    plan.ignored.append(key)
                continue
            if not is_game_day(landed.game_date):
                plan.rejected[key] = (f"landed for {landed.game_date}, which is not a game day "
                                      "(no partition: nba_pipeline/partitions.py)")
                continue
            swept.append(landed)
            if landed.game_date <= today and (latest is None or landed.game_date > latest):
                latest = landed.game_date
    plan.cursor.latest = latest.isoformat() if latest else None
    dates = watched_dates(today, latest, lookback_days)
    baseline = not cursor.synced
    changed: dict[date, set[AssetKey]] = defaultdict(set)
    for (source, endpoint), raw_asset in RAW_TABLE_BY_ENDPOINT.items():
        for game_date in dates:
            prefix = f"{source}/{endpoint}/{game_date.isoformat()}/"
            keys, new_cursor = store.list_since(prefix, cursor.dates.get(prefix), limit)
            if new_cursor is not None:
                plan.cursor.dates[prefix] = new_cursor
            if baseline:
                continue
            plan.files_seen += len(keys)
            for key in keys:
                try:
                    LandedKey.parse(key)
                except ValueError as exc:
                    plan.rejected[key] = str(exc)
                    continue
                changed[game_date].add(raw_asset)
    _verify_fingerprints(store, cursor, plan, dates, changed, baseline, verify_per_tick, now)
    if cursor.synced:
        watched = set(dates)
        plan.outside_window = [k.key for k in swept if k.game_date not in watched]
    plan.cursor.synced = cursor.synced or caught_up
    for game_date in sorted(changed):
        assets = sorted(changed[game_date], key=lambda k: k.to_user_string())
        plan.run_requests.append(RunRequest(
            run_key=run_key_for(game_date, assets, _inputs(store, game_date, assets, now)),
            partition_key=game_date.isoformat(),
            asset_selection=assets,
            tags={TRIGGER_TAG: "landing_sensor"},
        ))
    return plan


def _fingerprint(store: LandingStore, source: str, endpoint: str, game_date: date,
                 now: datetime | None = None) -> tuple[str, dict[str, str]]:
    """Digest of key@version of the fetch the raw asset would parse ('' if none), and the
    entries of the date it skipped (never raised: one bad entry must not stop every tick)."""
    selection = store.select_fetches(source, endpoint, [game_date], now)
    chosen = selection.chosen.get(game_date)
    identities = file_identities(store, list(chosen.keys) if chosen else [])
    skipped = {k: v for k, v in selection.skipped.items()
               if k.startswith(f"{source}/{endpoint}/{game_date.isoformat()}/")}
    if not identities:
        return "", skipped
    return hashlib.sha256("\n".join(sorted(identities)).encode()).hexdigest()[:12], skipped


def _verify_fingerprints(store: LandingStore, cursor: SensorCursor, plan: LandingPlan,
                         dates: list[date], changed: dict[date, set[AssetKey]], baseline: bool,
                         per_tick: int, now: datetime | None = None) -> None:
    """Re-fingerprint prefixes that just changed and a rotating few others; request rewrites.

    Entries a prefix skips are reported (plan.rejected) when they differ from the last report.
    """
    pairs = [(source, endpoint, raw_asset, game_date)
             for (source, endpoint), raw_asset in RAW_TABLE_BY_ENDPOINT.items()
             for game_date in dates]
    if not pairs:
        return
    start = cursor.verify_at % len(pairs)
    per_tick = len(pairs) if baseline else per_tick  # the first tick fingerprints everything
    rotation = {pairs[(start + i) % len(pairs)] for i in range(min(per_tick, len(pairs)))}
    plan.cursor.verify_at = start + len(rotation)
    for pair in pairs:
        source, endpoint, raw_asset, game_date = pair
        prefix = f"{source}/{endpoint}/{game_date.isoformat()}/"
        listed_now = raw_asset in changed.get(game_date, ())
        if pair not in rotation and not listed_now:
            if prefix in cursor.fingerprints:
                plan.cursor.fingerprints[prefix] = cursor.fingerprints[prefix]
            if prefix in cursor.reported:
                plan.cursor.reported[prefix] = cursor.reported[prefix]
            continue
        fingerprint, skipped = _fingerprint(store, source, endpoint, game_date, now)
        if skipped:
            digest = hashlib.sha256(json.dumps(skipped, sort_keys=True).encode()
                                    ).hexdigest()[:12]
            if cursor.reported.get(prefix) != digest:
                plan.rejected.update(skipped)
            plan.cursor.reported[prefix] = digest
        old = cursor.fingerprints.get(prefix)
        if not baseline and old is not None and old != fingerprint:
            changed[game_date].add(raw_asset)  # rewritten in place since the last look
        plan.cursor.fingerprints[prefix] = fingerprint


def _inputs(store: LandingStore, game_date: date, assets: list[AssetKey],
            now: datetime | None = None) -> list[str]:
    """key@version of every file the requested raw tables will parse for the date."""
    identities = []
    for (source, endpoint), raw_asset in RAW_TABLE_BY_ENDPOINT.items():
        if raw_asset in assets:
            keys = store.latest_fetch(source, endpoint, game_date, now)
            identities += file_identities(store, keys)
    return identities


def _rejection_events(rejected: dict[str, str]) -> list[AssetObservation]:
    """One observation per landing asset naming its rejected files (visible in the UI)."""
    by_asset: dict[AssetKey, list[str]] = defaultdict(list)
    for key in rejected:
        source, _, rest = key.partition("/")
        asset_key = LANDING_ASSET_BY_ENDPOINT.get((source, rest.split("/")[0]))
        if asset_key is not None:
            by_asset[asset_key].append(key)
    return [AssetObservation(asset_key=asset_key, metadata={
        "rejected_files": keys[:50], "reasons": [rejected[k] for k in keys[:50]]})
        for asset_key, keys in by_asset.items()]


@sensor(
    name="landing_sensor",
    description="Requests the raw partition each newly landed or corrected payload belongs to.",
    target=AssetSelection.groups(RAW_GROUP),
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=DefaultSensorStatus.RUNNING,
)
def landing_sensor(context: SensorEvaluationContext, landing_store: LandingStore) -> SensorResult:
    cursor = SensorCursor.load(context.cursor)
    plan = plan_landing_runs(landing_store, cursor)
    drop_parsed_or_being_parsed(plan, cursor, landing_store, context.instance, context.log)
    return sensor_result(plan, context.log)


IN_PROGRESS = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
               DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


def drop_parsed_or_being_parsed(plan: LandingPlan, previous: SensorCursor, store: LandingStore,
                                instance: DagsterInstance, log: Any) -> None:
    """Leave out of the plan what another run parsed or is parsing: the files a backfill or a
    CLI range just landed are that run's to parse, not a second run's.

    Parsed: the raw table's latest materialization of the date recorded the same files
    (`parsed_inputs`, the digest `lib.landed_inputs` computes for both). Being parsed: a run in
    progress selects the raw table for a range or partition holding the date; then the date's
    cursors stay where they were, so the next tick looks again (parsed by then, or requested if
    that run failed before parsing).
    """
    in_progress = instance.get_runs(filters=RunsFilter(statuses=IN_PROGRESS))
    kept: list[RunRequest] = []
    for request in plan.run_requests:
        day = date.fromisoformat(str(request.partition_key))
        assets = []
        for asset in request.asset_selection or ():
            parser = _parsed_by(instance, store, asset, day)
            writer = parser or _being_parsed_by(in_progress, asset, day)
            if writer is None:
                assets.append(asset)
                continue
            log.info(f"landing sensor: {asset.to_user_string()} {day}: files "
                     f"{'already parsed by' if parser else 'being parsed by'} {writer}")
            if parser is None:
                _keep_previous_cursor(plan.cursor, previous, asset, day)
        if assets:
            kept.append(RunRequest(
                run_key=run_key_for(day, assets, _inputs(store, day, assets)),
                partition_key=request.partition_key, asset_selection=assets, tags=request.tags))
    plan.run_requests = kept


def _parsed_by(instance: DagsterInstance, store: LandingStore, asset: AssetKey, day: date
               ) -> str | None:
    """The run whose materialization of the date parsed exactly the files there now."""
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=asset, asset_partitions=[day.isoformat()]), limit=1).records
    if not records or records[0].asset_materialization is None:
        return None
    recorded = records[0].asset_materialization.metadata.get("parsed_inputs")
    value = getattr(recorded, "value", None)
    if not isinstance(value, dict) or day.isoformat() not in value:
        return None
    table = tables.table(asset.to_user_string())
    chosen, _, _ = chosen_fetches(store, endpoints_for(table), [day])
    if value[day.isoformat()] != inputs_digest(store, chosen.get(day)):
        return None
    return f"run {records[0].run_id[:8]}"


def _being_parsed_by(runs: Sequence[DagsterRun], asset: AssetKey, day: date) -> str | None:
    """A run in progress that will materialize the date of `asset`."""
    for run in runs:
        if run.asset_selection is None or asset not in run.asset_selection:
            continue
        tags = run.tags
        single = tags.get(PARTITION_TAG)
        start, end = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
        if single == day.isoformat() or (start and end and start <= day.isoformat() <= end):
            backfill = tags.get(BACKFILL_TAG)
            return f"backfill {backfill}" if backfill else f"run {run.run_id[:8]}"
    return None


def _keep_previous_cursor(cursor: SensorCursor, previous: SensorCursor, asset: AssetKey,
                          day: date) -> None:
    for (source, endpoint), raw_asset in RAW_TABLE_BY_ENDPOINT.items():
        if raw_asset != asset:
            continue
        prefix = f"{source}/{endpoint}/{day.isoformat()}/"
        for mine, before in ((cursor.dates, previous.dates),
                             (cursor.fingerprints, previous.fingerprints)):
            if prefix in before:
                mine[prefix] = before[prefix]
            else:
                mine.pop(prefix, None)


def sensor_result(plan: LandingPlan, log: Any) -> SensorResult:
    """Log what could not be placed and turn the plan into the tick's result."""
    for key, reason in plan.rejected.items():
        log.warning(f"landing sensor: cannot place {key}: {reason}")
    if plan.ignored:
        log.info(f"landing sensor: {len(plan.ignored)} file(s) of endpoints no raw asset "
                 f"parses, e.g. {plan.ignored[0]}")
    if plan.outside_window:
        log.warning(f"landing sensor: {len(plan.outside_window)} file(s) for dates outside the "
                    f"watched window, e.g. {plan.outside_window[0]}; rebuild those dates with "
                    "`nba-pipeline backfill`")
    cursor = plan.cursor.dump()
    events = _rejection_events(plan.rejected)
    if plan.run_requests:
        return SensorResult(run_requests=plan.run_requests, cursor=cursor, asset_events=events)
    reason = f"{plan.files_seen} new file(s) in watched dates, no raw partition to request"
    if plan.outside_window:
        reason += f"; {len(plan.outside_window)} outside the watched dates"
    if plan.rejected:
        reason += f"; {len(plan.rejected)} rejected: " + "; ".join(
            f"{k} ({v})" for k, v in list(plan.rejected.items())[:5])
    return SensorResult(skip_reason=SkipReason(reason), cursor=cursor, asset_events=events)
