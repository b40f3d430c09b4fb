"""tables.py is the one registry: every asset of the graph has an entry, one hop from its code."""

import importlib
from pathlib import Path

from dagster import AssetKey, AssetsDefinition

from nba_pipeline import tables
from nba_pipeline.definitions import build_definitions
from nba_pipeline.profiles import local_resources
from nba_pipeline.storage.schema import load_schemas


def _graph():
    return build_definitions(resources=local_resources(Path("/nonexistent"))).resolve_asset_graph()


def test_every_asset_is_a_registry_entry_and_back():
    keys = {k.to_user_string() for k in _graph().get_all_asset_keys()}
    assert keys == {t.user_string for t in tables.TABLES.values()}


def test_groups_follow_the_defs_folders():
    graph = _graph()
    for entry in tables.TABLES.values():
        assert graph.get(AssetKey(entry.path)).group_name == entry.group, entry.name
        module = importlib.import_module(entry.module)
        defined = {k.to_user_string() for obj in vars(module).values()
                   if isinstance(obj, AssetsDefinition) for k in obj.keys}
        assert entry.user_string in defined, f"{entry.name} is not defined in {entry.module}"


def test_warehouse_entries_are_exactly_the_ddl_tables():
    assert {t.name for t in tables.warehouse_tables()} == set(load_schemas())


def test_same_day_inputs_and_deadlines_name_known_entries():
    for entry in tables.TABLES.values():
        for name in (*entry.same_day_inputs, *entry.follows):
            assert tables.table(name).name == name
        assert entry.deadline in (None, "predictions", "box_scores", "grading")


def test_an_unknown_table_is_a_clear_error():
    try:
        tables.table("nba_raw.nope")
    except KeyError as exc:
        assert "not a table of the pipeline" in str(exc)
    else:
        raise AssertionError("no error for an unknown table")
