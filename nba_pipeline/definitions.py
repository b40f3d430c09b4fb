"""The one place that assembles Definitions: the defs/ folder plus the profile's resources.

Every asset, check, job, schedule and sensor lives in `nba_pipeline/defs/<phase>/` and is found
there by Dagster's autoloading (`dg list defs` shows the same set). This module adds what is
decided centrally: the automation policy and freshness deadlines from tables.py, and the
resources of the profile in NBA_PIPELINE_PROFILE (profiles.py).
"""

from __future__ import annotations

import inspect
import warnings
from pathlib import Path
from typing import Any

from dagster import (
    AssetsDefinition,
    AssetSpec,
    BetaWarning,
    CodeReferencesMetadataValue,
    ComponentTree,
    Definitions,
    LocalFileCodeReference,
    PreviewWarning,
    definitions,
    in_process_executor,
)

# We use single-run backfill policies and blocking checks on purpose
# (see README); their beta/preview warnings would otherwise drown every log line. Set before the
# defs/ modules below are imported, so their decorators' warnings are filtered too. (The tests
# filter them in pyproject.toml; the CLI builds definitions through this module.)
warnings.filterwarnings("ignore", category=BetaWarning)
warnings.filterwarnings("ignore", category=PreviewWarning)

from nba_pipeline import defs as defs_package  # noqa: E402  (after the filters)
from nba_pipeline.lib.automation import with_automation  # noqa: E402
from nba_pipeline.lib.freshness import with_freshness  # noqa: E402
from nba_pipeline.profiles import resources_for  # noqa: E402
from nba_pipeline.storage.sqlite_instance import install_relaxed_sync  # noqa: E402

# The local sqlite run history without a disk sync per event (storage/sqlite_instance.py).
install_relaxed_sync()

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def load_defs_folder() -> Definitions:
    """Everything defined under nba_pipeline/defs/, as `load_from_defs_folder` loads it.

    The tree is built from the package itself (not from pyproject.toml's [tool.dg]), so an
    installed wheel, which has no pyproject.toml, loads the same definitions.
    """
    return ComponentTree.from_module(defs_module=defs_package,
                                     project_root=PACKAGE_ROOT).build_defs()


def _policies(spec: AssetSpec) -> AssetSpec:
    return with_freshness(with_automation(spec))


def with_code_reference(asset: AssetsDefinition) -> AssetsDefinition:
    """The UI's link to the asset's own function, file and line.

    Dagster's `with_source_code_references` points at the outermost function, which for a
    warehouse asset is the schema-check wrapper in lib/; the body is one `unwrap` away.
    """
    body = inspect.unwrap(asset.op.compute_fn.decorated_fn)  # type: ignore[union-attr]
    # From the compiled code, not by reading the file: a file edited while a code server
    # loads (the daemon reloads it) must not fail the load ("lineno is out of bounds").
    reference = LocalFileCodeReference(file_path=body.__code__.co_filename,
                                       line_number=body.__code__.co_firstlineno)
    return asset.map_asset_specs(lambda spec: spec.merge_attributes(metadata={
        "dagster/code_references": CodeReferencesMetadataValue(code_references=[reference])}))


def build_definitions(profile: str | None = None, resources: dict[str, Any] | None = None
                      ) -> Definitions:
    """Definitions for `profile` (default: NBA_PIPELINE_PROFILE); `resources` overrides it."""
    loaded = load_defs_folder().map_asset_specs(func=_policies)
    return Definitions.merge(
        Definitions(assets=[with_code_reference(a) for a in loaded.assets or []],
                    asset_checks=loaded.asset_checks, jobs=loaded.jobs,
                    schedules=loaded.schedules, sensors=loaded.sensors),
        Definitions(resources=resources if resources is not None else resources_for(profile),
                    # Runs the daemon launches (backfills, sensors, automation) execute their
                    # steps in the run's own process, as the CLI's ranges do: the warehouse pool
                    # runs table steps one at a time anyway, and a process per step paid a
                    # fresh interpreter with pandas, LightGBM and the definitions each time
                    # (a 4-day backfill: 193 s as one run, about 30 s of asset code).
                    executor=in_process_executor),
    )


@definitions
def defs() -> Definitions:
    """The code location Dagster loads (`dagster dev`, `dg check defs`, workspace.yaml)."""
    return build_definitions()
