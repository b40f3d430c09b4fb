"""Issue 16, class A: upstream values must never name a landing path or pick the fetch parsed.

Each test replays real recorded data (../shared/data, read-only) through the real landing and
raw assets on a real Dagster instance, a real landing folder and a real DuckDB file in a tmp
dir, after planting what a hostile or broken upstream would, and asserts on the rows that land.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from dagster import AssetKey, DagsterInstance, Definitions

from nba_pipeline.defs.landing.assets import landing_assets
from nba_pipeline.defs.raw.assets import raw_assets
from nba_pipeline.runner import RangeRunResult, run_range
from nba_pipeline.sources import recorded
from nba_pipeline.sources.base import NbaDataSource, Payload
from nba_pipeline.sources.replay import ReplaySource
from nba_pipeline.storage.duckdb_warehouse import WarehouseDuckDBIOManager
from nba_pipeline.storage.landing import LandedKey, LocalLandingStore

DAY = date(2024, 3, 5)  # 9 Odds API events, 9 games
OTHER_DAY = date(2024, 3, 4)
LANDING = [AssetKey(["landing", n]) for n in ("nba_schedule", "nba_boxscores",
                                              "odds_player_points")]
SCHEDULE, BOX, LINES = (AssetKey(["nba_raw", n]) for n in ("schedule", "player_boxscores",
                                                           "player_prop_lines"))
RAW = [SCHEDULE, BOX, LINES]
ODDS = "odds_api/event_odds_player_points"
GAMELOG = "nba_com/leaguegamelog"


def recorded_root(tmp_path: Path, event_ids: dict[str, str] | None = None) -> Path:
    """A data dir over the real recorded files; `event_ids` renames events in the lines file."""
    real = recorded.data_dir()
    root = tmp_path / "data"
    root.mkdir()
    for folder in ("box_scores", "team_game_logs"):
        (root / folder).symlink_to(real / folder)
    if not event_ids:
        (root / "prop_lines").symlink_to(real / "prop_lines")
        return root
    (root / "prop_lines").mkdir()
    source = sorted(real.glob(recorded.POINTS_LINES_GLOB))[0]
    lines = pd.read_csv(source, dtype={"event_id": str})
    lines["event_id"] = lines["event_id"].replace(event_ids)
    with gzip.open(root / "prop_lines" / source.name, "wt") as fh:
        lines.to_csv(fh, index=False)
    return root


@dataclass
class World:
    """One landing folder, one DuckDB file and one Dagster instance, fed by a replay source."""

    tmp: Path
    data_dir: Path
    instance: DagsterInstance

    source: NbaDataSource | None = None

    @property
    def store(self) -> LocalLandingStore:
        return LocalLandingStore(base_dir=str(self.tmp / "landing"))

    @property
    def warehouse(self) -> Path:
        return self.tmp / "warehouse.duckdb"

    def run(self, keys: list[AssetKey], start: date = DAY, end: date = DAY) -> RangeRunResult:
        defs = Definitions(assets=[*landing_assets, *raw_assets], resources={
            "nba_source": self.source or ReplaySource(data_dir=str(self.data_dir)),
            "landing_store": self.store,
            "io_manager": WarehouseDuckDBIOManager(database=str(self.warehouse)),
        })
        return run_range(defs, start, end, selection=keys, instance=self.instance)

    def rows(self, table: str, day: date = DAY) -> int:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(f"select count(*) from {table} where game_date = ?",
                               [day]).fetchone()[0]

    def events(self, day: date = DAY) -> set[str]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            found = con.execute("select distinct event_id from nba_raw.player_prop_lines "
                                "where game_date = ?", [day]).fetchall()
        return {r[0] for r in found}

    def metadata(self, asset: AssetKey) -> dict[str, Any]:
        event = self.instance.get_latest_materialization_event(asset)
        assert event is not None and event.asset_materialization is not None
        return {k: v.value for k, v in event.asset_materialization.metadata.items()}

    def plant(self, key: str, body: bytes) -> Path:
        """Write a file straight into the landing folder, as a hand copy or a bad job would."""
        path = self.tmp / "landing" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        return path


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with DagsterInstance.ephemeral() as instance:
        yield World(tmp_path, recorded_root(tmp_path), instance)


@pytest.fixture(scope="module")
def clean() -> dict[str, Any]:
    """Row counts of an untouched day: what every attack below must still deliver."""
    with DagsterInstance.ephemeral() as instance:
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            w = World(Path(tmp), recorded_root(Path(tmp)), instance)
            assert w.run([*LANDING, *RAW], OTHER_DAY, DAY).success
            return {"box": w.rows("nba_raw.player_boxscores"),
                    "lines": w.rows("nba_raw.player_prop_lines"),
                    "other_lines": w.rows("nba_raw.player_prop_lines", OTHER_DAY),
                    "events": w.events(),
                    "gamelog": w.store.read_bytes(
                        w.store.latest_fetch("nba_com", "leaguegamelog", DAY)[0])}


def _names_the(text: str, *parts: str) -> bool:
    return all(p in text for p in parts)


def test_event_id_with_dot_dot_cannot_write_into_another_sources_tree(tmp_path, clean):
    """Before: the id planted `nba_com/leaguegamelog/2024-03-05/.../leaguegamelog.json` and the
    day's box scores parsed the Odds API body (run failed, or a crafted body replaced them)."""
    real_id = sorted(clean["events"])[0]
    hostile = f"../../../../{GAMELOG}/{DAY}/20240306T120000Z/leaguegamelog"
    with DagsterInstance.ephemeral() as instance:
        w = World(tmp_path, recorded_root(tmp_path, {real_id: hostile}), instance)
        result = w.run([*LANDING, *RAW])
        assert result.success, result.failure
        keys = w.store.list_keys()
        assert [k for k in keys if k.startswith(f"{GAMELOG}/")] == [
            k for k in keys if k.startswith(f"{GAMELOG}/{DAY}/") and "20240306T110000Z" in k]
        odds = [k for k in keys if k.startswith(f"{ODDS}/{DAY}/")]
        assert len([k for k in odds if not k.endswith("_manifest.json")]) == 9
        assert all(".." not in k for k in keys)
        assert w.rows("nba_raw.player_boxscores") == clean["box"]
        assert w.rows("nba_raw.player_prop_lines") == clean["lines"]
        assert w.events() == (clean["events"] - {real_id}) | {hostile}  # the id itself is kept


