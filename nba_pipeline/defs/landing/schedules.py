"""Scraping schedules (the edges of the graph), in US/Eastern. Everything after landing is
driven by the landing sensor and declarative automation, not by schedules.

| schedule              | ET time | lands                                            | partition |
|-----------------------|---------|--------------------------------------------------|-----------|
| morning_scrape        | 08:00   | schedule, points lines, game lines, injury report | today     |
| pre_tip_lines_refresh | 16:30   | points lines, game lines, injury report          | today     |
| after_games_boxscores | 02:30   | box scores                                       | yesterday |

Partitions use end_offset=1, so today's partition exists from midnight ET (#31387): the
schedules name the partition explicitly from the tick's ET date rather than "the last one".
They start STOPPED: turn them on in production (UI, or `dagster schedule start --start-all`),
where `NBA_PIPELINE_SOURCE=live`; locally the replay source has nothing new to fetch.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from dagster import (
    AssetKey,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    define_asset_job,
    schedule,
)

from nba_pipeline import tables
from nba_pipeline.constants import TRIGGER_TAG
from nba_pipeline.partitions import GAME_DATE_TIMEZONE, daily_partitions, is_game_day

LANDING_SCHEDULE = AssetKey(tables.LANDING_SCHEDULE.path)
LANDING_BOXSCORES = AssetKey(tables.LANDING_BOXSCORES.path)
LANDING_LINES = AssetKey(tables.LANDING_LINES.path)
LANDING_GAME_LINES = AssetKey(tables.LANDING_GAME_LINES.path)
LANDING_INJURIES = AssetKey(tables.LANDING_INJURIES.path)
# Lines and the injury report are scraped together: both move until tip-off.
PRE_GAME = [LANDING_LINES, LANDING_GAME_LINES, LANDING_INJURIES]

scrape_morning_job = define_asset_job(
    "scrape_morning", selection=[LANDING_SCHEDULE, *PRE_GAME],
    partitions_def=daily_partitions,
    description="Today's schedule, player points lines, game lines and injury report.")
scrape_lines_job = define_asset_job(
    "scrape_lines", selection=PRE_GAME, partitions_def=daily_partitions,
    description="Player points lines, game lines and the injury report again, shortly "
                "before tip-off.")
scrape_boxscores_job = define_asset_job(
    "scrape_boxscores", selection=[LANDING_BOXSCORES], partitions_def=daily_partitions,
    description="Yesterday's box scores, once the games are final.")
scrape_jobs = [scrape_morning_job, scrape_lines_job, scrape_boxscores_job]


def scrape_schedule(name: str, job, cron: str, days_back: int,
                    description: str) -> ScheduleDefinition:
    """A schedule requesting the partition of the tick's ET date minus `days_back` days."""

    @schedule(name=name, job=job, cron_schedule=cron, execution_timezone=GAME_DATE_TIMEZONE,
              default_status=DefaultScheduleStatus.STOPPED, description=description)
    def _schedule(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
        partition = tick_partition(context, days_back)
        if not is_game_day(date.fromisoformat(partition)):
            return SkipReason(f"{partition} is not a game day (no partition: "
                              "nba_pipeline/partitions.py)")
        return RunRequest(run_key=None, partition_key=partition, tags={TRIGGER_TAG: name})

    return _schedule


def tick_partition(context: ScheduleEvaluationContext, days_back: int) -> str:
    """The game date a tick scrapes: its scheduled time, in ET, minus `days_back` days."""
    tick = context.scheduled_execution_time
    eastern = ZoneInfo(GAME_DATE_TIMEZONE)
    tick = tick.replace(tzinfo=eastern) if tick.tzinfo is None else tick.astimezone(eastern)
    return (tick.date() - timedelta(days=days_back)).isoformat()


schedules: Sequence[ScheduleDefinition] = [
    scrape_schedule("morning_scrape", scrape_morning_job, "0 8 * * *", 0,
                    "08:00 ET: today's schedule, opening player points and game lines, the "
                    "morning injury report."),
    scrape_schedule("pre_tip_lines_refresh", scrape_lines_job, "30 16 * * *", 0,
                    "16:30 ET: refresh today's lines and injury report before the 17:00 ET "
                    "prediction refresh."),
    scrape_schedule("after_games_boxscores", scrape_boxscores_job, "30 2 * * *", 1,
                    "02:30 ET: yesterday's box scores, after the late games are final."),
]
