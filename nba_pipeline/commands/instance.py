"""The Dagster instance the commands share with `make dev`, and the checks every range needs."""

from __future__ import annotations

import os
import shutil
from datetime import date

from dagster import DagsterInstance

from nba_pipeline import paths
from nba_pipeline.partitions import InvalidRangeError, validate_range


def local_instance() -> DagsterInstance:
    """DAGSTER_HOME, or the default home beside the data, created from dagster.yaml if new.

    With DAGSTER_HOME unset, Dagster itself raises; here the commands and the UI agree on one
    on-disk home instead.
    """
    home = paths.dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(paths.instance_template(), home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    return DagsterInstance.get()


def checked_range(command: str, start: date, end: date) -> None:
    """Exit with a message naming the bad date before any run starts."""
    try:
        validate_range(start, end)
    except InvalidRangeError as exc:
        raise SystemExit(f"{command}: {exc}") from None
