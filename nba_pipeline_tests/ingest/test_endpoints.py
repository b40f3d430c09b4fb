"""The endpoint registry is complete and consistent, and `ingest`/`domain` stay Dagster-free."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from pydantic import BaseModel

import nba_pipeline.domain
import nba_pipeline.ingest
from nba_pipeline import tables
from nba_pipeline.ingest import endpoints
from nba_pipeline.ingest.endpoints import ENDPOINTS, endpoint, endpoints_for, parse_landed
from nba_pipeline.ingest.payloads import PayloadError

PACKAGE = Path(nba_pipeline.ingest.__file__).resolve().parent.parent
# Transitional re-export for nba_pipeline/ml/evaluation.py (edited elsewhere); delete with it.
DOMAIN_TRANSITIONAL: set[str] = set()


def _modules(package) -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(package.__path__, f"{package.__name__}."))


@pytest.mark.parametrize("entry", list(ENDPOINTS.values()), ids=lambda e: e.prefix)
def test_every_endpoint_has_a_model_a_parser_a_raw_table_and_a_landing_asset(entry) -> None:
    assert ENDPOINTS[(entry.source, entry.endpoint)] is entry
    assert isinstance(entry.model, type) and issubclass(entry.model, BaseModel)
    assert callable(entry.parser)
    assert entry.raw_table in tables.RAW_TABLES
    assert tables.table(entry.raw_table.name) is entry.raw_table
    assert tables.table(entry.landing_asset.name) is entry.landing_asset
    assert entry.landing_asset.group == "landing" and entry.landing_asset.stored_as == tables.FILES
    assert entry.prefix == f"{entry.source}/{entry.endpoint}/"
    assert entry.role == ("primary" if entry.order == 0 else "fallback")
    assert endpoint(entry.source, entry.endpoint) is entry


def test_every_raw_table_has_one_primary_and_ordered_fallbacks() -> None:
    for table in tables.RAW_TABLES:
        feeding = endpoints_for(table)
        assert [e.order for e in feeding] == list(range(len(feeding))), table.name
        assert [e.primary for e in feeding].count(True) == 1, table.name
        assert endpoints.primary_for(table) is feeding[0]
        # One landing asset per raw table: its landing files are one asset.
        assert len({e.landing_asset for e in feeding}) == 1, table.name
    assert {e.key for t in tables.RAW_TABLES for e in endpoints_for(t)} == set(ENDPOINTS)


def test_the_registry_is_what_the_raw_tables_read() -> None:
    assert [e.key for e in endpoints_for(tables.SCHEDULE)] == [
        ("nba_com", "schedule"), ("espn", "scoreboard"), ("balldontlie", "games")]
    assert [e.key for e in endpoints_for(tables.BOXSCORES)] == [
        ("nba_com", "leaguegamelog"), ("balldontlie", "box_scores")]
    assert [e.key for e in endpoints_for(tables.PROP_LINES)] == [
        ("odds_api", "event_odds_player_points"),
        ("odds_api", "event_odds_player_points_historical")]
    assert [e.key for e in endpoints_for(tables.GAME_LINES)] == [
        ("odds_api", "game_lines"), ("odds_api", "game_lines_historical"),
        ("closing_lines", "game_lines")]
    assert [e.key for e in endpoints_for(tables.INJURY_REPORT)] == [
        ("nba_com", "injury_report"), ("balldontlie", "injuries")]


def test_the_landing_sensor_and_live_source_follow_the_registry() -> None:
    from nba_pipeline.defs.landing import sensors
    from nba_pipeline.sources.live import LiveSource

    assert set(sensors.RAW_TABLE_BY_ENDPOINT) == set(ENDPOINTS)
    assert {k: v.path for k, v in sensors.RAW_TABLE_BY_ENDPOINT.items()} == {
        k: e.raw_table.path for k, e in ENDPOINTS.items()}
    assert {k: v.path for k, v in sensors.LANDING_ASSET_BY_ENDPOINT.items()} == {
        k: e.landing_asset.path for k, e in ENDPOINTS.items()}
    assert set(sensors.WATCHED_PREFIXES) == {"nba_com/", "odds_api/", "espn/", "balldontlie/",
                                             "closing_lines/"}
    assert not {"models/", "published/"} & set(sensors.WATCHED_PREFIXES)
    live = LiveSource()
    assert live.schedule_sources == ["nba_com", "espn", "balldontlie"]
    assert live.boxscore_sources == ["nba_com", "balldontlie"]
    assert live.injury_sources == ["nba_com", "balldontlie"]


def test_unknown_endpoints_are_clear_errors() -> None:
    with pytest.raises(KeyError, match="nba_com/boxscoretraditionalv3 is not a registered"):
        endpoint("nba_com", "boxscoretraditionalv3")
    with pytest.raises(PayloadError, match="no parser for this endpoint"):
        parse_landed("nba_com", "schedule.rejected", b"{}", date(2024, 1, 15), "k")


def test_ingest_and_domain_import_without_dagster() -> None:
    modules = ["nba_pipeline", "nba_pipeline.tables", *_modules(nba_pipeline.ingest),
               *_modules(nba_pipeline.domain)]
    code = (f"import importlib, sys\nfor m in {modules!r}:\n    importlib.import_module(m)\n"
            "assert 'dagster' not in sys.modules, sorted(m for m in sys.modules if 'dagster' in m)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _imports(module: str) -> set[str]:
    path = PACKAGE.parent / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = path.with_suffix("") / "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def test_domain_imports_neither_sources_nor_ingest_and_ingest_not_sources() -> None:
    for module in set(_modules(nba_pipeline.domain)) - DOMAIN_TRANSITIONAL:
        bad = {m for m in _imports(module)
               if m.startswith(("nba_pipeline.sources", "nba_pipeline.ingest"))}
        assert not bad, f"{module} imports {sorted(bad)}"
    for module in _modules(nba_pipeline.ingest):
        bad = {m for m in _imports(module) if m.startswith((
            "nba_pipeline.sources", "nba_pipeline.storage", "nba_pipeline.defs",
            "nba_pipeline.lib", "dagster"))}
        assert not bad, f"{module} imports {sorted(bad)}"
