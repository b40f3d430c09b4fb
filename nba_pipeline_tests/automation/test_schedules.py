"""Scraping schedules: US/Eastern crons that name today's or yesterday's partition."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dagster import DagsterInstance, build_schedule_context

from nba_pipeline.definitions import build_definitions
from nba_pipeline.defs.landing.schedules import schedules
from nba_pipeline.partitions import daily_partitions
from nba_pipeline.profiles import local_resources

ET = ZoneInfo("America/New_York")
BY_NAME = {s.name: s for s in schedules}
DEFS = build_definitions(resources=local_resources(Path("/nonexistent")))


def evaluate(name: str, tick: datetime) -> str:
    with DagsterInstance.ephemeral() as instance:
        context = build_schedule_context(instance=instance, scheduled_execution_time=tick,
                                         repository_def=DEFS.get_repository_def())
        (request,) = DEFS.resolve_schedule_def(name).evaluate_tick(context).run_requests
    return request.partition_key


@pytest.mark.parametrize(("name", "cron", "tick", "partition"), [
    ("morning_scrape", "0 8 * * *", datetime(2024, 3, 6, 8, 0, tzinfo=ET), "2024-03-06"),
    ("pre_tip_lines_refresh", "30 16 * * *", datetime(2024, 3, 6, 16, 30, tzinfo=ET),
     "2024-03-06"),
    # 02:30 ET on the 7th is still the 6th's night in UTC terms and in game terms: yesterday.
    ("after_games_boxscores", "30 2 * * *", datetime(2024, 3, 7, 2, 30, tzinfo=ET),
     "2024-03-06"),
])
def test_schedule_requests_the_right_partition(name, cron, tick, partition):
    schedule = BY_NAME[name]
    assert schedule.cron_schedule == cron
    assert schedule.execution_timezone == "America/New_York"
    assert evaluate(name, tick) == partition
    assert partition in daily_partitions.get_partition_keys(current_time=tick)


def test_morning_partition_uses_the_eastern_date_not_utc():
    # 08:00 ET is 13:00 UTC; 22:00 ET on the 6th is already the 7th in UTC.
    late = datetime(2024, 3, 7, 3, 0, tzinfo=ZoneInfo("UTC"))
    assert evaluate("morning_scrape", late) == "2024-03-06"


def test_schedules_target_only_landing_assets():
    for schedule in schedules:
        job = DEFS.resolve_job_def(schedule.job_name)
        keys = job.asset_layer.selected_asset_keys
        assert keys and all(k.path[0] == "landing" for k in keys)
