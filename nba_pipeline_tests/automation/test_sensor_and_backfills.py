"""The landing sensor leaves to a run the files that run landed (issue 15: a daemon backfill of
four days once added 8 landing-sensor runs re-parsing them).

A real local landing store with replayed payloads, a real instance, real raw runs.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from dagster import (
    AssetKey,
    DagsterInstance,
    DagsterRunStatus,
    build_sensor_context,
)
from dagster._core.test_utils import create_run_for_test

from nba_pipeline.defs.landing import sensors
from nba_pipeline.defs.landing.sensors import landing_sensor
from nba_pipeline.runner import run_range
from nba_pipeline.sources.replay import ReplaySource
from nba_pipeline.storage.landing import LocalLandingStore
from nba_pipeline_tests.conftest import build_definitions_for

RAW = [AssetKey(["nba_raw", "schedule"]), AssetKey(["nba_raw", "player_boxscores"]),
       AssetKey(["nba_raw", "player_prop_lines"])]
FAILS, PARSES = date(2024, 3, 5), date(2024, 3, 6)


def land(store: LocalLandingStore, day: date) -> None:
    source = ReplaySource()
    for fetch in (source.fetch_schedule, source.fetch_player_points_odds, source.fetch_boxscores):
        for payload in fetch(day):
            store.write_bytes(payload.landing_key, payload.body)


def test_files_a_run_lands_are_left_to_it_and_never_parsed_twice(tmp_path: Path, capsys):
    home = tmp_path / "home"
    store = LocalLandingStore(base_dir=str(home / "landing"))
    defs = build_definitions_for(home)
    with DagsterInstance.ephemeral() as instance:
        def tick(cursor: str | None):
            return landing_sensor(build_sensor_context(instance=instance, cursor=cursor,
                                                       resources={"landing_store": store}))

        baseline = tick(None)
        # A backfill run of both dates is in progress: it landed the files, its raw step is
        # still to come.
        backfill_run = create_run_for_test(
            instance, job_name="__ASSET_JOB", status=DagsterRunStatus.STARTED,
            asset_selection=frozenset(RAW), tags={
                "dagster/asset_partition_range_start": FAILS.isoformat(),
                "dagster/asset_partition_range_end": PARSES.isoformat(),
                "dagster/backfill": "bf1"})
        land(store, FAILS)
        land(store, PARSES)
        waiting = tick(baseline.cursor)
        assert waiting.run_requests == []
        # The sensor's log (the tick's log in the UI) says whose files they are.
        assert "nba_raw/player_boxscores 2024-03-05: files being parsed by backfill bf1" in (
            capsys.readouterr().err)

        # The backfill parses 03-06 and then dies before 03-05's raw step (what a failure in
        # between looks like to the sensor).
        parsed = run_range(defs, PARSES, PARSES, selection=RAW, instance=instance)
        assert parsed.success, parsed.failure
        instance.report_run_failed(instance.get_run_by_id(backfill_run.run_id))

        after = tick(waiting.cursor)
        (request,) = after.run_requests  # 03-05, never parsed, is not lost
        assert request.partition_key == FAILS.isoformat()
        assert sorted(request.asset_selection, key=str) == sorted(RAW, key=str)
        assert (f"nba_raw/schedule 2024-03-06: files already parsed by run {parsed.run_id[:8]}"
                in capsys.readouterr().err)

        # A corrected box-score file for the parsed date is new content: requested again.
        (box_key,) = store.latest_fetch("nba_com", "leaguegamelog", PARSES)
        store.write_bytes(box_key, store.read_bytes(box_key).replace(b'"W"', b'"W" '))
        # Rewritten in place (same key): seen when the bounded rotation reaches its prefix,
        # within one full turn over the (endpoint, watched date) prefixes.
        turn = -(-len(sensors.RAW_TABLE_BY_ENDPOINT) * (
            sensors.LOOKBACK_DAYS + sensors.LOOKAHEAD_DAYS + 2) // sensors.VERIFY_PER_TICK)
        corrected = tick(after.cursor)
        for _ in range(turn):
            if corrected.run_requests:
                break
            corrected = tick(corrected.cursor)
        assert [(r.partition_key, r.asset_selection) for r in corrected.run_requests] == [
            (PARSES.isoformat(), [RAW[1]])]
