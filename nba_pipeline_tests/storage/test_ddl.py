"""sql/ is the source of truth: every table partitioned and clustered, applied to BigQuery
idempotently, mirrored in DuckDB, and never expiring a partition a backfill could write."""

import re
import uuid
from datetime import date

import duckdb
import pytest

from nba_pipeline.definitions import load_defs_folder
from nba_pipeline.partitions import GAME_DATE_START
from nba_pipeline.storage import apply_ddl as apply_ddl_cli
from nba_pipeline.storage.schema import duckdb_create_statement, load_schemas, table_schema
from nba_pipeline_tests.emulators import CloudEmulators

SCHEMAS = load_schemas()


def test_every_warehouse_asset_has_ddl() -> None:
    """Every asset the IO manager stores (it declares `partition_expr`) has a table in sql/."""
    tables = {".".join(key.path) for a in load_defs_folder().assets or [] for key in a.keys
              if "partition_expr" in a.metadata_by_key[key]}
    assert tables and tables <= set(SCHEMAS), tables - set(SCHEMAS)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_table_partitioned_by_game_date_and_clustered(name: str) -> None:
    schema = SCHEMAS[name]
    assert schema.partition_column == "game_date"
    assert schema.columns[0].name == "game_date" and schema.columns[0].required
    assert 1 <= len(schema.clustering) <= 4  # BigQuery allows at most four
    assert set(schema.clustering) <= set(schema.column_names)
    assert 'description = "' in schema.ddl


def test_clustering_named_by_the_issue() -> None:
    assert table_schema("nba_predictions.player_prop_predictions").clustering == (
        "player_lookup", "system_id", "game_date")
    assert table_schema("nba_analytics.player_game_summary").clustering == (
        "player_lookup", "team_abbr", "game_date")


def test_partition_expiry_never_drops_a_backfillable_date() -> None:
    """BigQuery expires a partition by its date: an expiry shorter than the age of the first
    game date plus a year of margin would drop backfilled seasons on arrival."""
    oldest = (date.today() - date.fromisoformat(GAME_DATE_START)).days + 365
    for name, schema in SCHEMAS.items():
        for days in re.findall(r"partition_expiration_days\s*=\s*(\d+)", schema.ddl):
            assert int(days) > oldest, (name, days)


def test_duckdb_tables_mirror_the_ddl() -> None:
    con = duckdb.connect()
    for schema in SCHEMAS.values():
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema.dataset}")
        con.execute(duckdb_create_statement(schema))
        described = con.execute(f"DESCRIBE {schema.name}").fetchall()
        assert [row[0] for row in described] == schema.column_names
        assert [row[2] == "NO" for row in described] == [c.required for c in schema.columns]


def test_apply_ddl_creates_every_table_idempotently(emulators: CloudEmulators, capsys) -> None:
    project = f"ddl-{uuid.uuid4().hex[:8]}"
    argv = ["--project", project, "--emulator-endpoint", emulators.bigquery.endpoint]
    assert apply_ddl_cli.main(argv) == 0
    assert apply_ddl_cli.main(argv) == 0  # again: IF NOT EXISTS, nothing fails or changes
    assert f"applied {len(SCHEMAS)} tables" in capsys.readouterr().out
    client = emulators.bigquery_client()
    for name, schema in SCHEMAS.items():
        table = client.get_table(f"{project}.{name}")
        assert table.time_partitioning.field == "game_date"
        assert [f.name for f in table.schema] == schema.column_names
        assert [f.mode == "REQUIRED" for f in table.schema] == [c.required for c in schema.columns]
        assert table.description


def test_apply_ddl_print_renders_project(capsys) -> None:
    assert apply_ddl_cli.main(["--project", "my-proj", "--print"]) == 0
    out = capsys.readouterr().out
    assert "{project}" not in out
    for name in SCHEMAS:
        assert f"`my-proj.{name}`" in out
    assert apply_ddl_cli.main(["--project", ""]) == 2
