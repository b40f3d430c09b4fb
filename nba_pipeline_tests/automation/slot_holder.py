"""A CLI-like run process for the run hygiene tests: one step in the warehouse pool that holds
its slot for a while, run through `local_instance` and `run_range` exactly as a command does.

Usage: python -m nba_pipeline_tests.automation.slot_holder SECONDS   (DAGSTER_HOME from the env)
"""

import sys
import time
from datetime import date

from dagster import Definitions, asset

from nba_pipeline.commands.instance import local_instance
from nba_pipeline.hygiene import install_stop_handlers
from nba_pipeline.lib.warehouse_asset import WAREHOUSE_POOL
from nba_pipeline.partitions import daily_partitions
from nba_pipeline.runner import run_range

DAY = date(2024, 3, 5)


def main(seconds: float) -> int:
    @asset(pool=WAREHOUSE_POOL, partitions_def=daily_partitions)
    def holder() -> None:
        time.sleep(seconds)

    defs = Definitions(assets=[holder])
    install_stop_handlers()
    result = run_range(defs, DAY, DAY, instance=local_instance(defs))
    print(f"run {result.run_id} success={result.success} failure={result.failure}")
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(float(sys.argv[1])))
