"""History inputs read a calendar window before the run's dates; outputs are untouched."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dagster import TimeWindow
from dagster._core.storage.db_io_manager import TablePartitionDimension, TableSlice

from nba_pipeline.storage.history_window import HISTORY_DAYS, THROUGH_GAME_DATE, history_slice

ET = ZoneInfo("America/New_York")


def _slice(start: datetime, end: datetime) -> TableSlice:
    return TableSlice(table="player_game_summary", schema="nba_analytics", partition_dimensions=[
        TablePartitionDimension(partition_expr="game_date", partitions=TimeWindow(start, end))])


def _window(table_slice: TableSlice) -> tuple[str, str]:
    window = table_slice.partition_dimensions[0].partitions
    return window.start.date().isoformat(), window.end.date().isoformat()


def test_window_is_the_days_strictly_before_each_date_of_the_run():
    run = _slice(datetime(2024, 3, 4, tzinfo=ET), datetime(2024, 3, 7, tzinfo=ET))
    # 30 days before 03-04 .. the day before 03-06: never a date of the run's own games.
    assert _window(history_slice(run, {HISTORY_DAYS: 30})) == ("2024-02-03", "2024-03-06")


def test_window_through_the_date_includes_the_last_date():
    run = _slice(datetime(2024, 3, 4, tzinfo=ET), datetime(2024, 3, 5, tzinfo=ET))
    assert _window(history_slice(run, {HISTORY_DAYS: 30, THROUGH_GAME_DATE: True})) == (
        "2024-02-03", "2024-03-05")


def test_window_crosses_the_dst_change_in_calendar_days():
    run = _slice(datetime(2024, 3, 11, tzinfo=ET), datetime(2024, 3, 12, tzinfo=ET))
    start, end = history_slice(run, {HISTORY_DAYS: 2}).partition_dimensions[0].partitions
    assert (start.hour, start.date().isoformat(), end.date().isoformat()) == (
        0, "2024-03-09", "2024-03-11")


def test_a_same_day_input_keeps_the_runs_own_dates():
    run = _slice(datetime(2024, 3, 4, tzinfo=ET), datetime(2024, 3, 7, tzinfo=ET))
    assert history_slice(run, {}) == run
