"""Shared fixtures: real DuckDB warehouses and landing folders in temp dirs, real Dagster instances.

`materialized_home` builds one small warehouse per test session (history, then a few game days
with real points lines through every asset). Tests that change data must copy it first
(`copy_home`), never write into it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from dagster import AssetSelection, DagsterInstance, Definitions

from nba_pipeline.definitions import build_definitions
from nba_pipeline.local_postgres import Cluster
from nba_pipeline.profiles import local_resources
from nba_pipeline.runner import run_range
from nba_pipeline_tests.postgres import cluster_or_fail, new_database

HISTORY_START = date(2024, 1, 22)
HISTORY_END = date(2024, 3, 1)
PREDICT_START = date(2024, 3, 4)
PREDICT_END = date(2024, 3, 6)
HISTORY_GROUPS = ("landing", "raw", "analytics", "precompute")

os.environ.setdefault("NO_GCE_CHECK", "true")


def build_home(home: Path, instance: DagsterInstance | None = None) -> Path:
    """Materialize history then full prediction days into `home` (a local-profile folder)."""
    defs = build_definitions_for(home)
    instance = instance or DagsterInstance.ephemeral()
    hist = run_range(defs, HISTORY_START, HISTORY_END,
                     selection=AssetSelection.groups(*HISTORY_GROUPS), instance=instance)
    assert hist.success, hist.failure
    full = run_range(defs, PREDICT_START, PREDICT_END, instance=instance)
    assert full.success, full.failure
    return home


def build_definitions_for(home: Path) -> Definitions:
    """Definitions on the local profile, pointed at `home` instead of the repo's data folder."""
    return build_definitions(resources=local_resources(home))


@pytest.fixture(scope="session")
def materialized_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_home(tmp_path_factory.mktemp("materialized_home"))


@pytest.fixture
def copy_home(materialized_home: Path, tmp_path: Path) -> Path:
    """A private copy of the session warehouse, safe to modify."""
    target = tmp_path / "home"
    shutil.copytree(materialized_home, target)
    return target


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty local-profile folder."""
    return tmp_path / "home"


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    with DagsterInstance.ephemeral() as inst:
        yield inst


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """One throwaway PostgreSQL server for the session (fails, never skips, if not installed)."""
    yield from cluster_or_fail()


@pytest.fixture
def postgres_env(postgres_cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A fresh database on the session's server, its DAGSTER_PG_* variables set for the test."""
    env = new_database(postgres_cluster)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env
