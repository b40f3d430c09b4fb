"""Partitions are game days: the excluded days hold no kept game in four real seasons."""

from __future__ import annotations

import gzip
import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from nba_pipeline.partitions import (
    LAST_CALENDAR_YEAR,
    InvalidRangeError,
    all_star_break,
    daily_partitions,
    game_day_range,
    game_days_between,
    is_game_day,
    last_partition_date,
    thanksgiving,
    validate_range,
)
from nba_pipeline.paths import recorded_data_dir as data_dir

ET = ZoneInfo("America/New_York")
KEPT_TYPES = ("2", "4", "5", "6")  # regular season, playoffs, play-in, Cup final


def _kept_game_dates() -> set[date]:
    """Every kept game's date in 2021-22..2023-24 (team logs) and 2024-25 (the schedule)."""
    root = data_dir()
    days: set[date] = set()
    for path in sorted((root / "team_game_logs").glob("*.csv.gz")):
        logs = pd.read_csv(path, usecols=["GAME_ID", "GAME_DATE"])
        kept = logs["GAME_ID"].astype(str).str.zfill(10).str[2].isin(KEPT_TYPES)
        days |= set(pd.to_datetime(logs.loc[kept, "GAME_DATE"]).dt.date)
    (schedule,) = (root / "api_samples" / "nbac_schedule_api").glob("*.json.gz")
    payload = json.loads(gzip.open(schedule).read())
    for game_date in payload["leagueSchedule"]["gameDates"]:
        for game in game_date["games"]:
            if str(game["gameId"])[2] in KEPT_TYPES:
                days.add(pd.Timestamp(game["gameDateEst"]).date())
    return days


def test_no_kept_game_of_four_seasons_falls_on_an_excluded_day():
    played = _kept_game_dates()
    assert len(played) > 800  # four seasons of game days were read
    assert sorted(d for d in played if not is_game_day(d)) == []


def test_the_rule_and_dagsters_partitions_agree():
    """Day by day through the last year the dated exclusions cover: the crons (fourth Thursday,
    third Monday) and the dates say what `is_game_day` says."""
    last = date(LAST_CALENDAR_YEAR, 6, 30)
    keys = set(daily_partitions.get_partition_keys(datetime(last.year, 6, 30, 12, tzinfo=ET)))
    calendar = [date(2021, 10, 19) + timedelta(days=i)
                for i in range((last - date(2021, 10, 19)).days + 1)]
    assert {d.isoformat() for d in calendar if is_game_day(d)} == keys
    # The off-season, Christmas Eve, Thanksgiving and the All-Star break are gone.
    assert not {"2022-08-01", "2023-12-24", thanksgiving(2022).isoformat(),
                *(d.isoformat() for d in all_star_break(2024))} & keys
    assert all_star_break(2024) == [date(2024, 2, 16) + timedelta(days=i) for i in range(5)]
    assert thanksgiving(2024) == date(2024, 11, 28)


def test_a_range_run_uses_its_first_and_last_game_day():
    assert game_day_range(date(2024, 2, 16), date(2024, 2, 22)) == (date(2024, 2, 21),
                                                                     date(2024, 2, 22))
    assert game_days_between(date(2023, 12, 23), date(2023, 12, 25)) == [
        date(2023, 12, 23), date(2023, 12, 25)]
    with pytest.raises(InvalidRangeError, match="holds no game day"):
        validate_range(date(2023, 7, 1), date(2023, 9, 30))


def test_today_exists_before_tip_off():
    assert last_partition_date(datetime(2024, 3, 6, 8, 0, tzinfo=ET)) == date(2024, 3, 6)
    # end_offset=1 counts partitions: on a day without games the next game day exists.
    assert last_partition_date(datetime(2024, 12, 24, 9, 0, tzinfo=ET)) == date(2024, 12, 25)
    assert last_partition_date(datetime(2024, 7, 15, 9, 0, tzinfo=ET)) == date(2024, 10, 1)
