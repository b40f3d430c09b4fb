"""The local sqlite run history skips the per-event disk sync, and only there."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy
from dagster import DagsterInstance, asset, materialize

from nba_pipeline.commands.instance import prepare_home
from nba_pipeline.storage.sqlite_instance import (
    SYNCHRONOUS_ENV,
    PooledSqliteEventLogStorage,
    configure_event_log,
    install_relaxed_sync,
    synchronous_setting,
)

SQLITE_LEVEL = {"OFF": 0, "NORMAL": 1, "FULL": 2, "EXTRA": 3}


def _level(url: str) -> int:
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("PRAGMA synchronous").scalar_one()
    finally:
        engine.dispose()


@asset
def one_row() -> int:
    return 1


def test_the_instance_event_log_in_dagster_home_does_not_sync_per_event(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.delenv(SYNCHRONOUS_ENV, raising=False)
    install_relaxed_sync()
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        assert materialize([one_row], instance=instance).success
        with instance.event_log_storage.index_connection() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == SQLITE_LEVEL["OFF"]
        with instance.run_storage.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == SQLITE_LEVEL["OFF"]
        assert instance.get_latest_materialization_event(one_row.key) is not None


def test_files_outside_dagster_home_keep_sqlite_default(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    install_relaxed_sync()
    assert _level(f"sqlite:///{tmp_path / 'elsewhere.db'}") == SQLITE_LEVEL["FULL"]
    assert _level(f"sqlite:///{tmp_path / 'home' / 'history.db'}") == SQLITE_LEVEL["OFF"]


def test_the_variable_restores_a_stronger_level_and_rejects_a_typo(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    install_relaxed_sync()
    monkeypatch.setenv(SYNCHRONOUS_ENV, "full")
    assert _level(f"sqlite:///{tmp_path / 'history.db'}") == SQLITE_LEVEL["FULL"]
    monkeypatch.setenv(SYNCHRONOUS_ENV, "sometimes")
    with pytest.raises(ValueError, match="expected one of OFF, NORMAL, FULL, EXTRA"):
        synchronous_setting()


def test_a_prepared_home_keeps_one_engine_per_event_log_shard(tmp_path: Path) -> None:
    """The home's event log is the pooled one, in Dagster's own files; another instance on the
    same home (another process's view) reads what it wrote; wipe closes and removes."""
    home = tmp_path / "home"
    prepare_home(home, [], kind="sqlite")
    assert "PooledSqliteEventLogStorage" in (home / "dagster.yaml").read_text()
    with DagsterInstance.from_config(str(home)) as writer, \
            DagsterInstance.from_config(str(home)) as reader:
        storage = writer.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)
        assert Path(storage._base_dir) == home.resolve() / "history" / "runs"
        result = materialize([one_row], instance=writer)
        assert result.success
        engines = dict(storage._engines)
        assert materialize([one_row], instance=writer).success
        assert storage._engines["index"] is engines["index"]  # kept, not rebuilt per write
        assert len(reader.get_records_for_run(result.run_id).records) > 5
        assert reader.get_latest_materialization_event(one_row.key) is not None
        writer.wipe()
        assert result.run_id not in storage._engines  # closed before its file went
        assert writer.get_latest_materialization_event(one_row.key) is None
        assert materialize([one_row], instance=writer).success  # usable after a wipe


def test_only_the_last_shards_stay_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    monkeypatch.setattr(PooledSqliteEventLogStorage, "MAX_OPEN_SHARDS", 2)
    storage = PooledSqliteEventLogStorage(str(tmp_path / "runs"))
    for shard in ("a", "b", "c"):
        with storage.run_connection(shard) as conn:
            conn.exec_driver_sql("SELECT 1")
    assert list(storage._engines) == ["b", "c"]
    storage.dispose()
    assert not storage._engines


def test_an_older_home_gets_the_pooled_log_and_a_configured_one_is_left_alone(
        tmp_path: Path) -> None:
    older = tmp_path / "older"
    older.mkdir()
    (older / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    assert configure_event_log(older) is True
    assert configure_event_log(older) is False  # once
    with DagsterInstance.from_config(str(older)) as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
    custom = tmp_path / "custom"
    custom.mkdir()
    text = f"storage:\n  sqlite:\n    base_dir: {custom}\n"
    (custom / "dagster.yaml").write_text(text)
    assert configure_event_log(custom) is False
    assert (custom / "dagster.yaml").read_text() == text
