"""Storage fixtures: the cloud emulators, started once per session (a missing one fails)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from nba_pipeline_tests.emulators import CloudEmulators, cloud_emulators


@pytest.fixture(scope="session")
def emulators() -> Iterator[CloudEmulators]:
    with cloud_emulators() as started:
        yield started


@pytest.fixture
def bucket(emulators: CloudEmulators) -> str:
    """A fresh bucket on fake-gcs-server."""
    return emulators.create_bucket(f"landing-{uuid.uuid4().hex[:10]}")
