"""Where the package finds the files it ships and where a run keeps its data, installed or not.

Two ways to run: from a source checkout (`make`, an editable install), where `sql/`,
`dagster.yaml` and the data folders sit beside the package; or from a wheel (`pip install .`),
where the build copied `sql/` and `dagster.yaml` into the package and data goes under the working
directory. Every location can be set by its environment variable; nothing here depends on the
current directory when running from a checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# What setup.py's build step copies into the wheel (see `build_py_with_shipped_files`).
SHIPPED_SQL = PACKAGE_DIR / "sql"
SHIPPED_INSTANCE_TEMPLATE = PACKAGE_DIR / "dagster.yaml"
SHIPPED_PRODUCTION_INSTANCE = PACKAGE_DIR / "dagster.prod.yaml"


def checkout_root() -> Path | None:
    """The repository root when the package runs from a source checkout, else None."""
    root = PACKAGE_DIR.parent
    if (root / "setup.py").is_file() and (root / "sql").is_dir():
        return root
    return None


def sql_dir() -> Path:
    """The BigQuery DDL: the wheel's packaged copy, else the checkout's top-level `sql/`."""
    if SHIPPED_SQL.is_dir():
        return SHIPPED_SQL
    root = checkout_root()
    if root is None:
        raise FileNotFoundError(f"no DDL found: neither {SHIPPED_SQL} nor a checkout's sql/")
    return root / "sql"


def instance_template() -> Path:
    """The `dagster.yaml` a new local Dagster home starts from."""
    if SHIPPED_INSTANCE_TEMPLATE.is_file():
        return SHIPPED_INSTANCE_TEMPLATE
    root = checkout_root()
    if root is None:
        raise FileNotFoundError(f"no dagster.yaml found: neither {SHIPPED_INSTANCE_TEMPLATE} "
                                "nor a checkout's dagster.yaml")
    return root / "dagster.yaml"


def production_instance() -> Path:
    """`deploy/dagster.prod.yaml` (Postgres storage, run queue, pools): the checkout's or the
    wheel's copy. `init-home --postgres` builds a local Postgres-backed home from it."""
    if SHIPPED_PRODUCTION_INSTANCE.is_file():
        return SHIPPED_PRODUCTION_INSTANCE
    root = checkout_root()
    if root is None:
        raise FileNotFoundError(f"no dagster.prod.yaml found: neither "
                                f"{SHIPPED_PRODUCTION_INSTANCE} nor a checkout's deploy/")
    return root / "deploy" / "dagster.prod.yaml"


def _run_root() -> Path:
    """The checkout when there is one (so `make` and the CLI agree), else the working dir."""
    return checkout_root() or Path.cwd()


def local_home() -> Path:
    """The `local` profile's DuckDB file and landing folder: NBA_PIPELINE_HOME or a default."""
    return Path(os.environ.get("NBA_PIPELINE_HOME") or _run_root() / ".nba_pipeline_data")


def dagster_home() -> Path:
    """DAGSTER_HOME, or `.dagster_home` beside the local data (the one `make dev` opens)."""
    return Path(os.environ.get("DAGSTER_HOME") or _run_root() / ".dagster_home")


def recorded_data_dir() -> Path:
    """The recorded real data the replay source serves.

    NBA_PIPELINE_DATA_DIR, else `../shared/data` beside a checkout, else `shared/data` or
    `../shared/data` from the working directory (the first that exists).
    """
    configured = os.environ.get("NBA_PIPELINE_DATA_DIR")
    if configured:
        return Path(configured)
    root = checkout_root()
    candidates = [root.parent / "shared" / "data"] if root else []
    candidates += [Path.cwd() / "shared" / "data", Path.cwd().parent / "shared" / "data"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[0]
