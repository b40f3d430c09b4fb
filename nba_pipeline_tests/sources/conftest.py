"""Fixtures for the live-source tests: a fake API on loopback and clients pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from dagster import AssetKey, DagsterInstance, Definitions

from nba_pipeline.defs.landing.assets import landing_assets
from nba_pipeline.defs.raw.assets import raw_assets
from nba_pipeline.runner import RangeRunResult, run_range
from nba_pipeline.sources.clients import (
    BalldontlieClient,
    EspnClient,
    NbaComClient,
    NbaInjuryReportClient,
    OddsApiClient,
)
from nba_pipeline.sources.http import HttpPolicy
from nba_pipeline.sources.live import LiveSource
from nba_pipeline.storage.duckdb_warehouse import WarehouseDuckDBIOManager
from nba_pipeline.storage.landing import LocalLandingStore
from nba_pipeline_tests.sources.fake_api import FakeApi

ODDS_KEY = "odds-SECRET-7f3a9c"
BDL_KEY = "bdl-SECRET-51be22"
# Tiny waits so fault tests stay fast; the shape of the policy is the production one.
FAST = HttpPolicy(connect_timeout=0.5, read_timeout=0.3, max_attempts=3, backoff_initial=0.01,
                  backoff_max=0.05, jitter=0.01, retry_after_max=5.0)


@pytest.fixture
def api() -> Iterator[FakeApi]:
    with FakeApi().running() as server:
        yield server


@pytest.fixture(autouse=True)
def api_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODDS_API_KEY", ODDS_KEY)
    monkeypatch.setenv("BALLDONTLIE_API_KEY", BDL_KEY)


def live_source(base_url: str, policy: HttpPolicy = FAST, **kwargs: object) -> LiveSource:
    """A LiveSource whose every client talks to `base_url` (keys come from the env)."""
    return LiveSource(
        nba_com=NbaComClient(base_url=base_url, cdn_base_url=base_url, policy=policy,
                             season_types=kwargs.pop("season_types", ["Regular Season"])),
        espn=EspnClient(base_url=base_url, policy=policy),
        balldontlie=BalldontlieClient(base_url=base_url, policy=policy),
        odds_api=OddsApiClient(base_url=base_url, policy=policy,
                               mode=kwargs.pop("odds_mode", "live")),  # type: ignore[arg-type]
        injuries=NbaInjuryReportClient(base_url=base_url, policy=policy),
        **kwargs,
    )


@pytest.fixture
def source(api: FakeApi) -> LiveSource:
    return live_source(api.base_url)


@pytest.fixture
def store(tmp_path: Path) -> LocalLandingStore:
    return LocalLandingStore(base_dir=str(tmp_path / "landing"))




@pytest.fixture
def materialize(tmp_path: Path, store: LocalLandingStore
                ) -> Iterator[Callable[..., tuple[RangeRunResult, DagsterInstance]]]:
    """Run landing/raw assets for one day with the real landing store and DuckDB warehouse."""
    with DagsterInstance.ephemeral() as instance:
        def run(source: LiveSource, day: date, *keys: str) -> tuple[RangeRunResult, Any]:
            defs = Definitions(assets=[*landing_assets, *raw_assets], resources={
                "nba_source": source, "landing_store": store,
                "io_manager": WarehouseDuckDBIOManager(
                    database=str(tmp_path / "warehouse.duckdb")),
            })
            selection = [AssetKey(k.split("/")) for k in keys]
            return run_range(defs, day, day, selection=selection, instance=instance), instance

        yield run
