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


# Columns added to the DDL after warehouses were first built (issue 14): an old table lacks them.
ADDED_SINCE = {"nba_predictions.player_prop_predictions": ["cold_start", "history_games"],
               "nba_precompute.ml_feature_store_v2": ["history_games", "cold_start"]}


def _old_ddl(ddl: str, dropped: list[str]) -> str:
    """The table's DDL as it was before `dropped` were added (their lines removed)."""
    kept = [line for line in ddl.splitlines()
            if not any(re.match(rf"\s*{c}\s", line) for c in dropped)]
    return "\n".join(kept).replace(",\n)", "\n)")


VALUES = {"STRING": "'x'", "INT64": "1", "FLOAT64": "1.5", "BOOL": "true",
          "DATE": "DATE '2024-03-05'", "TIMESTAMP": "TIMESTAMP '2024-03-05 12:00:00'"}


def _insert(con: duckdb.DuckDBPyConnection, name: str, columns: list) -> None:
    """One row with a value in every given column, inserted by name (as the IO manager does)."""
    con.execute(f"INSERT INTO {name} ({', '.join(c.name for c in columns)}) "
                f"SELECT {', '.join(VALUES[c.type] for c in columns)}")


@pytest.mark.parametrize("name", sorted(ADDED_SINCE))
def test_duckdb_warehouse_adds_the_columns_an_old_table_lacks(tmp_path, name: str) -> None:
    """An old warehouse's table gets the new columns on the next write (`create_table`, which
    the DuckDB IO manager runs before every write and read): old rows read NULL, new rows fit."""
    from nba_pipeline.storage.duckdb_warehouse import create_table

    schema = table_schema(name)
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute(f"CREATE SCHEMA {schema.dataset}")
    con.execute(_old_ddl(duckdb_create_statement(schema), ADDED_SINCE[name]))
    old_columns = [c for c in schema.columns if c.name not in ADDED_SINCE[name]]
    assert [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall()] == [
        c.name for c in old_columns]
    _insert(con, name, old_columns)

    added = create_table(con, schema)
    assert sorted(added) == sorted(ADDED_SINCE[name])
    assert create_table(con, schema) == []  # idempotent
    assert {r[0] for r in con.execute(f"DESCRIBE {name}").fetchall()} == set(schema.column_names)
    _insert(con, name, list(schema.columns))
    rows = con.execute(f"SELECT {', '.join(ADDED_SINCE[name])} FROM {name} "
                       "ORDER BY history_games NULLS FIRST").fetchall()
    assert rows[0] == (None, None) and None not in rows[1]
    con.close()


def test_apply_ddl_adds_the_columns_an_old_bigquery_table_lacks(
        emulators: CloudEmulators, capsys) -> None:
    """`apply-ddl` on a project whose tables predate columns: ALTER TABLE ADD COLUMN, once."""
    from nba_pipeline.storage.bigquery_warehouse import create_statement

    project = f"mig-{uuid.uuid4().hex[:8]}"
    client = emulators.bigquery_client()
    for name, dropped in ADDED_SINCE.items():
        schema = SCHEMAS[name]
        client.query(f"CREATE SCHEMA IF NOT EXISTS `{project}.{schema.dataset}`").result()
        client.query(_old_ddl(create_statement(schema, project), dropped)).result()
        assert not set(dropped) & {f.name for f in client.get_table(f"{project}.{name}").schema}
    argv = ["--project", project, "--emulator-endpoint", emulators.bigquery.endpoint]
    assert apply_ddl_cli.main(argv) == 0
    out = capsys.readouterr().out
    for name, dropped in ADDED_SINCE.items():
        added = next(line for line in out.splitlines() if line.startswith(f"added to {name}:"))
        assert sorted(added.split(": ", 1)[1].split(", ")) == sorted(dropped)
        # What the IO manager then runs: an INSERT naming every DDL column, and reads of them.
        # (The emulator applies ALTER TABLE to its storage but not to its table metadata, so
        # this asserts on queries, not on `get_table().schema`.)
        cols = ", ".join(SCHEMAS[name].column_names)
        client.query(f"INSERT INTO `{project}.{name}` ({cols}) "
                     f"SELECT {cols} FROM `{project}.{name}` WHERE FALSE").result()
        assert list(client.query(f"SELECT {', '.join(dropped)} FROM `{project}.{name}`")
                    .result()) == []
    assert apply_ddl_cli.main(argv) == 0  # again: ADD COLUMN IF NOT EXISTS, nothing fails
