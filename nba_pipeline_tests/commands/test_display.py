"""Every command that prints warehouse rows survives NULLs of every type DuckDB returns."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from nba_pipeline.commands import model_report
from nba_pipeline.commands.demo import summary
from nba_pipeline.commands.display import cell, is_null, text
from nba_pipeline.storage.schema import duckdb_create_statement, load_schemas

DEFAULTS = {"STRING": "'x'", "INT64": "1", "FLOAT64": "1.5", "BOOL": "true",
            "DATE": "DATE '2024-03-06'", "TIMESTAMP": "TIMESTAMP '2024-03-06 12:00:00'"}


@pytest.mark.parametrize("value", [None, np.nan, float("nan"), pd.NA, pd.NaT, np.float64("nan"),
                                   pd.Series([None], dtype="boolean").iloc[0],
                                   pd.Series([None], dtype="Int64").iloc[0],
                                   pd.Series([None], dtype="string").iloc[0],
                                   pd.Series([None], dtype="datetime64[ns]").iloc[0]])
def test_every_null_prints_as_a_dash(value):
    assert is_null(value)
    assert cell(value, ".1f", 5) == "    -"
    assert cell(value, "d") == "-" and cell(value) == "-"
    assert text(value, 4) == "-   "


@pytest.mark.parametrize("value,spec,expected", [
    (0, "d", "0"), (False, "", "no"), (True, "", "yes"), (np.bool_(False), "", "no"),
    (21.25, ".1f", "21.2"), (Decimal("3.5"), ".1f", "3.5"), (1234567, ",", "1,234,567"),
    (date(2024, 3, 6), "", "2024-03-06"), ("", "", ""), (2.5, "d", "2.5"),
])
def test_real_values_are_never_dashes(value, spec, expected):
    assert not is_null(value)
    assert cell(value, spec) == expected


def _warehouse(path: Path, *, rows: bool) -> Path:
    """The real DDL in DuckDB; with `rows`, one row per table whose nullable columns are NULL."""
    con = duckdb.connect(str(path))
    for schema in load_schemas().values():
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema.dataset}")
        con.execute(duckdb_create_statement(schema))
        if rows:
            values = ", ".join(DEFAULTS[c.type] if c.required else "NULL"
                               for c in schema.columns)
            con.execute(f"INSERT INTO {schema.name} VALUES ({values})")
    if rows:
        con.execute("UPDATE nba_predictions.player_prop_predictions SET system_id = 'lightgbm', "
                    "recommendation = 'OVER', line_value = 20.5, confidence = 'NaN'::DOUBLE")
        con.execute("UPDATE nba_predictions.prediction_accuracy SET system_id = 'lightgbm'")
    con.close()
    return path


def test_summary_prints_rows_whose_nullable_columns_are_all_null(tmp_path):
    out = summary(_warehouse(tmp_path / "w.duckdb", rows=True), date(2024, 3, 6))
    assert "top LightGBM picks for 2024-03-06" in out
    pick = next(line for line in out.splitlines() if line.strip().startswith("x "))
    assert pick.split()[-1] == "-"  # is_hit NULL: did not play or not graded
    assert "graded predictions" in out and "MAE" in out
    for name in load_schemas():
        assert any(line.split()[:2] == [name, "1"] for line in out.splitlines()), name


def test_summary_of_empty_and_half_built_warehouses(tmp_path):
    out = summary(_warehouse(tmp_path / "empty.duckdb", rows=False), date(2024, 3, 6))
    assert "no LightGBM picks on or before 2024-03-06" in out
    assert "no graded predictions yet" in out
    half = tmp_path / "half.duckdb"
    con = duckdb.connect(str(half))
    con.execute("CREATE SCHEMA nba_raw")
    con.execute(duckdb_create_statement(load_schemas()["nba_raw.schedule"]))
    con.close()
    out = summary(half, date(2024, 3, 6))
    assert any(line.split() == ["nba_raw.schedule", "0"] for line in out.splitlines())
    assert any(line.split() == ["nba_predictions.prediction_accuracy", "-"]
               for line in out.splitlines())
    assert "nothing was materialized" in summary(tmp_path / "missing.duckdb", date(2024, 3, 6))


def test_model_report_renders_missing_figures():
    report = {
        "span": {"start": "2024-03-02", "end": "2024-03-31", "history_start": "2021-10-19"},
        "rows": 0, "feature_version": "v2", "edge_threshold": 1.5, "over_rate_actual": np.nan,
        "mae": {"line": 5.1, "lightgbm": np.nan, "ensemble": None},
        "bias": {"line": pd.NA, "lightgbm": None},
        "n_picks": {"line": 0, "lightgbm": pd.NA},
        "hit_rate": {"lightgbm": np.nan}, "hit_rate_ci95": {"lightgbm": [None, np.nan]},
        "models": [{"model_version": "m1", "trained_through": "2024-03-01", "train_rows": 10,
                    "validation_mae": np.nan}],
        "feature_importance": {"points_avg_10": pd.NA},
    }
    out = model_report.render(report)
    rows = [line.split() for line in out.splitlines()]
    assert rows[rows.index(["predictor", "MAE", "bias", "picks", "hit", "rate", "95%",
                            "interval"]) + 1][0] == "line"
    assert ["lightgbm", "-", "-", "-", "-", "[-,", "-]"] in rows
    assert "validation MAE n/a" in out
