"""Prepare the Dagster home (dagster.yaml, storage, pool limits) before `dagster dev` opens it."""

from __future__ import annotations

import argparse

from nba_pipeline import paths
from nba_pipeline.commands.instance import declared_pools, prepare_home


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Create DAGSTER_HOME from the repository's dagster.yaml with its "
                          "storage and every pool of the graph, so runs started together "
                          "never race to create them.")


def run(args: argparse.Namespace) -> int:
    from nba_pipeline.definitions import build_definitions

    home = paths.dagster_home()
    pools = declared_pools(build_definitions())
    for line in prepare_home(home, pools, reap=True):
        print(line)  # noqa: T201
    print(f"Dagster home {home} ready: pools {', '.join(sorted(pools))}")  # noqa: T201
    return 0
