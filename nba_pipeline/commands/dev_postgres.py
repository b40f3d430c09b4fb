"""`dagster dev` on the production instance settings, with PostgreSQL storage (`make dev-postgres`).

The server is the one DAGSTER_PG_HOST/PORT/USERNAME/PASSWORD/DB name. With none named, a
cluster of our own is started in NBA_PIPELINE_HOME/postgres (created on first use, kept between
sessions, removed by `make clean`) and stopped when `dagster dev` exits: the repo works offline
with no credentials, and the history survives restarts like a real server's. The password is
passed to `dagster dev` in its environment only, never printed.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from nba_pipeline import local_postgres, paths
from nba_pipeline.commands.instance import PG_ENV, declared_pools, prepare_home

LOCAL_DB = "dagster"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("dagster_args", nargs=argparse.REMAINDER,
                        help="passed to `dagster dev` (default: -h 127.0.0.1 -p 3000)")


def run(args: argparse.Namespace) -> int:
    from nba_pipeline.definitions import build_definitions

    cluster = None
    if not os.environ.get("DAGSTER_PG_HOST"):
        cluster = local_postgres.start(paths.local_home() / "postgres")
        cluster.create_database(LOCAL_DB)
        os.environ.update(cluster.env(LOCAL_DB))
        print(f"local PostgreSQL on 127.0.0.1:{cluster.port} "
              f"({cluster.data_dir}); stopped when dagster dev exits")
    missing = [name for name in PG_ENV if not os.environ.get(name)]
    if missing:
        raise SystemExit(f"dev-postgres: DAGSTER_PG_HOST is set but {', '.join(missing)} "
                         "are not")
    home = paths.dagster_home()
    prepare_home(home, declared_pools(build_definitions()), reap=True, kind="postgres")
    env = os.environ
    print(f"Dagster home {home}: postgres {env['DAGSTER_PG_USERNAME']}@"
          f"{env['DAGSTER_PG_HOST']}:{env['DAGSTER_PG_PORT']}/{env['DAGSTER_PG_DB']}")
    dagster = Path(sys.executable).parent / "dagster"
    extra = [a for a in args.dagster_args if a != "--"] or ["-h", "127.0.0.1", "-p", "3000"]
    proc = subprocess.Popen([str(dagster), "dev", *extra], env={**env, "DAGSTER_HOME": str(home)})
    try:
        return proc.wait()
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (cli.py turns it into the same)
        proc.send_signal(signal.SIGINT)  # dagster dev stops its webserver and daemon itself
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return 130
    finally:
        if cluster is not None:
            local_postgres.stop(cluster)
