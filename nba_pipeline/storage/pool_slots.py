"""One step per pool slot, whatever the timing of the steps that claim it.

Dagster claims a pool slot in two statements: it selects a free slot row, then sets that row's
run and step by id. On sqlite the select runs outside any transaction, and on PostgreSQL the
index connection autocommits, so its `FOR UPDATE` lock ends with the select. Two run processes
that claim at the same moment both find the one free slot, both write it and both run: two
DuckDB writers at once, under a `warehouse` pool whose limit is one. The repository's
two-process pool test (automation/test_concurrency.py) saw this in 3 runs of 6 on a quiet
machine.

Dagster already treats an update that changes no row as a lost claim (the step waits and tries
again). The guard is a trigger that makes the second write change no row: the database turns
any update that gives a held slot to another step into a no-op. Freeing a slot (step set to
NULL) and marking it deleted are untouched. It is installed by `prepare_home`, which every
command and `make dev` run first, and it is idempotent, so a home made before it gets it on
its next command.
"""

from __future__ import annotations

from sqlalchemy import text

TRIGGER = "nba_pipeline_one_claim_per_slot"

_SQLITE = f"""
CREATE TRIGGER IF NOT EXISTS {TRIGGER}
BEFORE UPDATE OF step_key ON concurrency_slots FOR EACH ROW
WHEN OLD.step_key IS NOT NULL AND NEW.step_key IS NOT NULL
BEGIN SELECT RAISE(IGNORE); END
"""

_POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger AS $$
BEGIN
    IF OLD.step_key IS NOT NULL AND NEW.step_key IS NOT NULL THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""

_POSTGRES_TRIGGER = f"""
CREATE OR REPLACE TRIGGER {TRIGGER}
BEFORE UPDATE OF step_key ON concurrency_slots FOR EACH ROW
EXECUTE FUNCTION {TRIGGER}()
"""

# Any fixed number: machines preparing one Postgres instance together take turns.
_POSTGRES_LOCK_KEY = 0x6E6261


def guard_pool_slots(event_log_storage: object) -> str | None:
    """Install the one-claim-per-slot trigger in the storage's index database; the dialect it
    was installed for, or None for a storage without SQL concurrency tables."""
    index_transaction = getattr(event_log_storage, "index_transaction", None)
    if index_transaction is None:
        return None
    with index_transaction() as conn:
        dialect = conn.dialect.name
        if dialect == "sqlite":
            conn.execute(text(_SQLITE))
        elif dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _POSTGRES_LOCK_KEY})
            conn.execute(text(_POSTGRES_FUNCTION))
            conn.execute(text(_POSTGRES_TRIGGER))
        else:
            return None
    return dialect
