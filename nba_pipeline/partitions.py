"""The one partitions definition every daily asset, check, schedule and sensor shares."""

from __future__ import annotations

from datetime import date, timedelta

from dagster import DailyPartitionsDefinition, TimeWindowPartitionMapping

GAME_DATE_START = "2021-10-19"
GAME_DATE_TIMEZONE = "America/New_York"

# end_offset=1: today's partition exists (predictions are made before today's games).
daily_partitions = DailyPartitionsDefinition(
    start_date=GAME_DATE_START, timezone=GAME_DATE_TIMEZONE, end_offset=1
)


def history(days: int) -> TimeWindowPartitionMapping:
    """Upstream partitions of the `days` days strictly before each game date (no same-day data)."""
    return TimeWindowPartitionMapping(
        start_offset=-days, end_offset=-1, allow_nonexistent_upstream_partitions=True
    )


def history_through(days: int) -> TimeWindowPartitionMapping:
    """The `days` days before each game date plus the date itself."""
    return TimeWindowPartitionMapping(
        start_offset=-days, end_offset=0, allow_nonexistent_upstream_partitions=True
    )


def dates_between(start: date, end: date) -> list[date]:
    """Dates in [start, end)."""
    return [start + timedelta(days=i) for i in range((end - start).days)]
