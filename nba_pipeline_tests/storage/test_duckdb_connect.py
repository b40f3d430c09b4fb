"""The DuckDB warehouse waits only for another writer's lock; other errors raise at once."""

from __future__ import annotations

import subprocess
import sys
import time

import duckdb
import pytest

from nba_pipeline.storage.duckdb_warehouse import connect_waiting_for_lock, is_lock_error


def test_a_corrupt_file_raises_at_once(tmp_path):
    database = tmp_path / "warehouse.duckdb"
    database.write_bytes(b"not a duckdb file" * 100)
    started = time.monotonic()
    with pytest.raises(duckdb.Error) as exc:
        connect_waiting_for_lock(str(database), {})
    assert not is_lock_error(exc.value)
    assert time.monotonic() - started < 5


def test_another_writer_is_waited_for(tmp_path):
    """A real second process holds the write lock for ~2 s; the connect succeeds after it."""
    database = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(database)).close()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
        "time.sleep(2); c.close()"), str(database)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(duckdb.IOException) as exc:  # what the loop waits out
            duckdb.connect(str(database))
        assert is_lock_error(exc.value)
        conn = connect_waiting_for_lock(str(database), {})
        conn.execute("CREATE TABLE t AS SELECT 1 AS x")
        conn.close()
    finally:
        holder.wait(timeout=30)
