"""The Postgres-backed instance on a real PostgreSQL server (a throwaway loopback cluster):
`init-home --postgres` writes the production settings with no secret in the file or the output,
the storage is dagster-postgres, the run queue and the pools are the production ones, and a
real run's history lands in Postgres."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import psycopg2
import pytest
import yaml
from dagster import AssetSelection, DagsterInstance, DagsterRunStatus
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

from nba_pipeline import local_postgres
from nba_pipeline.cli import main
from nba_pipeline.commands.instance import PG_ENV, prepare_home
from nba_pipeline.lib.warehouse_asset import WAREHOUSE_POOL
from nba_pipeline.local_postgres import Cluster, PostgresMissingError
from nba_pipeline.runner import run_range
from nba_pipeline_tests.conftest import build_definitions_for

PROD = Path(__file__).resolve().parents[2] / "deploy" / "dagster.prod.yaml"


def test_init_home_postgres_writes_the_production_instance(
        tmp_path: Path, postgres_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "pg_home"))
    assert main(["init-home", "--postgres"]) == 0
    out = capsys.readouterr().out
    assert (f"postgres postgres@127.0.0.1:{postgres_env['DAGSTER_PG_PORT']}/"
            f"{postgres_env['DAGSTER_PG_DB']}") in out
    written = (tmp_path / "pg_home" / "dagster.yaml").read_text()
    password = postgres_env["DAGSTER_PG_PASSWORD"]
    assert password not in written and password not in out  # secrets stay in the environment
    config, prod = yaml.safe_load(written), yaml.safe_load(PROD.read_text())
    assert config["storage"]["postgres"]["postgres_db"]["password"] == {
        "env": "DAGSTER_PG_PASSWORD"}
    assert "run_launcher" not in config  # Docker's: production only
    assert {k: v for k, v in prod.items() if k != "run_launcher"} == config

    with DagsterInstance.from_config(str(tmp_path / "pg_home")) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        queue = instance.get_concurrency_config().run_queue_config
        assert queue.max_concurrent_runs == prod["concurrency"]["runs"]["max_concurrent_runs"]
        assert queue.tag_concurrency_limits == prod["concurrency"]["runs"][
            "tag_concurrency_limits"]
        # every declared pool exists before any run, at the production limit
        for pool in ("nba_com_api", "odds_api", WAREHOUSE_POOL):
            info = instance.event_log_storage.get_concurrency_info(pool)
            assert info.slot_count == 1, pool

    # the same home again: kept as it is, a changed default limit applied (on Postgres too);
    # asking for sqlite on it stops with a message
    assert main(["init-home"]) == 0
    (tmp_path / "pg_home" / "dagster.yaml").write_text(
        written.replace("default_limit: 1", "default_limit: 2"))
    assert main(["init-home"]) == 0
    with DagsterInstance.from_config(str(tmp_path / "pg_home")) as instance:
        info = instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL)
        assert (info.slot_count, info.limit) == (2, 2)
    monkeypatch.setenv("NBA_PIPELINE_INSTANCE", "sqlite")
    with pytest.raises(SystemExit, match="is a postgres instance, not sqlite"):
        main(["init-home"])


def test_a_run_is_recorded_in_postgres(home: Path, tmp_path: Path,
                                       postgres_env: dict[str, str]) -> None:
    dagster_home = tmp_path / "pg_home"
    prepare_home(dagster_home, [WAREHOUSE_POOL, "nba_com_api", "odds_api"], kind="postgres")
    day = date(2024, 3, 5)
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        defs = build_definitions_for(home)
        selection = AssetSelection.groups("landing", "raw")
        result = run_range(defs, day, day, instance=instance, selection=selection)
        assert result.success, result.failure
        assert instance.get_run_by_id(result.run_id).status == DagsterRunStatus.SUCCESS
    # read back with a plain client: the materializations are rows in the Postgres event log
    with psycopg2.connect(host=postgres_env["DAGSTER_PG_HOST"],
                          port=int(postgres_env["DAGSTER_PG_PORT"]),
                          user=postgres_env["DAGSTER_PG_USERNAME"],
                          password=postgres_env["DAGSTER_PG_PASSWORD"],
                          dbname=postgres_env["DAGSTER_PG_DB"]) as con, con.cursor() as cur:
        cur.execute("SELECT count(*) FROM event_logs WHERE run_id = %s AND "
                    "dagster_event_type = 'ASSET_MATERIALIZATION'", [result.run_id])
        (materialized,) = cur.fetchone()
    # every landing and raw asset, one date each
    assert materialized == len(selection.resolve(defs.resolve_asset_graph()))


def test_postgres_home_needs_its_environment(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PG_ENV:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit, match="DAGSTER_PG_HOST, DAGSTER_PG_PORT"):
        prepare_home(tmp_path / "pg_home", [], kind="postgres")
    assert not (tmp_path / "pg_home" / "dagster.yaml").exists()


def test_the_cluster_needs_the_password_over_tcp(postgres_cluster: Cluster) -> None:
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(host=postgres_cluster.host, port=postgres_cluster.port,
                         user=postgres_cluster.username, password="wrong", dbname="postgres")


def test_missing_server_binaries_say_how_to_install_them(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PostgresMissingError, match=r"apt-get install postgresql"):
        local_postgres.bin_dir(debian_dirs=str(tmp_path / "none" / "*"))
