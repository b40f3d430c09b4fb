"""The one partitions definition every daily asset, check, schedule and sensor shares.

Partitions are game days: the days on which the NBA never plays are excluded (Dagster's
`exclusions`), so the UI's partition bar, `health` and the freshness policies do not show them as
"missing" forever. Excluded, from the league's calendar (checked against every kept game of
2021-22..2024-25 in nba_pipeline_tests/test_partitions.py): July to September (the season ends
by late June; preseason, which is not kept, starts in October), Christmas Eve, Thanksgiving
(fourth Thursday of November) and the All-Star break's Friday to Tuesday (around the Sunday
before the third Monday of February; 2025 resumed on the Wednesday). Days that cannot be known
in advance (election day, playoff gaps, NBA Cup scheduling) stay partitions: the daily run
materializes them empty. A file landed for an excluded day is reported by the landing sensor
(rejected, with the reason) rather than parsed; if the league ever plays on one, remove the rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from dagster import DailyPartitionsDefinition
from dagster._core.definitions.partitions.context import partition_loading_context

from nba_pipeline.constants import EASTERN, GAME_DATE_START, GAME_DATE_TIMEZONE

OFF_SEASON_CRON = "0 0 * 7-9 *"  # every day of July, August and September
CHRISTMAS_EVE_CRON = "0 0 24 12 *"
THANKSGIVING_CRON = "0 0 * 11 4#4"  # the fourth Thursday of November
PRESIDENTS_DAY_CRON = "0 0 * 2 1#3"  # the third Monday of February: the break's Monday
# The break's other days (Friday to Sunday before, Tuesday after) have no cron (cron cannot say
# "the Friday before the third Monday"), so they are listed as dates, through this year. Dagster
# stores a copy of every exclusion in each partition subset it serializes, and a run writes one
# such copy per check and game day (its planned check rows): 2040 cost 12.5 KB per copy, through
# 2032 with the crons above 5 KB (docs/performance.md). Extend it before the 2032-33 season.
LAST_CALENDAR_YEAR = 2032


def thanksgiving(year: int) -> date:
    first = date(year, 11, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 21)


def presidents_day(year: int) -> date:
    first = date(year, 2, 1)
    return first + timedelta(days=(0 - first.weekday()) % 7 + 14)


def all_star_break(year: int) -> list[date]:
    """Friday to Tuesday around All-Star Sunday (the Sunday before Presidents' Day)."""
    return [presidents_day(year) + timedelta(days=k) for k in range(-3, 2)]


def _dated_exclusions() -> Iterator[date]:
    """The break's days that are not its Monday (those are PRESIDENTS_DAY_CRON's)."""
    first_year = date.fromisoformat(GAME_DATE_START).year
    for year in range(first_year, LAST_CALENDAR_YEAR + 1):
        yield from (d for d in all_star_break(year) if d != presidents_day(year))


NO_GAME_DAYS: tuple[date, ...] = tuple(sorted(_dated_exclusions()))

# end_offset=1: today's partition exists (predictions are made before today's games).
daily_partitions = DailyPartitionsDefinition(
    start_date=GAME_DATE_START, timezone=GAME_DATE_TIMEZONE, end_offset=1,
    exclusions=[OFF_SEASON_CRON, CHRISTMAS_EVE_CRON, THANKSGIVING_CRON, PRESIDENTS_DAY_CRON,
                *(datetime(d.year, d.month, d.day) for d in NO_GAME_DAYS)],
)
_NO_GAME_DAY_SET = frozenset(NO_GAME_DAYS)


def is_game_day(day: date) -> bool:
    """Whether `day` can have NBA games, i.e. is a partition (same rule as the exclusions)."""
    if day.month in (7, 8, 9) or (day.month, day.day) == (12, 24) or day in _NO_GAME_DAY_SET:
        return False
    return day not in (thanksgiving(day.year), presidents_day(day.year))


def game_days_between(start: date, end: date) -> list[date]:
    """The game days in [start, end] (both ends included): the partitions of that range."""
    return [d for d in dates_between(start, end + timedelta(days=1)) if is_game_day(d)]


def game_day_range(start: date, end: date) -> tuple[date, date]:
    """[start, end] narrowed to its first and last game day: a range run's partition keys."""
    days = game_days_between(start, end)
    if not days:
        raise InvalidRangeError(f"{start}..{end} holds no game day (July to September, "
                                "Christmas Eve, Thanksgiving and the All-Star break are not "
                                "partitions: nba_pipeline/partitions.py)")
    return days[0], days[-1]


def dates_between(start: date, end: date) -> list[date]:
    """Dates in [start, end)."""
    return [start + timedelta(days=i) for i in range((end - start).days)]


class InvalidRangeError(ValueError):
    """A requested game-date range the partitions cannot hold: the message names the date."""


def last_partition_date(now: datetime | None = None) -> date:
    """The newest partition that exists: today in US/Eastern (end_offset=1 adds the partition
    after the last complete one), or on a day without games the next game day (on Christmas
    Eve, the 25th; in July, the first of October). Dagster's own answer, so every view agrees."""
    with partition_loading_context(effective_dt=now or datetime.now(EASTERN)):
        key = daily_partitions.get_last_partition_key()
    return date.fromisoformat(key) if key else date.fromisoformat(GAME_DATE_START)


def validate_range(start: date, end: date, now: datetime | None = None) -> None:
    """Refuse a reversed range or dates outside the partitions, before any run starts.

    A reversed range used to "succeed" writing nothing; dates past the last partition
    succeeded too, and dates before the first ended in a Dagster CheckError traceback.
    """
    first = date.fromisoformat(GAME_DATE_START)
    last = (now or datetime.now(EASTERN)).astimezone(EASTERN).date()
    if end < start:
        raise InvalidRangeError(f"the range ends ({end}) before it starts ({start})")
    if start < first:
        raise InvalidRangeError(f"{start} is before the first game-date partition ({first})")
    if end > last:
        raise InvalidRangeError(f"{end} is after the last game-date partition ({last}: "
                                "partitions run through today, US/Eastern, and exist from "
                                "the morning before tip-off)")
    game_day_range(start, end)
