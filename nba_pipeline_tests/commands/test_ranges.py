"""Ranges are checked before any run starts, and the commands need no DAGSTER_HOME (issue 16 F)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from nba_pipeline.cli import main
from nba_pipeline.partitions import (
    InvalidRangeError,
    daily_partitions,
    last_partition_date,
    validate_range,
)


def test_last_partition_is_the_one_dagster_has_now():
    assert last_partition_date().isoformat() == daily_partitions.get_last_partition_key()
    # 22:30 ET on 2024-03-04 is 03:30 UTC on the 5th: still the 4th's partition.
    assert last_partition_date(datetime(2024, 3, 5, 3, 30, tzinfo=timezone.utc)) == date(
        2024, 3, 4)


@pytest.mark.parametrize("start,end,says", [
    (date(2024, 3, 5), date(2024, 3, 1), "ends (2024-03-01) before it starts (2024-03-05)"),
    (date(2021, 10, 1), date(2021, 10, 20), "2021-10-01 is before the first"),
    (date(2024, 3, 1), date(2099, 1, 1), "2099-01-01 is after the last"),
])
def test_bad_ranges_are_refused_naming_the_date(start, end, says):
    with pytest.raises(InvalidRangeError, match=says.replace("(", r"\(").replace(")", r"\)")):
        validate_range(start, end)


def test_today_is_a_valid_end():
    validate_range(date(2024, 3, 1), last_partition_date())
    with pytest.raises(InvalidRangeError):
        validate_range(date(2024, 3, 1), last_partition_date() + timedelta(days=1))


@pytest.mark.parametrize("argv", [
    ["backfill", "--start", "2024-03-05", "--end", "2024-03-01"],
    ["backfill", "--start", "2024-03-05", "--end", "2024-03-01", "--submit"],
    ["backfill", "--start", "2020-01-01", "--end", "2020-01-02"],
    ["demo", "--skip-history", "--predict-start", "2099-01-01", "--predict-end", "2099-01-02"],
    ["health", "--start", "2024-03-05", "--end", "2024-03-01"],
])
def test_commands_refuse_bad_ranges_before_any_run(argv, tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("NBA_PIPELINE_HOME", str(tmp_path / "home"))
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert str(exc.value).startswith(f"{argv[0]}: ")
    assert any(d in str(exc.value) for d in ("2024-03-01", "2020-01-01", "2099-01-0"))
    assert not (tmp_path / "home").exists()  # nothing was written


def test_backfill_without_dagster_home_uses_the_default_home(tmp_path, monkeypatch, capsys):
    """DAGSTER_HOME unset used to be a traceback; now the default home is created and used."""
    dagster_home = tmp_path / "dagster_home"
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setattr("nba_pipeline.paths.dagster_home", lambda: dagster_home)
    monkeypatch.setenv("NBA_PIPELINE_HOME", str(tmp_path / "home"))
    code = main(["backfill", "--start", "2024-03-04", "--end", "2024-03-04",
                 "--select", "landing/nba_schedule", "nba_raw/schedule"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert (dagster_home / "dagster.yaml").exists()
    # The warehouse's folder did not exist: it is created (this used to wait ~10 minutes in the
    # lock retry loop and then fail with "No such file or directory").
    assert (tmp_path / "home" / "warehouse.duckdb").exists()
    assert "backfill 2024-03-04..2024-03-04 succeeded" in out
