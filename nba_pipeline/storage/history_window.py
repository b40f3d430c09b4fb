"""History inputs: a window of earlier game dates, read by the IO manager, declared same-date.

An asset that needs the 550 days before each of its dates (the feature store's player history)
used to declare it as a `TimeWindowPartitionMapping(-550, -1)`. Dagster reads a range from the
warehouse either way, but the mapping is also lineage: a backfill launched from the UI
(`Materialize -> date range`) propagates the chosen range downstream through every mapping
(`AssetBackfillData.from_asset_partitions` walks the graph with `bfs_filter_subsets`), so two
days selected on the landing assets became 550 days of feature rows and 1,100 of models. Now the
dependency is the same date (identity: a range stays that range, and a run still waits for its
inputs' run in a backfill), and the input's metadata tells the IO manager how far back to read.

The window is in calendar days, whatever the partitions skip (off-season days are not
partitions, but "the 30 days before" still means 30 days).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from dagster import InputContext, OutputContext, TimeWindow
from dagster._core.storage.db_io_manager import DbIOManager, TablePartitionDimension, TableSlice

# AssetIn metadata keys (lib/warehouse_asset.py `history`, read here and by lib/automation.py).
HISTORY_DAYS = "history_days"
THROUGH_GAME_DATE = "history_through_game_date"


def history_slice(table_slice: TableSlice, metadata: Mapping[str, Any]) -> TableSlice:
    """`table_slice` (the run's own dates) widened to the input's history window.

    For a run over [start, end): [start - days, end - 1 day), i.e. for every date D of the run
    the `days` days strictly before D; with `through_game_date`, D itself too.
    """
    days = metadata.get(HISTORY_DAYS)
    if not days:
        return table_slice
    through = bool(metadata.get(THROUGH_GAME_DATE))
    dimensions = []
    for dim in table_slice.partition_dimensions:
        window = dim.partitions
        if isinstance(window, TimeWindow):
            end = window.end if through else window.end - timedelta(days=1)
            window = TimeWindow(window.start - timedelta(days=int(days)), end)
        dimensions.append(TablePartitionDimension(partition_expr=dim.partition_expr,
                                                  partitions=window))
    return table_slice._replace(partition_dimensions=dimensions)


class HistoryWindowDbIOManager(DbIOManager):
    """The stock DB IO manager, reading history inputs over their window (both warehouses)."""

    def _get_table_slice(self, context: OutputContext | InputContext,
                         output_context: OutputContext) -> TableSlice:
        table_slice = super()._get_table_slice(context, output_context)
        if isinstance(context, InputContext):
            return history_slice(table_slice, context.definition_metadata or {})
        return table_slice
