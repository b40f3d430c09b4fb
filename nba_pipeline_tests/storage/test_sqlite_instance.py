"""The local sqlite run history skips the per-event disk sync, and only there."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy
from dagster import DagsterInstance, asset, materialize

from nba_pipeline.storage.sqlite_instance import (
    SYNCHRONOUS_ENV,
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
