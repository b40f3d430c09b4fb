"""Phase 1: fetch each game date's payloads and keep them, untouched, in the landing store."""

import json
from collections.abc import Callable, Iterable
from datetime import date

from dagster import AssetExecutionContext, BackfillPolicy, MaterializeResult, asset

from nba_pipeline.assets.common import OWNERS, partition_dates
from nba_pipeline.partitions import daily_partitions
from nba_pipeline.sources.base import NbaDataSource, Payload
from nba_pipeline.storage.landing import LandingStore


def land(context: AssetExecutionContext, fetch: Callable[[date], Iterable[Payload]],
         store: LandingStore) -> MaterializeResult:
    """Write every payload of every date in the run before anything parses it."""
    keys: list[str] = []
    total_bytes = 0
    sources: set[str] = set()
    fallbacks: set[str] = set()
    quota: dict[str, str] = {}
    skipped: list[str] = []  # items a source left out of a payload, each with its reason
    for game_date in partition_dates(context):
        for payload in fetch(game_date):
            keys.append(store.write_bytes(payload.landing_key, payload.body))
            total_bytes += len(payload.body)
            sources.add(payload.source)
            if "fallback_from" in payload.metadata:
                fallbacks.add(f"{game_date}: {payload.source} after "
                              f"{payload.metadata['fallback_from']}")
            quota.update({k: v for k, v in payload.metadata.items()
                          if k.startswith("x_requests_")})
            skipped.extend(json.loads(payload.metadata.get("skipped", "[]")))
    return MaterializeResult(metadata={
        "files": len(keys), "bytes": total_bytes, "sources": sorted(sources),
        "sample_keys": keys[:5], "fallbacks": sorted(fallbacks), "skipped": skipped, **quota,
    })


def _landing_asset(name: str, description: str, pool: str) -> Callable:
    return asset(
        key=["landing", name], group_name="landing", description=description,
        partitions_def=daily_partitions, backfill_policy=BackfillPolicy.single_run(),
        kinds={"json"}, owners=OWNERS, pool=pool,
    )


@_landing_asset("nba_schedule", "Schedule payloads (nba.com, with fallbacks) per game date.",
                pool="nba_com_api")
def nba_schedule_payloads(context: AssetExecutionContext, nba_source: NbaDataSource,
                          landing_store: LandingStore) -> MaterializeResult:
    return land(context, nba_source.fetch_schedule, landing_store)


@_landing_asset("nba_boxscores", "Player box-score payloads (nba.com leaguegamelog) per date.",
                pool="nba_com_api")
def nba_boxscore_payloads(context: AssetExecutionContext, nba_source: NbaDataSource,
                          landing_store: LandingStore) -> MaterializeResult:
    return land(context, nba_source.fetch_boxscores, landing_store)


@_landing_asset("odds_player_points", "The Odds API player_points event odds per game date.",
                pool="odds_api")
def odds_player_points_payloads(context: AssetExecutionContext, nba_source: NbaDataSource,
                                landing_store: LandingStore) -> MaterializeResult:
    return land(context, nba_source.fetch_player_points_odds, landing_store)


landing_assets = [nba_schedule_payloads, nba_boxscore_payloads, odds_player_points_payloads]
