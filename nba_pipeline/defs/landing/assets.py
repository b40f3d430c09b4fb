"""Phase 1: fetch each game date's payloads and keep them, untouched, in the landing store."""

import dataclasses
import json
from collections.abc import Callable, Iterable
from datetime import date, datetime, timezone

from dagster import AssetExecutionContext, BackfillPolicy, MaterializeResult, asset

from nba_pipeline.lib.warehouse_asset import OWNERS, partition_dates
from nba_pipeline.partitions import daily_partitions
from nba_pipeline.sources.base import NbaDataSource, Payload
from nba_pipeline.storage.landing import (
    FUTURE_TOLERANCE,
    LandingStore,
    fetched_at_text,
    manifest_key,
)
from nba_pipeline.tables import (
    LANDING_BOXSCORES,
    LANDING_GAME_LINES,
    LANDING_INJURIES,
    LANDING_LINES,
    LANDING_SCHEDULE,
    Table,
)

# Payload metadata a source sets when it knows how many payloads a complete fetch holds
# (e.g. the Odds API events listed for the date): fewer landed marks the fetch partial.
EXPECTED_META = "fetch_expected"


@dataclasses.dataclass
class _FetchRecord:
    """What one fetch (source, endpoint, date, fetch time) landed in this run."""

    source: str
    endpoint: str
    game_date: date
    fetched_at: str
    names: list[str] = dataclasses.field(default_factory=list)
    expected: int | None = None

    def manifest(self, error: str | None) -> bytes:
        short = self.expected is not None and len(self.names) < self.expected
        reason = error or (f"{len(self.names)} of {self.expected} expected payloads landed"
                           if short else "")
        return json.dumps({
            "source": self.source, "endpoint": self.endpoint,
            "game_date": self.game_date.isoformat(), "fetched_at": self.fetched_at,
            "complete": error is None and not short, "payloads": len(self.names),
            "expected": self.expected, "reason": reason[:2000], "names": sorted(self.names),
        }, indent=1).encode()


def land(context: AssetExecutionContext, fetch: Callable[[date], Iterable[Payload]],
         store: LandingStore) -> MaterializeResult:
    """Write every payload of every date in the run before anything parses it.

    After each date, every fetch it landed gets a manifest beside its payloads: complete, or
    partial with the cause (the source failed half-way, or fewer payloads than it expected).
    The raw assets never let a partial fetch replace a complete one. A fetch time later than
    now is not trusted: the payload is landed under the time it arrived instead, reported.
    """
    keys: list[str] = []
    total_bytes = 0
    sources: set[str] = set()
    fallbacks: set[str] = set()
    quota: dict[str, str] = {}
    restamped: dict[str, str] = {}
    skipped: list[str] = []  # items a source left out of a payload, each with its reason
    partial: list[str] = []
    for game_date in partition_dates(context):
        fetches: dict[tuple[str, str, str], _FetchRecord] = {}
        try:
            for payload in fetch(game_date):
                payload = _not_in_future(payload, restamped)
                keys.append(store.write_bytes(payload.landing_key, payload.body))
                _record(fetches, payload, keys[-1])
                total_bytes += len(payload.body)
                sources.add(payload.source)
                if "fallback_from" in payload.metadata:
                    fallbacks.add(f"{game_date}: {payload.source} after "
                                  f"{payload.metadata['fallback_from']}")
                quota.update({k: v for k, v in payload.metadata.items()
                              if k.startswith("x_requests_")})
                skipped.extend(json.loads(payload.metadata.get("skipped", "[]")))
        except Exception as exc:
            try:
                # The exception's type and the run, not its text: a manifest is kept for ever
                # and must never hold what an error message might (a URL, a header, a key).
                _write_manifests(store, fetches, f"{type(exc).__name__} in run "
                                 f"{context.run_id}; the run's failure names the cause", partial)
            except Exception as manifest_error:  # the fetch's own error is the one to raise
                context.log.error(f"{game_date}: partial-fetch manifests not written: "
                                  f"{manifest_error}")
            raise
        _write_manifests(store, fetches, None, partial)
    if restamped:
        context.log.warning(f"fetch times in the future were re-stamped: {restamped}")
    if partial:
        context.log.warning(f"partial fetches landed: {partial[:5]}")
    return MaterializeResult(metadata={
        "files": len(keys), "bytes": total_bytes, "sources": sorted(sources),
        "sample_keys": keys[:5], "fallbacks": sorted(fallbacks),
        "partial_fetches": partial[:50], "skipped": skipped,
        "future_fetch_times_restamped": [f"{k} -> {v}" for k, v in restamped.items()],
        **quota,
    })


