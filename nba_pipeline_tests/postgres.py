"""A throwaway PostgreSQL cluster for the tests of the Postgres-backed instance.

The server is Debian's (`initdb`, `pg_ctl`): a missing install FAILS the tests that need it with
how to install it (`apt-get install postgresql`, part of `make test` via `make postgres`); it
never skips. One cluster per session on a free loopback port (`nba_pipeline.local_postgres`,
which also handles running as root), one new database per test, so every test gets a fresh
instance.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from nba_pipeline import local_postgres
from nba_pipeline.local_postgres import Cluster, PostgresMissingError


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """Start a cluster in a new temp folder; stop it and remove the folder afterwards.

    The folder is made by mkdtemp under the system temp dir (not pytest's 0700 tree), so the
    unprivileged server user can reach it when we run as root.
    """
    root = Path(tempfile.mkdtemp(prefix="nba_pg_"))
    try:
        cluster = local_postgres.start(root)
        try:
            yield cluster
        finally:
            local_postgres.stop(cluster)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def cluster_or_fail() -> Iterator[Cluster]:
    try:
        local_postgres.bin_dir()
    except PostgresMissingError as exc:
        pytest.fail(str(exc), pytrace=False)
    with throwaway_cluster() as cluster:
        yield cluster


def new_database(cluster: Cluster) -> dict[str, str]:
    """A fresh database; returns the DAGSTER_PG_* environment pointing at it."""
    name = f"dagster_{uuid.uuid4().hex[:10]}"
    cluster.create_database(name)
    return cluster.env(name)