def test_event_id_with_slash_does_not_break_prop_lines_of_any_date(tmp_path, clean):
    """Before: a six-part key under the endpoint made `LandedKey.parse` raise for every date."""
    real_id = sorted(clean["events"])[1]
    hostile = "abc/def"
    with DagsterInstance.ephemeral() as instance:
        w = World(tmp_path, recorded_root(tmp_path, {real_id: hostile}), instance)
        assert w.run(LANDING, OTHER_DAY, DAY).success
        result = w.run([SCHEDULE, LINES], OTHER_DAY, DAY)  # lines check against the schedule
        assert result.success, result.failure
        assert w.rows("nba_raw.player_prop_lines", OTHER_DAY) == clean["other_lines"]
        assert w.rows("nba_raw.player_prop_lines") == clean["lines"]
        assert hostile in w.events()


def test_stray_file_in_an_endpoint_folder_is_reported_not_fatal(world, clean):
    """Before: `nba_com/leaguegamelog/README.txt` failed raw box scores for every date."""
    assert world.run(LANDING).success
    world.plant(f"{GAMELOG}/README.txt", b"notes about this folder")
    world.plant(f"{GAMELOG}/{DAY}/20240306T110000Z/extra/leaguegamelog.json", b"{}")  # nested
    result = world.run([SCHEDULE, BOX])
    assert result.success, result.failure
    assert world.rows("nba_raw.player_boxscores") == clean["box"]
    skipped = "\n".join(world.metadata(BOX)["landing_skipped"])
    assert _names_the(skipped, f"{GAMELOG}/README.txt", "not source/endpoint/date")
    assert _names_the(skipped, f"{GAMELOG}/{DAY}/20240306T110000Z/extra/leaguegamelog.json")