def _not_in_future(payload: Payload, restamped: dict[str, str]) -> Payload:
    """The payload with its fetch time clamped to the clock of landing, if it claims later."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    if payload.fetched_at.astimezone(timezone.utc) <= now + FUTURE_TOLERANCE:
        return payload
    claimed = fetched_at_text(payload.fetched_at)
    # One new time per claimed time, so the payloads of one fetch stay one fetch.
    stamp = restamped.setdefault(claimed, fetched_at_text(now))
    return dataclasses.replace(
        payload, fetched_at=datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=timezone.utc))


def _record(fetches: dict[tuple[str, str, str], _FetchRecord], payload: Payload,
            key: str) -> None:
    fetched_at = fetched_at_text(payload.fetched_at)
    record = fetches.setdefault((payload.source, payload.endpoint, fetched_at), _FetchRecord(
        payload.source, payload.endpoint, payload.game_date, fetched_at))
    record.names.append(key.rsplit("/", 1)[1])
    expected = payload.metadata.get(EXPECTED_META)
    if expected is not None and expected.isdigit():
        record.expected = max(record.expected or 0, int(expected))


def _write_manifests(store: LandingStore, fetches: dict[tuple[str, str, str], _FetchRecord],
                     error: str | None, partial: list[str]) -> None:
    for record in fetches.values():
        body = record.manifest(error)
        store.write_bytes(manifest_key(record.source, record.endpoint, record.game_date,
                                       record.fetched_at), body)
        info = json.loads(body)
        if not info["complete"]:
            partial.append(f"{record.source}/{record.endpoint}/{record.game_date.isoformat()}/"
                           f"{record.fetched_at}/: {info['reason']}")


def _landing_asset(files: Table, description: str, pool: str,
                   kinds: frozenset[str] = frozenset({"json"})) -> Callable:
    return asset(
        key=files.path, group_name=files.group, description=description,
        partitions_def=daily_partitions, backfill_policy=BackfillPolicy.single_run(),
        kinds=set(kinds), owners=OWNERS, pool=pool,
    )


@_landing_asset(LANDING_SCHEDULE, "Schedule payloads (nba.com, with fallbacks) per game date.",
                pool="nba_com_api")
def nba_schedule_payloads(context: AssetExecutionContext, nba_source: NbaDataSource,
                          landing_store: LandingStore) -> MaterializeResult:
    return land(context, nba_source.fetch_schedule, landing_store)


@_landing_asset(LANDING_BOXSCORES, "Player box-score payloads (nba.com leaguegamelog) per date.",
                pool="nba_com_api")
def nba_boxscore_payloads(context: AssetExecutionContext, nba_source: NbaDataSource,
                          landing_store: LandingStore) -> MaterializeResult:
    return land(context, nba_source.fetch_boxscores, landing_store)


@_landing_asset(LANDING_LINES, "The Odds API player_points event odds per game date.",
                pool="odds_api")
def odds_player_points_payloads(context: AssetExecutionContext, nba_source: NbaDataSource,
                                landing_store: LandingStore) -> MaterializeResult:
    return land(context, nba_source.fetch_player_points_odds, landing_store)


@_landing_asset(LANDING_GAME_LINES, "Game lines per game date: The Odds API h2h, spreads and "
                "totals for every event in one call (replay: the recorded closing lines).",
                pool="odds_api")
def odds_game_lines_payloads(context: AssetExecutionContext, nba_source: NbaDataSource,
                             landing_store: LandingStore) -> MaterializeResult:
    return land(context, nba_source.fetch_game_lines, landing_store)


@_landing_asset(LANDING_INJURIES, "Injury report per game date: the official NBA PDF, Ball "
                "Don't Lie's injury list as the fallback (replay: recorded PDFs only).",
                pool="nba_com_api", kinds=frozenset({"pdf", "json"}))
def nba_injury_report_payloads(context: AssetExecutionContext, nba_source: NbaDataSource,
                               landing_store: LandingStore) -> MaterializeResult:
    return land(context, nba_source.fetch_injury_report, landing_store)


landing_assets = [nba_schedule_payloads, nba_boxscore_payloads, odds_player_points_payloads,
                  odds_game_lines_payloads, nba_injury_report_payloads]
