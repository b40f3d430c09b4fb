"""Storage profiles: one dict of resources per deployment, with identical keys.

`NBA_PIPELINE_PROFILE` picks one (default `local`). Chosen in a function, never at import, so
tests can build any profile side by side.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dagster import EnvVar

from nba_pipeline.sources.replay import ReplaySource
from nba_pipeline.storage.duckdb_warehouse import WarehouseDuckDBIOManager
from nba_pipeline.storage.landing import LocalLandingStore

PROFILES = ("local", "gcp", "emulated")
REPO_ROOT = Path(__file__).resolve().parents[1]


def local_home() -> Path:
    """Where the `local` profile keeps its DuckDB file and landing folder."""
    return Path(os.environ.get("NBA_PIPELINE_HOME") or REPO_ROOT / ".nba_pipeline_data")


def source_resource() -> Any:
    """Replay (default) or live clients, chosen by NBA_PIPELINE_SOURCE=replay|live."""
    if os.environ.get("NBA_PIPELINE_SOURCE", "replay") == "live":
        from nba_pipeline.sources.live import LiveSource

        return LiveSource()
    return ReplaySource(data_dir=os.environ.get("NBA_PIPELINE_DATA_DIR"))


def local_resources(home: Path | None = None) -> dict[str, Any]:
    home = home or local_home()
    return {
        "io_manager": WarehouseDuckDBIOManager(database=str(home / "warehouse.duckdb")),
        "landing_store": LocalLandingStore(base_dir=str(home / "landing")),
        "nba_source": source_resource(),
    }


def gcp_resources() -> dict[str, Any]:
    from dagster_gcp_pandas import BigQueryPandasIOManager

    from nba_pipeline.storage.gcs_landing import GCSLandingStore

    return {
        "io_manager": BigQueryPandasIOManager(project=EnvVar("NBA_PIPELINE_GCP_PROJECT"),
                                              location=os.environ.get("NBA_PIPELINE_BQ_LOCATION")),
        "landing_store": GCSLandingStore(bucket=EnvVar("NBA_PIPELINE_GCS_BUCKET")),
        "nba_source": source_resource(),
    }


def resources_for(profile: str | None = None) -> dict[str, Any]:
    profile = profile or os.environ.get("NBA_PIPELINE_PROFILE", "local")
    if profile == "local":
        return local_resources()
    if profile in ("gcp", "emulated"):
        return gcp_resources()
    raise ValueError(f"unknown NBA_PIPELINE_PROFILE {profile!r}; expected one of {PROFILES}")
