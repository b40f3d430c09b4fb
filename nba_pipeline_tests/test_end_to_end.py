"""The whole graph on real replayed data, in process, against temporary DuckDB warehouses."""

from datetime import date
from pathlib import Path

import duckdb
import pytest
from dagster import AssetSelection

from nba_pipeline.runner import run_range
from nba_pipeline.storage.landing import MANIFEST_NAME
from nba_pipeline.storage.schema import load_schemas
from nba_pipeline_tests.conftest import PREDICT_END, PREDICT_START, build_definitions_for

DAY = date(2024, 3, 5)


def table_counts(home: Path) -> dict[str, int]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        existing = {f"{s}.{t}" for s, t in con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables").fetchall()}
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in load_schemas() if t in existing}
    finally:
        con.close()


def test_every_table_is_populated(materialized_home):
    counts = table_counts(materialized_home)
    # No gaps on the replayed days: every line player-game has every system's prediction.
    assert counts.pop("nba_predictions.prediction_gaps") == 0
    # Replay has no injury report recorded in this span (only 2024-01-04's): empty, by design.
    assert counts.pop("nba_raw.injury_report") == 0
    assert counts["nba_raw.game_lines"] > 0
    assert all(n > 0 for n in counts.values()), counts
    con = duckdb.connect(str(materialized_home / "warehouse.duckdb"), read_only=True)
    rows = con.execute(
        """SELECT count(*), count(DISTINCT system_id), min(line_value)
           FROM nba_predictions.player_prop_predictions
           WHERE line_value IS NOT NULL AND game_date BETWEEN ? AND ?""",
        [PREDICT_START, PREDICT_END]).fetchone()
    assert rows[0] > 100 and rows[1] >= 3 and rows[2] > 0
    published = sorted((materialized_home / "landing" / "published" / "predictions").glob("*.json"))
    assert [p.stem for p in published] == ["2024-03-04", "2024-03-05", "2024-03-06"]


def test_one_partition_end_to_end_then_rerun_changes_no_row_count(copy_home, instance):
    defs = build_definitions_for(copy_home)
    before = table_counts(copy_home)
    first = run_range(defs, DAY, DAY, instance=instance)
    assert first.success, first.failure
    assert not first.checks_failed, first.checks_failed
    after_first = table_counts(copy_home)
    second = run_range(defs, DAY, DAY, instance=instance)
    assert second.success, second.failure
    assert table_counts(copy_home) == after_first == before


def test_range_backfill_twice_gives_the_same_tables(copy_home, instance):
    defs = build_definitions_for(copy_home)
    selection = AssetSelection.groups("landing", "raw", "analytics")
    before = table_counts(copy_home)
    for _ in range(2):
        result = run_range(defs, date(2024, 2, 20), date(2024, 3, 1), selection=selection,
                           instance=instance)
        assert result.success, result.failure
        assert table_counts(copy_home) == before


def test_day_without_games_is_a_valid_empty_partition(home, instance):
    defs = build_definitions_for(home)
    election_day = date(2023, 11, 7)  # no NBA games that day, still a partition
    result = run_range(defs, election_day, election_day,
                       selection=AssetSelection.groups("landing", "raw", "analytics"),
                       instance=instance)
    assert result.success, result.failure
    counts = table_counts(home)
    assert counts["nba_raw.schedule"] == 0 and counts["nba_raw.player_boxscores"] == 0


@pytest.mark.parametrize("body", [b"{not json", b'{"resource": "leaguegamelog"}'])
def test_bad_payload_fails_naming_source_and_date_and_keeps_the_file(copy_home, instance, body):
    defs = build_definitions_for(copy_home)
    folder = copy_home / "landing" / "nba_com" / "leaguegamelog" / DAY.isoformat()
    landed = next(p for p in folder.rglob("*.json") if p.name != MANIFEST_NAME)
    landed.write_bytes(body)
    before = table_counts(copy_home)["nba_raw.player_boxscores"]
    result = run_range(defs, DAY, DAY, selection=AssetSelection.groups("raw"), instance=instance)
    assert not result.success
    assert "nba_com/leaguegamelog" in result.failure and DAY.isoformat() in result.failure
    assert str(landed.relative_to(copy_home / "landing")) in result.failure
    assert landed.read_bytes() == body  # the bad payload is kept for a person to inspect
    assert table_counts(copy_home)["nba_raw.player_boxscores"] == before  # nothing lost
