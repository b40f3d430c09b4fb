"""A held pool slot is never given to a second step, on sqlite and on PostgreSQL.

The race (storage/pool_slots.py): two claimers both select the one free slot, then both write
it by id. Here the losing write is replayed as Dagster issues it, after the winner's claim, so
the interleaving is deterministic; the two-process test in automation/test_concurrency.py runs
the real thing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import DagsterInstance
from dagster._core.storage.event_log.schema import ConcurrencySlotsTable
from sqlalchemy import text

from nba_pipeline.commands.instance import prepare_home
from nba_pipeline.lib.warehouse_asset import WAREHOUSE_POOL
from nba_pipeline.storage.pool_slots import TRIGGER, guard_pool_slots

POOLS = [WAREHOUSE_POOL, "nba_com_api", "odds_api"]


def late_claim(instance: DagsterInstance, run_id: str, step_key: str) -> int:
    """Dagster's claim write for the pool's only slot, by a claimer that saw it free: the rows
    it changed."""
    storage = instance.event_log_storage
    with storage.index_transaction() as conn:
        (slot_id,) = conn.execute(ConcurrencySlotsTable.select().with_only_columns(
            ConcurrencySlotsTable.c.id).where(
                ConcurrencySlotsTable.c.concurrency_key == WAREHOUSE_POOL)).one()
        return conn.execute(ConcurrencySlotsTable.update().values(
            run_id=run_id, step_key=step_key).where(
                ConcurrencySlotsTable.c.id == slot_id)).rowcount


def holders(instance: DagsterInstance) -> list[tuple[str, str]]:
    info = instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL)
    return [(slot.run_id, slot.step_key) for slot in info.claimed_slots]


def assert_one_claim_per_slot(instance: DagsterInstance) -> None:
    storage = instance.event_log_storage
    assert storage.claim_concurrency_slot(WAREHOUSE_POOL, "run-a", "step").is_claimed
    assert late_claim(instance, "run-b", "step") == 0  # the database refused the second claim
    assert holders(instance) == [("run-a", "step")]
    storage.free_concurrency_slots_for_run("run-a")
    assert holders(instance) == []
    assert late_claim(instance, "run-b", "step") == 1  # a free slot is claimed as before
    assert holders(instance) == [("run-b", "step")]


@pytest.fixture
def sqlite_home(tmp_path: Path) -> Path:
    prepare_home(tmp_path / "home", POOLS, kind="sqlite")
    return tmp_path / "home"


def test_a_held_slot_is_not_given_to_a_second_step_on_sqlite(sqlite_home: Path) -> None:
    with DagsterInstance.from_config(str(sqlite_home)) as instance:
        assert_one_claim_per_slot(instance)


def test_without_the_guard_the_second_claim_takes_the_held_slot(sqlite_home: Path) -> None:
    """The failure the guard prevents: the late write overwrites the holder, so two steps run."""
    with DagsterInstance.from_config(str(sqlite_home)) as instance:
        storage = instance.event_log_storage
        with storage.index_transaction() as conn:
            conn.execute(text(f"DROP TRIGGER {TRIGGER}"))
        assert storage.claim_concurrency_slot(WAREHOUSE_POOL, "run-a", "step").is_claimed
        assert late_claim(instance, "run-b", "step") == 1
        assert holders(instance) == [("run-b", "step")]
        # installing it again (what the next command does) is idempotent and restores it
        assert guard_pool_slots(storage) == guard_pool_slots(storage) == "sqlite"
        storage.free_concurrency_slots_for_run("run-b")
        assert_one_claim_per_slot(instance)


def test_a_held_slot_is_not_given_to_a_second_step_on_postgres(
        tmp_path: Path, postgres_env: dict[str, str]) -> None:
    home = tmp_path / "pg_home"
    prepare_home(home, POOLS, kind="postgres")
    prepare_home(home, POOLS)  # a second preparation replaces the guard in place
    with DagsterInstance.from_config(str(home)) as instance:
        assert guard_pool_slots(instance.event_log_storage) == "postgresql"
        assert_one_claim_per_slot(instance)


def test_a_storage_without_sql_tables_is_left_alone() -> None:
    assert guard_pool_slots(object()) is None
