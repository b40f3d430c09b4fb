"""One contract, two warehouses: DuckDB (`local`) and BigQuery (`gcp`, served by the emulator).

Both must: replace exactly the partitions a run writes; give the same tables when a run or a
range backfill is repeated; store and load a range with one statement per table; let two runs
write different partitions of one table at once; leave the previous rows intact when a write
fails; refuse a frame that does not match the DDL or would lose values in the cast, naming the
columns.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from dagster import DagsterInstance, Definitions, materialize
from pandas.testing import assert_frame_equal

from nba_pipeline.runner import run_range
from nba_pipeline_tests.emulators import CloudEmulators
from nba_pipeline_tests.storage.warehouses import (
    INJECTED,
    ROWS_PER_DAY,
    Warehouse,
    bigquery_warehouse,
    duckdb_warehouse,
    points_model,
    reader,
    rows_for,
)

D1, D2, D3 = date(2024, 3, 4), date(2024, 3, 5), date(2024, 3, 6)


@pytest.fixture(params=["duckdb", "bigquery"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    if request.param == "duckdb":
        return duckdb_warehouse(tmp_path)
    emulators: CloudEmulators = request.getfixturevalue("emulators")
    return bigquery_warehouse(emulators.bigquery.endpoint)


def write(wh: Warehouse, day: date, *, version: str = "a", failing: bool = False,
          bad_columns: bool = False, lossy: bool = False, empty: bool = False,
          instance: DagsterInstance | None = None):
    return materialize(
        [points_model], partition_key=day.isoformat(), instance=instance,
        resources={"io_manager": wh.io_manager(failing=failing)},
        run_config={"ops": {"nba_predictions__points_model": {
            "config": {"version": version, "bad_columns": bad_columns, "lossy": lossy,
                       "empty": empty}}}},
        raise_on_error=False,
    )


def expected(days: list[date], version: str = "a") -> pd.DataFrame:
    frame = pd.DataFrame([r for d in days for r in rows_for(d, version)])
    return frame.sort_values(["game_date", "model_version"]).reset_index(drop=True)


def assert_table(wh: Warehouse, days_versions: dict[date, str]) -> None:
    got = wh.read()
    want = pd.concat([expected([d], v) for d, v in sorted(days_versions.items())],
                     ignore_index=True)
    assert len(got) == len(want) == ROWS_PER_DAY * len(days_versions)
    assert_frame_equal(got, want, check_dtype=False)


def error_text(result) -> str:
    """Every failure message of a run, causes included."""
    texts = []
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data:
            err = event.step_failure_data.error
            while err is not None:
                texts.append(err.message)
                err = err.cause
    return "\n".join(texts)


def test_same_partition_twice_gives_same_rows(warehouse: Warehouse) -> None:
    assert write(warehouse, D1).success
    assert write(warehouse, D2).success
    first = warehouse.read()
    assert write(warehouse, D1).success
    assert_frame_equal(warehouse.read(), first)
    assert_table(warehouse, {D1: "a", D2: "a"})
    # A new version of D1 replaces exactly D1: D2 untouched, nothing duplicated.
    assert write(warehouse, D1, version="b").success
    assert_table(warehouse, {D1: "b", D2: "a"})


def test_range_backfill_twice_gives_same_tables_one_statement_per_table(
        warehouse: Warehouse) -> None:
    defs = Definitions(assets=[points_model, reader],
                       resources={"io_manager": warehouse.io_manager()})
    start, end = D1, D1 + timedelta(days=9)
    days = [start + timedelta(days=i) for i in range(10)]
    with DagsterInstance.ephemeral() as instance:
        for _ in range(2):
            result = run_range(defs, start, end, instance=instance)
            assert result.success, result.failure
            assert_table(warehouse, dict.fromkeys(days, "a"))
        # The reader loaded the whole range in one run, with the DDL's column names (not
        # upper-cased, #14129) and dates as datetimes.
        event = instance.get_latest_materialization_event(reader.key)
        meta = {k: v.value for k, v in event.asset_materialization.metadata.items()}
        assert meta["rows"] == ROWS_PER_DAY * len(days)
        assert meta["dates"] == ",".join(d.isoformat() for d in days)
        assert meta["columns"].split(",")[:2] == ["game_date", "model_version"]
        assert meta["date_dtype"] == "datetime64[ns]"
        # One statement for the whole range: the stored slice is [start, end + 1 day).
        written = instance.get_latest_materialization_event(points_model.key)
        query = written.asset_materialization.metadata["Query"].value
        assert f"'{start.isoformat()}" in query and f"'{(end + timedelta(days=1))}" in query
    if warehouse.kind == "bigquery":
        # The emulator's job log: per run, one DELETE of the window and one SELECT of the range.
        jobs = [j.query for j in warehouse.client().list_jobs(max_results=500)
                if j.job_type == "query"]
        table = f"`{warehouse.project}.nba_predictions.points_model`"
        assert sum(f"DELETE FROM {table}" in q for q in jobs) == 2
        loads = [q for q in jobs if q.startswith("SELECT") and table in q and "WHERE" in q]
        assert len(loads) == 2 and f"DATE '{start.isoformat()}'" in loads[0]


def test_two_runs_writing_different_partitions_at_once_both_land(
        warehouse: Warehouse) -> None:
    days = [D1, D2, D3, D3 + timedelta(days=1)]
    results: dict[date, bool] = {}

    def run(day: date) -> None:
        results[day] = write(warehouse, day, version=f"t{day.day}").success

    for _ in range(2):  # twice: the second round replaces concurrently, too
        threads = [threading.Thread(target=run, args=(d,)) for d in days]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert all(results[d] for d in days), results
    assert_table(warehouse, {d: f"t{d.day}" for d in days})


def _write_in_process(kind: str, location: str, project: str, day: date) -> bool:
    """Runs in a separate process: a separate Dagster run, as a run launcher would start."""
    wh = Warehouse(kind, location, project)
    return write(wh, day, version=f"p{day.day}").success


@pytest.fixture(scope="module")
def process_pool() -> Iterator[ProcessPoolExecutor]:
    """Two worker processes, started once for both warehouses (spawning costs seconds)."""
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        yield pool


def test_two_processes_writing_different_partitions_both_land(
        warehouse: Warehouse, process_pool: ProcessPoolExecutor) -> None:
    """DuckDB allows one writer process: the second waits for the lock instead of failing."""
    days = [D1, D2]
    futures = [process_pool.submit(_write_in_process, warehouse.kind, warehouse.location,
                                   warehouse.project, d) for d in days]
    assert [f.result(timeout=180) for f in futures] == [True, True]
    assert_table(warehouse, {d: f"p{d.day}" for d in days})


def test_failed_write_leaves_previous_partition_intact(warehouse: Warehouse) -> None:
    assert write(warehouse, D1).success
    assert write(warehouse, D2).success
    # The failure comes after the DELETE and the INSERT ran, inside the same transaction.
    failed = write(warehouse, D1, version="b", failing=True)
    assert not failed.success
    assert INJECTED in error_text(failed)
    assert_table(warehouse, {D1: "a", D2: "a"})


def test_frame_not_matching_table_fails_naming_columns(warehouse: Warehouse) -> None:
    assert write(warehouse, D1).success
    result = write(warehouse, D1, version="b", bad_columns=True)
    assert not result.success
    text = error_text(result)
    assert "artifact_key" in text and "bogus_column" in text, text
    assert_table(warehouse, {D1: "a"})


def test_lossy_cast_fails_naming_the_column(warehouse: Warehouse) -> None:
    """Both IO managers conform on write, but never round: 1000.5 is not an INT64."""
    assert write(warehouse, D1).success
    result = write(warehouse, D1, version="b", lossy=True)
    assert not result.success
    assert "['train_rows']" in error_text(result)
    assert_table(warehouse, {D1: "a"})


def test_empty_day_replaces_partition_with_nothing(warehouse: Warehouse) -> None:
    assert write(warehouse, D1).success
    assert write(warehouse, D2).success
    assert write(warehouse, D1, empty=True).success
    assert_table(warehouse, {D2: "a"})


def test_duckdb_writer_waits_while_another_process_holds_the_file(
        tmp_path: Path, process_pool: ProcessPoolExecutor) -> None:
    """DuckDB's one-writer-process lock: a run that finds the file locked retries, then lands."""
    import time

    import duckdb

    # Warm both workers first (imports take seconds), so waiting below means waiting for a lock.
    warm = [process_pool.submit(_write_in_process, "duckdb", str(tmp_path / f"warm{i}.duckdb"),
                                "", D2) for i in range(2)]
    assert [f.result(timeout=120) for f in warm] == [True, True]
    wh = duckdb_warehouse(tmp_path)
    holder = duckdb.connect(wh.location)  # this process now holds the write lock
    try:
        future = process_pool.submit(_write_in_process, wh.kind, wh.location, "", D1)
        time.sleep(3)
        assert not future.done(), "the writer should be waiting for the lock"
    finally:
        holder.close()
    assert future.result(timeout=120) is True
    assert_table(wh, {D1: f"p{D1.day}"})
