"""The definitions load under every profile, and the asset graph is frozen in a snapshot.

A graph change (new asset, dependency, group, check) shows up as a snapshot diff in review:
regenerate with `UPDATE_SNAPSHOTS=1 pytest nba_pipeline_tests/test_definitions.py`.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import Definitions

from nba_pipeline import tables
from nba_pipeline.definitions import build_definitions
from nba_pipeline.partitions import GAME_DATE_START, GAME_DATE_TIMEZONE, daily_partitions
from nba_pipeline.storage.schema import load_schemas

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"
CHECKOUT = Path(__file__).resolve().parent.parent


@pytest.fixture
def gcp_env(monkeypatch):
    monkeypatch.setenv("NBA_PIPELINE_GCP_PROJECT", "nba-pipeline-test")
    monkeypatch.setenv("NBA_PIPELINE_GCS_BUCKET", "nba-pipeline-test-landing")


@pytest.mark.parametrize("profile", ["local", "gcp", "emulated"])
def test_definitions_load_under_every_profile(profile, gcp_env, tmp_path, monkeypatch):
    monkeypatch.setenv("NBA_PIPELINE_HOME", str(tmp_path))
    if profile == "emulated":  # loading connects to nothing; the URLs only need to be set
        monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", "http://127.0.0.1:9")
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:9")
    defs = build_definitions(profile)
    Definitions.validate_loadable(defs)
    assert set(defs.resources) >= {"io_manager", "landing_store", "nba_source"}


def test_unknown_profile_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown NBA_PIPELINE_PROFILE 'nope'"):
        build_definitions("nope")


def test_module_level_defs_loads():
    from nba_pipeline import definitions

    Definitions.validate_loadable(definitions.defs())


def graph_snapshot(defs: Definitions) -> dict:
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(p.to_user_string() for p in node.parent_keys),
            "partitioned": node.partitions_def is not None,
            "checks": sorted(c.name for c in node.check_keys),
            "blocking_checks": sorted(
                c.name for c in node.check_keys
                if graph.get_check_spec(c).blocking),
        }
    return {
        "partitions": {"start": GAME_DATE_START, "timezone": GAME_DATE_TIMEZONE,
                       "end_offset": daily_partitions.end_offset},
        "assets": assets,
        "jobs": sorted(j.name for j in defs.resolve_all_job_defs()
                       if not j.name.startswith("__")),
        "schedules": sorted(s.name for s in defs.schedules or []),
        "sensors": sorted(s.name for s in defs.sensors or []),
    }


def test_asset_graph_snapshot():
    snapshot = graph_snapshot(build_definitions("local"))
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(snapshot, indent=2, sort_keys=True) + "\n")
    assert snapshot == json.loads(SNAPSHOT.read_text())


def test_every_warehouse_asset_has_ddl_and_a_check():
    graph = build_definitions("local").resolve_asset_graph()
    tables = set(load_schemas())
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        name = ".".join(key.path)
        assert node.partitions_def == daily_partitions, name
        if key.path[0].startswith("nba_") and key.path[0] != "nba_publish":
            assert name in tables, f"{name} has no DDL in sql/"
    checked = {k.asset_key for k in graph.asset_check_keys}
    for table in ["nba_raw.player_boxscores", "nba_analytics.player_game_summary",
                  "nba_precompute.ml_feature_store_v2", "nba_predictions.player_prop_predictions"]:
        assert any(".".join(k.path) == table for k in checked), table


def _dg(*args: str) -> subprocess.CompletedProcess:
    """Dagster's own CLI on this project ([tool.dg] in pyproject.toml), as a user runs it."""
    dg = Path(sys.executable).with_name("dg")
    return subprocess.run([str(dg), *args], cwd=CHECKOUT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "NO_COLOR": "1"})


def test_dg_check_defs_passes():
    result = _dg("check", "defs")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully" in result.stdout + result.stderr


def test_dg_list_defs_shows_the_registry_with_code_references():
    result = _dg("list", "defs", "--json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assets = {a["asset_key"]: a for a in listed["assets"]}
    assert set(assets) == {t.user_string for t in tables.TABLES.values()}
    for entry in tables.TABLES.values():
        asset = assets[entry.user_string]
        assert asset["group_name"] == entry.group
        # The UI links each asset to its own function in its phase's folder.
        assert asset["source"].startswith(f"nba_pipeline/defs/{entry.group}/assets.py:")
    frozen = json.loads(SNAPSHOT.read_text())["assets"]
    assert len(listed["asset_checks"]) == sum(len(a["checks"]) for a in frozen.values())
    assert {j["name"] for j in listed["jobs"]} >= {"daily_pipeline", "scrape_morning"}
