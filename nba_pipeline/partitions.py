"""The one partitions definition every daily asset, check, schedule and sensor shares."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from dagster import DailyPartitionsDefinition

from nba_pipeline.constants import EASTERN, GAME_DATE_START, GAME_DATE_TIMEZONE

# end_offset=1: today's partition exists (predictions are made before today's games).
daily_partitions = DailyPartitionsDefinition(
    start_date=GAME_DATE_START, timezone=GAME_DATE_TIMEZONE, end_offset=1
)


def dates_between(start: date, end: date) -> list[date]:
    """Dates in [start, end)."""
    return [start + timedelta(days=i) for i in range((end - start).days)]


class InvalidRangeError(ValueError):
    """A requested game-date range the partitions cannot hold: the message names the date."""


def last_partition_date(now: datetime | None = None) -> date:
    """The newest partition that exists: today in US/Eastern (daily partitions, end_offset=1)."""
    return (now or datetime.now(EASTERN)).astimezone(EASTERN).date()


def validate_range(start: date, end: date, now: datetime | None = None) -> None:
    """Refuse a reversed range or dates outside the partitions, before any run starts.

    A reversed range used to "succeed" writing nothing; dates past the last partition
    succeeded too, and dates before the first ended in a Dagster CheckError traceback.
    """
    first = date.fromisoformat(GAME_DATE_START)
    last = last_partition_date(now)
    if end < start:
        raise InvalidRangeError(f"the range ends ({end}) before it starts ({start})")
    if start < first:
        raise InvalidRangeError(f"{start} is before the first game-date partition ({first})")
    if end > last:
        raise InvalidRangeError(f"{end} is after the last game-date partition ({last}: "
                                "partitions run through today, US/Eastern, and exist from "
                                "the morning before tip-off)")
