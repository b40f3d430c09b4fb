"""Storage profiles: one dict of resources per deployment, with identical keys.

`NBA_PIPELINE_PROFILE` picks one (default `local`). Chosen in a function, never at import, so
tests can build any profile side by side.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dagster import EnvVar

from nba_pipeline.paths import local_home
from nba_pipeline.sources.replay import ReplaySource
from nba_pipeline.storage.duckdb_warehouse import WarehouseDuckDBIOManager
from nba_pipeline.storage.landing import LocalLandingStore

PROFILES = ("local", "gcp", "emulated")


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


def gcp_resources(
    project: str | EnvVar | None = None,
    bucket: str | EnvVar | None = None,
    *,
    location: str | None = None,
    bigquery_endpoint: str | None = None,
    gcs_endpoint: str | None = None,
) -> dict[str, Any]:
    """BigQuery warehouse + GCS landing. Project and bucket default to their env vars.

    The endpoints are set only by the `emulated` profile (tests); unset, both clients are the
    stock ones with application-default credentials.
    """
    from nba_pipeline.storage.bigquery_warehouse import WarehouseBigQueryIOManager
    from nba_pipeline.storage.gcs_landing import GCSLandingStore

    project = project or EnvVar("NBA_PIPELINE_GCP_PROJECT")
    location = location or os.environ.get("NBA_PIPELINE_BQ_LOCATION") or None
    return {
        "io_manager": WarehouseBigQueryIOManager(project=project, location=location,
                                                 emulator_endpoint=bigquery_endpoint),
        "landing_store": GCSLandingStore(
            bucket=bucket or EnvVar("NBA_PIPELINE_GCS_BUCKET"),
            prefix=os.environ.get("NBA_PIPELINE_GCS_PREFIX", ""),
            project=project if isinstance(project, str) else None,
            emulator_endpoint=gcs_endpoint),
        "nba_source": source_resource(),
    }


def emulated_resources() -> dict[str, Any]:
    """The `gcp` code path against emulators on loopback (BIGQUERY_EMULATOR_HOST and
    STORAGE_EMULATOR_HOST must be set; see nba_pipeline_tests/emulators.py)."""
    missing = [v for v in ("BIGQUERY_EMULATOR_HOST", "STORAGE_EMULATOR_HOST")
               if not os.environ.get(v)]
    if missing:
        raise ValueError(f"profile 'emulated' needs {missing} (emulator URLs, e.g. "
                         "http://127.0.0.1:9050)")
    return gcp_resources(
        os.environ.get("NBA_PIPELINE_GCP_PROJECT", "nba-pipeline-emulated"),
        os.environ.get("NBA_PIPELINE_GCS_BUCKET", "nba-pipeline-landing"),
        bigquery_endpoint=os.environ["BIGQUERY_EMULATOR_HOST"],
        gcs_endpoint=os.environ["STORAGE_EMULATOR_HOST"],
    )


def resources_for(profile: str | None = None) -> dict[str, Any]:
    profile = profile or os.environ.get("NBA_PIPELINE_PROFILE", "local")
    if profile == "local":
        return local_resources()
    if profile == "gcp":
        return gcp_resources()
    if profile == "emulated":
        return emulated_resources()
    raise ValueError(f"unknown NBA_PIPELINE_PROFILE {profile!r}; expected one of {PROFILES}")
