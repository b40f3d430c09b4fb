"""Bad recorded files and bad cells fail naming the file, the row and the cause (issue 16 F).

Each case corrupts a copy of one real shared-data file the way the attack did and reads it
through the replay and the parsers, as a run would.
"""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from dagster import Definitions, asset

from nba_pipeline.ingest.endpoints import parse_landed
from nba_pipeline.ingest.payloads import PayloadError
from nba_pipeline.partitions import daily_partitions
from nba_pipeline.runner import run_range
from nba_pipeline.sources import recorded
from nba_pipeline.sources.recorded import RecordedDataError

SHARED = recorded.data_dir()
BOX = "box_scores/player_logs_2023-24.csv.gz"
LINES = "prop_lines/oddsapi_props_player_points_2024-03-02_to_2024-05-25.csv.gz"
DAY = date(2024, 3, 5)


def copy_of(tmp_path: Path, relative: str) -> tuple[Path, Path]:
    """A data root holding a copy of one shared file; (root, the copy)."""
    target = tmp_path / "data" / relative
    target.parent.mkdir(parents=True)
    shutil.copy(SHARED / relative, target)
    return tmp_path / "data", target


def set_cell(path: Path, row: int, column: str, value: str | None) -> None:
    """Rewrite the recorded file with one cell changed (row = 0-based data row)."""
    frame = pd.read_csv(path, dtype=str)
    frame.loc[row, column] = value
    frame.to_csv(path, index=False, compression="gzip")
    recorded._read_csvs.cache_clear()
    recorded._by_date.cache_clear()
    recorded.points_lines.cache_clear()


@pytest.mark.parametrize("damage", ["empty", "truncated", "not_gzip"])
def test_an_unreadable_recorded_file_is_named(tmp_path: Path, damage: str) -> None:
    root, path = copy_of(tmp_path, BOX)
    body = path.read_bytes()
    path.write_bytes({"empty": gzip.compress(b""), "truncated": body[: len(body) // 2],
                      "not_gzip": b"GAME_ID,GAME_DATE\n\xff\xfe\x00"}[damage])
    with pytest.raises(RecordedDataError, match=rf"recorded file {path} cannot be read"):
        recorded.leaguegamelog_body(root, DAY)


def test_a_malformed_game_date_names_the_file_and_line(tmp_path: Path) -> None:
    root, path = copy_of(tmp_path, BOX)
    set_cell(path, 5, "GAME_DATE", "2024-13-45")
    with pytest.raises(RecordedDataError, match=r"1 row\(s\) with a GAME_DATE that is not a "
                                                r"date \(line 7: '2024-13-45'\)"):
        recorded.leaguegamelog_body(root, DAY)


def test_minutes_as_mm_ss_are_read_and_text_minutes_fail_naming_player_and_game(
        tmp_path: Path) -> None:
    root, path = copy_of(tmp_path, BOX)
    frame = pd.read_csv(path, dtype=str)
    on_day = frame.index[frame["GAME_DATE"] == DAY.isoformat()]
    set_cell(path, on_day[0], "MIN", "34:12")
    rows = parse_landed("nba_com", "leaguegamelog", recorded.leaguegamelog_body(root, DAY), DAY,
                        "k")
    assert rows["minutes"].dtype == "float64" and 34.2 in set(rows["minutes"])
    assert len(rows) == len(on_day)

    set_cell(path, on_day[0], "MIN", "abc")
    with pytest.raises(PayloadError, match=r"1 cell\(s\) are not numbers: row \d+ \(.+, game "
                                           r"\d{10}\): minutes='abc'.*kept in the landing store "
                                           r"at landing/x.json"):
        parse_landed("nba_com", "leaguegamelog", recorded.leaguegamelog_body(root, DAY), DAY,
                     "landing/x.json")


def test_a_missing_line_fails_naming_the_field_and_a_one_sided_price_still_lands(
        tmp_path: Path) -> None:
    root, path = copy_of(tmp_path, LINES)
    frame = pd.read_csv(path, dtype=str)
    on_day = frame.index[frame["commence_time"].str.startswith("2024-03-06T0")]
    set_cell(path, on_day[1], "under_price", None)
    one_sided = frame.loc[on_day[1]]
    rows = pd.concat([parse_landed("odds_api", "event_odds_player_points", body, DAY, event)
                      for event, body in recorded.event_odds_bodies(root, DAY)])
    row = rows[(rows["player_name"] == one_sided["player"])
               & (rows["bookmaker"] == one_sided["bookmaker"])
               & (rows["line_value"] == float(one_sided["line"]))]
    assert len(row) == 1 and pd.isna(row["under_price"].iloc[0])

    set_cell(path, on_day[0], "line", None)
    bodies = dict(recorded.event_odds_bodies(root, DAY))
    bad = bodies[frame.loc[on_day[0], "event_id"]]
    assert any(o["point"] is None for b in json.loads(bad)["bookmakers"]
               for m in b["markets"] for o in m["outcomes"])
    with pytest.raises(PayloadError, match=r"field 'bookmakers\.\d+\.markets\.0\.outcomes\.\d+"
                                           r"\.point': Input should be a valid number"):
        parse_landed("odds_api", "event_odds_player_points", bad, DAY, "k")


def test_a_nan_in_a_payload_is_invalid_not_a_value() -> None:
    body = {"id": "e1", "sport_key": "basketball_nba", "commence_time": "2024-03-06T00:00:00Z",
            "home_team": "Boston Celtics", "away_team": "Dallas Mavericks", "bookmakers": [
                {"key": "fanduel", "markets": [{"key": "player_points", "outcomes": [
                    {"name": "Over", "description": "Luka Doncic", "price": -110,
                     "point": float("nan")}]}]}]}
    with pytest.raises(PayloadError, match=r"outcomes\.0\.point': Input should be a finite"):
        parse_landed("odds_api", "event_odds_player_points", json.dumps(body).encode(), DAY, "k")


def test_a_failed_run_names_the_assets_own_error_not_dagsters_wrapper() -> None:
    @asset(partitions_def=daily_partitions)
    def broken() -> None:
        raise ValueError("nba_com/leaguegamelog for 2024-03-05: the cause, named")

    result = run_range(Definitions(assets=[broken]), DAY, DAY)
    assert not result.success
    assert result.failure == ("broken: ValueError: nba_com/leaguegamelog for 2024-03-05: "
                              "the cause, named")
