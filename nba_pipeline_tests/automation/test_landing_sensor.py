"""Landing sensor cursor semantics on a real local landing store and a real Dagster instance."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dagster import AssetKey, DagsterInstance, SensorResult, build_sensor_context

from nba_pipeline.defs.landing import sensors
from nba_pipeline.defs.landing.sensors import (
    SensorCursor,
    landing_sensor,
    plan_landing_runs,
)
from nba_pipeline.storage.gcs_landing import GCSLandingStore
from nba_pipeline.storage.landing import LandingStore, LocalLandingStore
from nba_pipeline_tests.emulators import Emulator, start_fake_gcs, stop

# 2024-03-06 15:00 ET: partitions exist through 2024-03-06; the watched window is 02-28..03-06.
NOW = datetime(2024, 3, 6, 20, 0, tzinfo=timezone.utc)
BOX = AssetKey(["nba_raw", "player_boxscores"])
LINES = AssetKey(["nba_raw", "player_prop_lines"])
SCHEDULE = AssetKey(["nba_raw", "schedule"])


@pytest.fixture(scope="module")
def fake_gcs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    emulator = start_fake_gcs(tmp_path_factory.mktemp("fake-gcs"))
    yield emulator
    stop(emulator)


@pytest.fixture(params=["local", "gcs"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> LandingStore:
    """The same tests on a local folder and on a GCS bucket (fake-gcs-server on loopback)."""
    if request.param == "local":
        return LocalLandingStore(base_dir=str(tmp_path / "landing"))
    endpoint = request.getfixturevalue("fake_gcs").endpoint
    bucket = f"landing-{uuid.uuid4().hex[:10]}"
    gcs = GCSLandingStore(bucket=bucket, prefix="landing", project="test",
                          emulator_endpoint=endpoint)
    gcs.client().create_bucket(bucket)
    return gcs


def touch(store: LandingStore, key: str) -> None:
    """A local rewrite within the same clock tick keeps mtime: move it (GCS bumps generation)."""
    if isinstance(store, LocalLandingStore):
        os.utime(store._path(key), ns=(time.time_ns(), time.time_ns()))


def tick(store: LandingStore, cursor: SensorCursor) -> tuple[list, SensorCursor, dict]:
    plan = plan_landing_runs(store, cursor, now=NOW)
    return plan.run_requests, plan.cursor, plan.rejected


def started(store: LandingStore, now: datetime | None = NOW) -> SensorCursor:
    """The sensor's first tick: whatever is already in the store is its baseline."""
    plan = plan_landing_runs(store, SensorCursor(), now=now)
    assert plan.run_requests == [] and plan.cursor.synced
    return plan.cursor


def test_a_new_sensor_does_not_re_request_what_is_already_landed(store):
    for day in ("2024-03-04", "2024-03-05", "2024-03-06"):
        store.write_bytes(f"nba_com/schedule/{day}/20240301T120000Z/schedule.json", b"s")
    cursor = started(store)
    assert tick(store, cursor)[0] == []


def test_each_file_requests_its_own_raw_partition_once(store):
    cursor = started(store)
    store.write_bytes("nba_com/leaguegamelog/2024-03-05/20240306T070000Z/leaguegamelog.json", b"1")
    store.write_bytes("odds_api/event_odds_player_points/2024-03-06/20240306T130000Z/e1.json", b"2")
    requests, cursor, rejected = tick(store, cursor)
    assert not rejected
    assert {(r.partition_key, tuple(r.asset_selection)) for r in requests} == {
        ("2024-03-05", (BOX,)), ("2024-03-06", (LINES,))}
    # Nothing new: nothing requested.
    again, cursor2, _ = tick(store, cursor)
    assert again == []
    assert (cursor2.dates, cursor2.sweep) == (cursor.dates, cursor.sweep)


def test_game_lines_and_injury_reports_request_their_raw_tables(store):
    """Live and replay game lines and both injury sources are watched like the points lines."""
    game_lines = AssetKey(["nba_raw", "game_lines"])
    injuries = AssetKey(["nba_raw", "injury_report"])
    cursor = started(store)
    store.write_bytes("odds_api/game_lines/2024-03-05/20240305T130000Z/game_lines.json", b"1")
    store.write_bytes("closing_lines/game_lines/2024-03-04/20240304T140000Z/game_lines.json",
                      b"2")
    store.write_bytes("nba_com/injury_report/2024-03-06/20240306T173000Z/report.pdf", b"3")
    store.write_bytes("balldontlie/injuries/2024-03-04/20240304T150000Z/injuries_p001.json",
                      b"4")
    requests, _, rejected = tick(store, cursor)
    assert not rejected
    assert {(r.partition_key, tuple(sorted(r.asset_selection))) for r in requests} == {
        ("2024-03-04", tuple(sorted((game_lines, injuries)))),
        ("2024-03-05", (game_lines,)), ("2024-03-06", (injuries,))}