def test_symlink_in_a_date_folder_is_reported_not_followed(world, clean, tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_bytes(b'{"secret": true}')
    assert world.run(LANDING).success
    link = tmp_path / "landing" / GAMELOG / DAY.isoformat() / "20240307T110000Z" / "x.json"
    link.parent.mkdir(parents=True)
    link.symlink_to(outside)
    result = world.run([SCHEDULE, BOX])
    assert result.success, result.failure
    assert world.rows("nba_raw.player_boxscores") == clean["box"]
    skipped = "\n".join(world.metadata(BOX)["landing_skipped"])
    assert _names_the(skipped, f"{GAMELOG}/{DAY}/20240307T110000Z/x.json", "symbolic link")


def test_future_dated_fetch_is_ignored_and_reported(world, clean):
    """Before: a one-game fetch dated 2099 won over every real fetch, for ever."""
    assert world.run(LANDING).success
    body = json.loads(clean["gamelog"])
    rows = body["resultSets"][0]["rowSet"]
    game = body["resultSets"][0]["headers"].index("GAME_ID")
    one_game = [r for r in rows if r[game] == rows[0][game]]
    body["resultSets"][0]["rowSet"] = one_game
    future = f"{GAMELOG}/{DAY}/20990101T000000Z/leaguegamelog.json"
    world.plant(future, json.dumps(body).encode())
    result = world.run([SCHEDULE, BOX])
    assert result.success, result.failure
    assert 0 < len(one_game) < clean["box"]
    assert world.rows("nba_raw.player_boxscores") == clean["box"]
    skipped = "\n".join(world.metadata(BOX)["landing_skipped"])
    assert _names_the(skipped, future, "in the future")
    # Re-landing the day is what the runbook says: it lands and is the one parsed.
    assert world.run([*LANDING, SCHEDULE, BOX]).success
    assert world.rows("nba_raw.player_boxscores") == clean["box"]


def test_newer_fetch_with_one_of_nine_events_does_not_replace_the_complete_one(world, clean):
    """Before: lines 1,659 -> 196 for the range, every check green."""
    assert world.run(LANDING).success
    first = sorted(k for k in world.store.list_keys(f"{ODDS}/{DAY}/")
                   if not k.endswith("_manifest.json"))
    assert len(first) == 9
    one = LandedKey.parse(first[0])
    newer = f"{ODDS}/{DAY}/20240305T220000Z/{one.name}"
    world.plant(newer, world.store.read_bytes(first[0]))
    result = world.run([SCHEDULE, LINES])  # lines check against the schedule
    assert result.success, result.failure
    assert world.rows("nba_raw.player_prop_lines") == clean["lines"]
    meta = world.metadata(LINES)
    partial = "\n".join(meta["partial_fetches"])
    assert _names_the(partial, f"{ODDS}/{DAY}/20240305T220000Z/", "1 payload", "9")


class FastClockReplay(ReplaySource):
    """The recorded box scores, fetched by a machine whose clock reads 2099."""

    def fetch_boxscores(self, game_date: date) -> list[Payload]:
        ahead = datetime(2099, 1, 1, tzinfo=timezone.utc)
        return [replace(p, fetched_at=ahead) for p in super().fetch_boxscores(game_date)]


def test_a_fetch_time_from_a_fast_clock_is_landed_under_the_real_time(world, clean):
    world.source = FastClockReplay(data_dir=str(world.data_dir))
    before = datetime.now(timezone.utc).replace(microsecond=0)
    result = world.run([*LANDING, SCHEDULE, BOX])
    assert result.success, result.failure
    (key,) = world.store.latest_fetch("nba_com", "leaguegamelog", DAY)
    stamped = datetime.strptime(LandedKey.parse(key).fetched_at,
                                "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    assert before <= stamped <= datetime.now(timezone.utc)
    restamped = world.metadata(LANDING[1])["future_fetch_times_restamped"]
    assert restamped == [f"20990101T000000Z -> {LandedKey.parse(key).fetched_at}"]
    assert world.rows("nba_raw.player_boxscores") == clean["box"]
