"""The one place that assembles Definitions, for the profile in NBA_PIPELINE_PROFILE."""

from __future__ import annotations

from typing import Any

from dagster import Definitions, define_asset_job

from nba_pipeline import automation
from nba_pipeline.assets.analytics import analytics_assets
from nba_pipeline.assets.features import feature_assets
from nba_pipeline.assets.landing import landing_assets
from nba_pipeline.assets.predictions import prediction_assets
from nba_pipeline.assets.publishing import publishing_assets
from nba_pipeline.assets.raw import raw_assets
from nba_pipeline.checks.freshness import with_freshness
from nba_pipeline.partitions import daily_partitions
from nba_pipeline.profiles import resources_for

ALL_ASSETS = [*landing_assets, *raw_assets, *analytics_assets, *feature_assets,
              *prediction_assets, *publishing_assets]

# The main job: every asset for a game date, landing to published predictions.
daily_pipeline_job = define_asset_job(
    "daily_pipeline", selection="*", partitions_def=daily_partitions,
    description="Every asset for a game date: landing -> raw -> analytics -> features -> "
    "predictions -> grading -> publishing.",
)


def build_definitions(profile: str | None = None, resources: dict[str, Any] | None = None
                      ) -> Definitions:
    """Definitions for `profile` (default: NBA_PIPELINE_PROFILE); `resources` overrides it."""
    return Definitions(
        assets=with_freshness(automation.with_automation(ALL_ASSETS)),
        jobs=[daily_pipeline_job, *automation.jobs],
        schedules=automation.schedules,
        sensors=automation.sensors,
        resources=resources if resources is not None else resources_for(profile),
    )


defs = build_definitions()
