"""The two warehouses behind one small test interface, plus a tiny partitioned asset graph.

The contract suite runs the same assertions against DuckDB (file in a temp dir) and BigQuery
(the emulator, a fresh project per test so tests never see each other's tables).
"""

import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from dagster import AssetIn, Config, MaterializeResult, Output, asset

from nba_pipeline.lib.warehouse_asset import (
    partition_dates,
    table_frame,
    table_key,
    warehouse_asset,
)
from nba_pipeline.partitions import daily_partitions
from nba_pipeline.storage.bigquery_warehouse import (
    WarehouseBigQueryIOManager,
    WarehouseBigQueryPandasTypeHandler,
    make_client,
    read_frame,
)
from nba_pipeline.storage.duckdb_warehouse import (
    SchemaDuckDBPandasTypeHandler,
    WarehouseDuckDBIOManager,
)
from nba_pipeline.storage.schema import table_schema
from nba_pipeline.tables import Table

TABLE = "nba_predictions.points_model"
# The real table, written by a test asset of its own group.
CONTRACT_TABLE = Table(TABLE, "contract")
ROWS_PER_DAY = 3
INJECTED = "injected failure after delete and insert"


class RowsConfig(Config):
    version: str = "a"
    bad_columns: bool = False
    lossy: bool = False
    empty: bool = False


def rows_for(day: date, version: str = "a") -> list[dict[str, Any]]:
    return [{"game_date": pd.Timestamp(day), "model_version": f"{version}-{i}",
             "feature_version": "v2", "trained_through": pd.Timestamp(day) - pd.Timedelta(days=1),
             "train_rows": 1000 + i, "validation_rows": 100 + i,
             "validation_mae": None if i == 0 else 4.5 + i, "artifact_key": f"models/{day}/{i}",
             "ensemble_line_weight": 0.55, "ensemble_baseline_weight": 0.15,
             "blend_line_rows": 100 * i, "blend_source": "prior"}
            for i in range(ROWS_PER_DAY)]


@warehouse_asset(CONTRACT_TABLE)
def points_model(context, config: RowsConfig) -> Output:
    """Deterministic rows for every date of the run; `bad_columns` and `lossy` skip conforming."""
    frame = pd.DataFrame([r for d in partition_dates(context) for r in rows_for(d, config.version)])
    if config.empty:
        frame = frame.iloc[0:0]
    if config.bad_columns:
        return Output(frame.drop(columns=["artifact_key"]).assign(bogus_column=1))
    if config.lossy:  # fractions into INT64: the IO manager must refuse, not round
        return Output(frame.assign(train_rows=frame["train_rows"] + 0.5))
    return Output(table_frame(frame, CONTRACT_TABLE))


@asset(key=["contract", "reader"], partitions_def=daily_partitions,
       ins={"model": AssetIn(table_key(CONTRACT_TABLE))},
       backfill_policy=points_model.backfill_policy)
def reader(model: pd.DataFrame) -> MaterializeResult:
    """Loads the run's range of the table through the IO manager and reports what it saw."""
    return MaterializeResult(metadata={
        "rows": len(model), "columns": ",".join(model.columns),
        "dates": ",".join(sorted({str(d.date()) for d in model["game_date"]})),
        "date_dtype": str(model["game_date"].dtype),
    })


class FailingDuckDBHandler(SchemaDuckDBPandasTypeHandler):
    def replace_statements(self, *args: Any) -> list[str]:
        return [*super().replace_statements(*args), f"SELECT error('{INJECTED}')"]


class FailingDuckDBIOManager(WarehouseDuckDBIOManager):
    @staticmethod
    def type_handlers() -> list:
        return [FailingDuckDBHandler()]


class FailingBigQueryHandler(WarehouseBigQueryPandasTypeHandler):
    def replace_statements(self, *args: Any) -> list[str]:
        return [*super().replace_statements(*args), f"SELECT ERROR('{INJECTED}');"]


class FailingBigQueryIOManager(WarehouseBigQueryIOManager):
    @staticmethod
    def type_handlers() -> list:
        return [FailingBigQueryHandler()]


@dataclass
class Warehouse:
    """One warehouse under test: build its IO manager (optionally failing) and read a table."""

    kind: str
    location: str  # DuckDB file path, or the BigQuery emulator endpoint
    project: str = ""

    def io_manager(self, failing: bool = False) -> Any:
        if self.kind == "duckdb":
            cls = FailingDuckDBIOManager if failing else WarehouseDuckDBIOManager
            return cls(database=self.location)
        cls = FailingBigQueryIOManager if failing else WarehouseBigQueryIOManager
        return cls(project=self.project, emulator_endpoint=self.location)

    def client(self) -> Any:
        """A BigQuery client on the emulator (BigQuery warehouses only)."""
        return make_client(self.project, emulator_endpoint=self.location)

    def read(self, table: str = TABLE) -> pd.DataFrame:
        """The whole table, sorted, as the warehouse holds it (read outside Dagster)."""
        schema = table_schema(table)
        cols = ", ".join(schema.column_names)
        if self.kind == "duckdb":
            with duckdb.connect(self.location, read_only=True) as con:
                frame = con.execute(f"SELECT {cols} FROM {table}").df()
            frame["game_date"] = frame["game_date"].astype("datetime64[ns]")
            frame["trained_through"] = frame["trained_through"].astype("datetime64[ns]")
        else:
            sql = f"SELECT {cols} FROM `{self.project}.{table}`"
            frame = read_frame(self.client(), sql, schema)
        return frame.sort_values(["game_date", "model_version"]).reset_index(drop=True)


def duckdb_warehouse(tmp: Path) -> Warehouse:
    return Warehouse("duckdb", str(tmp / "warehouse.duckdb"))


def bigquery_warehouse(endpoint: str) -> Warehouse:
    return Warehouse("bigquery", endpoint, project=f"contract-{uuid.uuid4().hex[:10]}")
