"""Prepare the Dagster home (dagster.yaml, storage, pool limits) before `dagster dev` opens it."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from nba_pipeline import paths
from nba_pipeline.commands.instance import (
    declared_pools,
    home_storage,
    instance_kind,
    prepare_home,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Create DAGSTER_HOME from the repository's dagster.yaml with its "
                          "storage and every pool of the graph, so runs started together "
                          "never race to create them.")
    parser.add_argument("--postgres", action="store_true",
                        help="a new home gets the production instance (deploy/dagster.prod.yaml "
                             "without its container launcher) on the PostgreSQL server named by "
                             "DAGSTER_PG_HOST/PORT/USERNAME/PASSWORD/DB; same as "
                             "NBA_PIPELINE_INSTANCE=postgres")


def storage_summary(home: Path) -> str:
    """Where the instance keeps its history, without the password."""
    if home_storage(home) != "postgres":
        return "sqlite files in the home"
    env = os.environ
    return (f"postgres {env.get('DAGSTER_PG_USERNAME')}@{env.get('DAGSTER_PG_HOST')}:"
            f"{env.get('DAGSTER_PG_PORT')}/{env.get('DAGSTER_PG_DB')}")


def run(args: argparse.Namespace) -> int:
    from nba_pipeline.definitions import build_definitions

    home = paths.dagster_home()
    kind = instance_kind(args.postgres)
    pools = declared_pools(build_definitions())
    for line in prepare_home(home, pools, reap=True, kind=kind):
        print(line)  # noqa: T201
    print(f"Dagster home {home} ready ({storage_summary(home)}): "  # noqa: T201
          f"pools {', '.join(sorted(pools))}")
    return 0