def test_a_burst_for_one_date_is_one_run(store):
    cursor = started(store)
    for i in range(12):
        store.write_bytes(
            f"odds_api/event_odds_player_points/2024-03-06/20240306T130000Z/event{i}.json", b"x")
    store.write_bytes("nba_com/schedule/2024-03-06/20240306T120000Z/schedule.json", b"s")
    requests, _, _ = tick(store, cursor)
    assert len(requests) == 1
    assert requests[0].partition_key == "2024-03-06"
    assert set(requests[0].asset_selection) == {LINES, SCHEDULE}


def test_corrected_file_is_requested_again_with_a_new_run_key(store):
    cursor = started(store)
    key = "nba_com/leaguegamelog/2024-03-01/20240302T070000Z/leaguegamelog.json"
    store.write_bytes(key, b"first")
    (first,), cursor, _ = tick(store, cursor)
    # A late correction of an older date lands as a new fetch (sorts before newer dates' keys).
    store.write_bytes("nba_com/leaguegamelog/2024-03-05/20240306T070000Z/leaguegamelog.json", b"n")
    _, cursor, _ = tick(store, cursor)
    fix = "nba_com/leaguegamelog/2024-03-01/20240306T090000Z/leaguegamelog.json"
    store.write_bytes(fix, b"corrected")
    (second,), cursor, _ = tick(store, cursor)
    assert second.partition_key == "2024-03-01"
    assert second.run_key != first.run_key
    # The same key rewritten in place with new content (GCS overwrite): a new version, a new run.
    store.write_bytes(fix, b"corrected again")
    touch(store, fix)
    forgotten = SensorCursor(sweep=cursor.sweep, latest=cursor.latest, synced=True)
    third = plan_landing_runs(store, forgotten, now=NOW).run_requests
    assert [r.partition_key for r in third] == ["2024-03-01", "2024-03-05"]
    assert third[0].run_key not in {first.run_key, second.run_key}


