"""Real rows from the session warehouse, read once per test module."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from nba_pipeline.storage.schema import conform


@pytest.fixture(scope="module")
def table(materialized_home: Path) -> Callable[[str], pd.DataFrame]:
    """`table("nba_raw.player_boxscores")` -> a fresh, DDL-typed copy of the real rows."""
    con = duckdb.connect(str(materialized_home / "warehouse.duckdb"), read_only=True)
    cache: dict[str, pd.DataFrame] = {}

    def load(name: str) -> pd.DataFrame:
        if name not in cache:
            cache[name] = conform(con.execute(f"select * from {name}").df(), name)
        return cache[name].copy()

    yield load
    con.close()
