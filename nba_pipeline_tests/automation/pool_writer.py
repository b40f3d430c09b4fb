"""A separate run process for the pool test: one step in the warehouse pool, its span recorded.

Usage: python -m nba_pipeline_tests.automation.pool_writer DAGSTER_HOME PARTITION OUT_FILE
"""


import sys
import time
from pathlib import Path

from dagster import AssetExecutionContext, DagsterInstance, asset, materialize

from nba_pipeline.lib.warehouse_asset import WAREHOUSE_POOL
from nba_pipeline.partitions import daily_partitions


@asset(pool=WAREHOUSE_POOL, partitions_def=daily_partitions)
def writer(context: AssetExecutionContext) -> None:
    start = time.time()
    time.sleep(1.0)
    out = Path(context.op_execution_context.run.tags["out"])
    out.write_text(f"{start} {time.time()}")


def main(home: str, partition: str, out: str) -> int:
    with DagsterInstance.from_config(home) as instance:
        ok = materialize([writer], partition_key=partition, instance=instance,
                         tags={"out": out}).success
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