def test_file_rewritten_in_place_is_requested_again(store):
    """Same key, new content (a re-run scraper, a GCS overwrite): the rotation re-checks it."""
    cursor = started(store)
    key = "nba_com/leaguegamelog/2024-03-05/20240306T070000Z/leaguegamelog.json"
    store.write_bytes(key, b"truncated")
    (first,), cursor, _ = tick(store, cursor)
    assert tick(store, cursor)[0] == []
    store.write_bytes(key, b"the full payload")
    touch(store, key)
    requests: list = []
    # Bounded rotation: 12 of the (endpoint, watched date) prefixes per tick, so one full turn.
    prefixes = len(sensors.RAW_TABLE_BY_ENDPOINT) * (
        sensors.LOOKBACK_DAYS + sensors.LOOKAHEAD_DAYS + 2)
    for _ in range(-(-prefixes // 12)):
        plan = plan_landing_runs(store, cursor, now=NOW, verify_per_tick=12)
        cursor, requests = plan.cursor, plan.run_requests
        if requests:
            break
    (again,) = requests
    assert again.partition_key == "2024-03-05" and again.run_key != first.run_key
    assert tick(store, cursor)[0] == []


def test_same_content_gives_same_run_key_so_dagster_drops_the_repeat(store):
    cursor = started(store)
    store.write_bytes("nba_com/schedule/2024-03-06/20240306T120000Z/schedule.json", b"s")
    (a,), _, _ = tick(store, cursor)
    (b,), _, _ = tick(store, cursor)  # a cursor that was not saved sees the file again
    assert a.run_key == b.run_key


def test_unparseable_date_is_reported_not_skipped(store):
    bad = "nba_com/leaguegamelog/2024-3-6/20240306T070000Z/leaguegamelog.json"
    store.write_bytes(bad, b"x")
    store.write_bytes("published/predictions/2024-03-06.json", b"{}")
    store.write_bytes("models/points_model/v1/model.txt", b"m")
    with DagsterInstance.ephemeral() as instance:
        context = build_sensor_context(instance=instance, resources={"landing_store": store})
        result = landing_sensor(context)
    assert isinstance(result, SensorResult)
    assert not result.run_requests
    assert bad in result.skip_reason.skip_message
    assert "cannot parse date" in result.skip_reason.skip_message
    (observation,) = result.asset_events
    assert observation.asset_key == AssetKey(["landing", "nba_boxscores"])
    assert observation.metadata["rejected_files"].value == [bad]


def test_outputs_are_not_watched_and_future_dates_wait_for_their_partition(store):
    store.write_bytes("nba_com/schedule/2024-03-05/20240305T120000Z/schedule.json", b"s")
    cursor = started(store)
    store.write_bytes("models/points_model/v1/info.json", b"{}")
    store.write_bytes("published/predictions/2024-03-06.json", b"{}")
    ahead = "nba_com/schedule/2024-03-20/20240306T070000Z/schedule.json"  # fetched 2 weeks early
    store.write_bytes(ahead, b"o")
    plan = plan_landing_runs(store, cursor, now=NOW)
    assert plan.run_requests == []
    assert plan.outside_window == [ahead]  # reported (log + SkipReason), not requested yet
    assert not any(k.startswith(("models/", "published/")) for k in plan.cursor.sweep.values())
    on_the_day = datetime(2024, 3, 20, 14, 0, tzinfo=timezone.utc)
    later = plan_landing_runs(store, plan.cursor, now=on_the_day)
    assert [r.partition_key for r in later.run_requests] == ["2024-03-20"]


def test_listing_is_bounded_per_tick(store):
    cursor = started(store)
    for i in range(30):
        store.write_bytes(f"odds_api/event_odds_player_points/2024-03-06/20240306T1300{i:02d}Z/"
                          "e.json", b"x")
    plan = plan_landing_runs(store, cursor, limit=10, now=NOW)
    assert plan.files_seen == 10
    seen = plan.files_seen
    cursor = plan.cursor
    while True:
        plan = plan_landing_runs(store, cursor, limit=10, now=NOW)
        if not plan.files_seen:
            break
        seen += plan.files_seen
        cursor = plan.cursor
    assert seen == 30


def test_sensor_cursor_round_trips_through_the_instance(store):
    store.write_bytes("nba_com/schedule/2024-03-06/20240306T120000Z/schedule.json", b"s")
    with DagsterInstance.ephemeral() as instance:
        context = build_sensor_context(instance=instance, resources={"landing_store": store})
        first = landing_sensor(context)
        cursor = first.cursor
        second = landing_sensor(build_sensor_context(
            instance=instance, cursor=cursor, resources={"landing_store": store}))
    assert SensorCursor.load(cursor).synced
    assert second.skip_reason is not None and not second.run_requests


def test_replayed_season_next_date_is_picked_up_whatever_today_is(store):
    """Replaying 2024 data in 2026: the window follows the latest landed date, not the clock."""
    for day in ("2024-03-04", "2024-03-05"):
        store.write_bytes(f"nba_com/leaguegamelog/{day}/20240307T070000Z/leaguegamelog.json", b"b")
    cursor = started(store, now=None)
    store.write_bytes("nba_com/leaguegamelog/2024-03-06/20240307T070000Z/leaguegamelog.json", b"n")
    plan = plan_landing_runs(store, cursor)
    assert [r.partition_key for r in plan.run_requests] == ["2024-03-06"]


def today_et() -> str:
    return datetime.now(ZoneInfo("America/New_York")).date().isoformat()


def _evaluate(store: LandingStore, cursor: str | None = None) -> SensorResult:
    with DagsterInstance.ephemeral() as instance:
        context = build_sensor_context(instance=instance, cursor=cursor,
                                       resources={"landing_store": store})
        result = landing_sensor(context)
    assert isinstance(result, SensorResult)
    return result


def test_nested_folder_in_a_watched_date_is_reported_and_the_tick_goes_on(store):
    """Before: `LandedKey.parse` raised inside the fingerprinting, so every tick raised."""
    day = today_et()  # watched whatever the clock says
    good = f"nba_com/leaguegamelog/{day}/20240306T070000Z/leaguegamelog.json"
    nested = f"nba_com/leaguegamelog/{day}/20240306T070000Z/more/leaguegamelog.json"
    store.write_bytes(good, b"1")
    store.write_bytes(nested, b"2")
    first = _evaluate(store)
    assert nested in first.skip_reason.skip_message
    assert "not source/endpoint/date/fetched_at/name" in first.skip_reason.skip_message
    store.write_bytes(f"nba_com/leaguegamelog/{day}/20240306T080000Z/leaguegamelog.json", b"3")
    second = _evaluate(store, first.cursor)
    assert [r.partition_key for r in second.run_requests] == [day]


def test_symlink_in_a_watched_date_is_reported_not_followed(tmp_path):
    """Before: a link pointing out of the folder made `key_version` raise on every tick."""
    store = LocalLandingStore(base_dir=str(tmp_path / "landing"))
    day = today_et()
    store.write_bytes(f"nba_com/leaguegamelog/{day}/20240306T070000Z/leaguegamelog.json", b"1")
    outside = tmp_path / "outside.json"
    outside.write_bytes(b"not a payload")
    link = tmp_path / "landing" / "nba_com" / "leaguegamelog" / day / "20240306T090000Z"
    link.mkdir()
    (link / "leaguegamelog.json").symlink_to(outside)
    loop = tmp_path / "landing" / "nba_com" / "leaguegamelog" / day / "20240306T100000Z"
    loop.symlink_to(tmp_path / "landing")  # a folder link back to the root: a walk never ends
    result = _evaluate(store)
    message = result.skip_reason.skip_message
    assert f"nba_com/leaguegamelog/{day}/20240306T090000Z/leaguegamelog.json" in message
    assert f"nba_com/leaguegamelog/{day}/20240306T100000Z" in message
    assert "symbolic link" in message
    (observation,) = result.asset_events
    assert observation.asset_key == AssetKey(["landing", "nba_boxscores"])
    assert not any("20240306T090000Z" in k for k in store.list_keys())
    # The next tick does not repeat the report, and a real new fetch is still requested.
    store.write_bytes(f"nba_com/leaguegamelog/{day}/20240306T110000Z/leaguegamelog.json", b"2")
    second = _evaluate(store, result.cursor)
    assert [r.partition_key for r in second.run_requests] == [day]
    assert not second.asset_events
