"""Benchmarks that prove the speed as ratios measured in the same run (`make bench`).

Lives in the checkout's `bench/`, outside the installed package. The parent process only
orchestrates: every heavy stage runs in a child process
(`python -m bench.benchmarks <stage> <spec.json> <out.json>`, the checkout root on its
PYTHONPATH) with its own temp
NBA_PIPELINE_HOME and DAGSTER_HOME, so the user's demo warehouse is never touched and each
child's peak RSS (`ru_maxrss`) belongs to that stage alone. Stages:

- `backfill`: a date range through landing..precompute as ONE single run into a fresh home,
  then the vectorized feature store over every date of that range (the scaling rows).
- `season`: a regular season through every asset (landing .. predictions, grading,
  publishing, all checks) as one single run, on top of history a `backfill` stage left.
- `day`: one game day end to end (cold, then warm repeats), the same asset graph run once per
  partition on a sample of days, and the feature store for one date: vectorized vs a naive
  per-player loop (one filtered DuckDB query per player).
- `daemon`: a range submitted to a real `dagster-daemon`; `instances`: one game day in process
  on an on-disk sqlite instance vs the Postgres one.

Asset-code time is the sum of the run's STEP_SUCCESS durations (each step = load inputs from
DuckDB, compute, write, evaluate checks); the rest of the run's wall time is Dagster overhead
(run/event storage, planning, step orchestration). No timing is ever asserted in tests.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

# The checkout root: the children import `bench.benchmarks` from here, whatever their cwd.
CHECKOUT = Path(__file__).resolve().parent.parent
LEGACY_DAY_S = 52 * 60  # the replaced pipeline: about 52 minutes per game day
LEGACY_TARGET_DAY_S = 18 * 60
HISTORY_GROUPS = ("landing", "raw", "analytics", "precompute")

Range = tuple[str, str]


@dataclass(frozen=True)
class Plan:
    """What to run. `scaling[i]` = (seasons, range); the row whose seasons == history_seasons
    leaves the history the season stage builds on."""

    name: str
    scaling: tuple[tuple[int, Range], ...]
    history_seasons: int
    season: Range
    day: str
    warm_repeats: int
    sample_days: tuple[str, ...]
    history_sample_days: tuple[str, ...]  # inside scaling[0]: landing..precompute per partition
    feature_date: str
    naive_player_limit: int | None  # None: loop over every player of the date
    daemon_range: Range | None = None  # submitted to a real dagster-daemon (issue 15)
    daemon_sensor_interval_s: int = 30  # the daemon's sensor ticks (production: 30 s)
    # one game day, in process, on an on-disk sqlite instance vs the Postgres one (issue 15)
    instances_day: str | None = None
    instances_repeats: int = 3
    one_process: bool = False  # quick plan: every stage in ONE child (RSS is then the whole)
    instance: str = "disk"  # "memory" (quick plan): no sqlite event log, faster, less realistic


FULL = Plan(
    name="full",
    scaling=((1, ("2021-10-19", "2022-04-10")), (2, ("2021-10-19", "2023-04-09")),
             (3, ("2021-10-19", "2024-04-14"))),
    history_seasons=2,
    season=("2023-10-24", "2024-04-14"),
    day="2024-03-06",
    warm_repeats=3,
    sample_days=("2023-11-08", "2023-12-13", "2024-01-17", "2024-02-22", "2024-03-27"),
    history_sample_days=("2021-11-10", "2021-12-15", "2022-01-19", "2022-02-24", "2022-03-30"),
    feature_date="2024-03-06",
    naive_player_limit=None,
    daemon_range=("2024-03-04", "2024-03-19"),  # 14 game days of the season
    instances_day="2024-03-06",
)
# Smoke-test size: a few weeks of history (enough labelled rows for one model), a 2-day
# "season", one sample day each, ten players in the naive loop. Checks the harness, not speed.
QUICK = Plan(
    name="quick",
    scaling=((1, ("2024-01-29", "2024-02-25")),),
    history_seasons=1,
    season=("2024-02-26", "2024-02-27"),
    day="2024-02-27",
    warm_repeats=0,
    sample_days=("2024-02-26",),
    history_sample_days=("2024-02-22",),
    feature_date="2024-02-27",
    naive_player_limit=10,
    daemon_range=("2024-02-26", "2024-02-27"),
    daemon_sensor_interval_s=5,  # short ticks: a shorter wait after the backfill
    instances_day="2024-02-27",
    instances_repeats=1,
    one_process=True,
    instance="memory",
)
PLANS = {"full": FULL, "quick": QUICK}


# ---------------------------------------------------------------- child side (runs the pipeline)


def _d(text: str) -> date:
    return date.fromisoformat(text)


def _peak_rss_mb() -> float:
    """This process's peak resident set size (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)


def _defs(home: Path) -> Any:
    from nba_pipeline.definitions import build_definitions
    from nba_pipeline.profiles import local_resources

    return build_definitions(resources=local_resources(home))


def _instance(kind: str = "disk") -> Any:
    """`disk`: the bench's temp DAGSTER_HOME (sqlite run/event storage, as `make demo` and
    `dagster dev` record runs); `memory`: an ephemeral in-memory instance."""
    from dagster import DagsterInstance

    return DagsterInstance.ephemeral() if kind == "memory" else DagsterInstance.get()


def _timed_run(defs: Any, instance: Any, start: date, end: date,
               groups: Sequence[str] | None = None) -> dict[str, Any]:
    """One single run over start..end; wall time and the per-step durations from its events."""
    from dagster import AssetSelection, DagsterEventType

    from nba_pipeline.runner import run_range

    selection = AssetSelection.groups(*groups) if groups else None
    started, cpu = time.perf_counter(), time.process_time()
    result = run_range(defs, start, end, selection=selection, instance=instance)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    if not result.success:
        raise RuntimeError(f"bench run {start}..{end} failed: {result.failure}")
    steps: dict[str, float] = {}
    for record in instance.all_logs(result.run_id, of_type=DagsterEventType.STEP_SUCCESS):
        event = record.dagster_event
        steps[event.step_key] = event.event_specific_data.duration_ms / 1000.0
    events = len(instance.all_logs(result.run_id))
    return {"wall_s": wall, "cpu_s": cpu, "steps_s": sum(steps.values()), "steps": steps,
            "events": events,
            "checks_passed": result.checks_passed, "checks_failed": len(result.checks_failed),
            "checks_warned": len(result.checks_warned)}


def _connect(home: Path) -> Any:
    import duckdb

    return duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)


def _query(con: Any, sql: str, params: Sequence[Any] = ()) -> Any:
    from nba_pipeline.storage.schema import normalize_loaded

    return normalize_loaded(con.execute(sql, list(params)).fetchdf())


def _vectorized_features(home: Path, first: date, end: date) -> tuple[Any, float, int]:
    """Features for every context row with first <= game_date < end, in one pass, as the asset
    does: one query per input table over the whole window, then build_feature_rows."""
    import pandas as pd

    from nba_pipeline.defs.precompute.assets import PLAYER_HISTORY_DAYS, TEAM_HISTORY_DAYS
    from nba_pipeline.features.feature_store import build_feature_rows

    started = time.perf_counter()
    con = _connect(home)
    try:
        context = _query(con, "SELECT * FROM nba_analytics.upcoming_player_game_context "
                              "WHERE game_date >= ? AND game_date < ?", [first, end])
        hist = _query(con, "SELECT * FROM nba_analytics.player_game_summary "
                           "WHERE game_date >= ? AND game_date < ?",
                      [first - timedelta(days=PLAYER_HISTORY_DAYS), end])
        window = [first - timedelta(days=TEAM_HISTORY_DAYS), end]
        offense = _query(con, "SELECT * FROM nba_analytics.team_offense_game_summary "
                              "WHERE game_date >= ? AND game_date < ?", window)
        defense = _query(con, "SELECT * FROM nba_analytics.team_defense_game_summary "
                              "WHERE game_date >= ? AND game_date < ?", window)
    finally:
        con.close()
    rows = build_feature_rows(context, hist, offense, defense, pd.Timestamp("2024-01-01", tz="UTC"))
    return rows, time.perf_counter() - started, len(hist)


def _naive_features(home: Path, day: date, limit: int | None) -> tuple[Any, float, int]:
    """The legacy access pattern: the date's players, then ONE filtered query per player for
    that player's history and his team's games, and the same feature code run on that player
    alone. Team inputs
    are read once (the legacy cost was the per-player queries, which this reproduces)."""
    import pandas as pd

    from nba_pipeline.defs.precompute.assets import PLAYER_HISTORY_DAYS, TEAM_HISTORY_DAYS
    from nba_pipeline.features.feature_store import build_feature_rows

    started = time.perf_counter()
    con = _connect(home)
    out = []
    try:
        context = _query(con, "SELECT * FROM nba_analytics.upcoming_player_game_context "
                              "WHERE game_date = ?", [day])
        window = [day - timedelta(days=TEAM_HISTORY_DAYS), day]
        offense = _query(con, "SELECT * FROM nba_analytics.team_offense_game_summary "
                              "WHERE game_date >= ? AND game_date < ?", window)
        defense = _query(con, "SELECT * FROM nba_analytics.team_defense_game_summary "
                              "WHERE game_date >= ? AND game_date < ?", window)
        rows = context if limit is None else context.head(limit)
        since = day - timedelta(days=PLAYER_HISTORY_DAYS)
        for i in range(len(rows)):
            row = rows.iloc[[i]]
            # His games, his team's, and his teammates' rows in every game he played (the
            # availability features read his team; his points share reads the team's points,
            # for a traded player his former team's too).
            player = row["player_lookup"].iloc[0]
            player_hist = _query(
                con, "SELECT * FROM nba_analytics.player_game_summary "
                     "WHERE (player_lookup = ? OR team_abbr = ? OR (team_abbr, game_id) IN "
                     "(SELECT team_abbr, game_id FROM nba_analytics.player_game_summary "
                     "WHERE player_lookup = ?)) "
                     "AND game_date >= ? AND game_date < ? ORDER BY game_date",
                [player, row["team_abbr"].iloc[0], player, since, day])
            teams = {row["team_abbr"].iloc[0], row["opponent_abbr"].iloc[0]}
            out.append(build_feature_rows(
                row, player_hist, offense[offense["team_abbr"].isin(teams)],
                defense[defense["team_abbr"].isin(teams)], pd.Timestamp("2024-01-01", tz="UTC")))
    finally:
        con.close()
    return pd.concat(out, ignore_index=True), time.perf_counter() - started, len(rows)


def _same_features(naive: Any, vectorized: Any) -> bool:
    """The naive loop must compute exactly what the vectorized pass computes."""
    import numpy as np

    from nba_pipeline.features.feature_store import FEATURES

    key = ["game_date", "player_lookup"]
    merged = naive.merge(vectorized, on=key, suffixes=("_n", "_v"), how="left")
    if len(merged) != len(naive):
        return False
    return all(np.allclose(merged[f"{f}_n"].to_numpy(float), merged[f"{f}_v"].to_numpy(float),
                           equal_nan=True, rtol=1e-9, atol=1e-9) for f in FEATURES)


def stage_backfill(spec: dict[str, Any]) -> dict[str, Any]:
    home = Path(spec["home"])
    start, end = _d(spec["start"]), _d(spec["end"])
    defs = _defs(home)
    run = _timed_run(defs, _instance(spec["instance"]), start, end, HISTORY_GROUPS)
    rows, seconds, _ = _vectorized_features(home, start, end + timedelta(days=1))
    con = _connect(home)
    try:
        player_games, game_days = con.execute(
            "SELECT count(*), count(DISTINCT game_date) FROM nba_analytics.player_game_summary"
        ).fetchone()
    finally:
        con.close()
    return {"backfill": run, "feature_store_s": seconds, "feature_rows": len(rows),
            "player_games": int(player_games), "game_days": int(game_days),
            "peak_rss_mb": _peak_rss_mb()}


def stage_season(spec: dict[str, Any]) -> dict[str, Any]:
    home = Path(spec["home"])
    start, end = _d(spec["start"]), _d(spec["end"])
    run = _timed_run(_defs(home), _instance(spec["instance"]), start, end)
    con = _connect(home)
    try:
        game_days, player_games = con.execute(
            "SELECT count(DISTINCT game_date), count(*) FROM nba_analytics.player_game_summary "
            "WHERE game_date BETWEEN ? AND ?", [start, end]).fetchone()
        models = con.execute("SELECT count(DISTINCT model_version) FROM "
                             "nba_predictions.points_model WHERE game_date BETWEEN ? AND ?",
                             [start, end]).fetchone()[0]
        predictions = con.execute("SELECT count(*) FROM nba_predictions.player_prop_predictions "
                                  "WHERE game_date BETWEEN ? AND ?", [start, end]).fetchone()[0]
    finally:
        con.close()
    return {"run": run, "game_days": int(game_days), "player_games": int(player_games),
            "models_trained": int(models), "predictions": int(predictions),
            "calendar_days": (end - start).days + 1, "peak_rss_mb": _peak_rss_mb()}


def stage_day(spec: dict[str, Any]) -> dict[str, Any]:
    home = Path(spec["home"])
    day = _d(spec["day"])
    started = time.perf_counter()
    defs = _defs(home)
    instance = _instance(spec["instance"])
    setup = time.perf_counter() - started
    cold = _timed_run(defs, instance, day, day)
    warm = [_timed_run(defs, instance, day, day) for _ in range(spec["warm_repeats"])]
    memory = _instance("memory")
    in_memory = [_timed_run(defs, memory, day, day) for _ in range(max(spec["warm_repeats"], 1))]
    per_partition = [_timed_run(defs, instance, _d(d), _d(d)) for d in spec["sample_days"]]
    history_per_partition = [_timed_run(defs, instance, _d(d), _d(d), HISTORY_GROUPS)
                             for d in spec["history_sample_days"]]
    feature_date = _d(spec["feature_date"])
    vectorized = [_vectorized_features(home, feature_date, feature_date + timedelta(days=1))
                  for _ in range(3)]
    naive_rows, naive_s, players = _naive_features(home, feature_date, spec["naive_limit"])
    vec_rows = vectorized[0][0]
    return {
        "setup_s": setup, "cold": cold, "warm": warm, "in_memory": in_memory,
        "per_partition": per_partition,
        "history_per_partition": history_per_partition,
        "feature_store": {
            "date": feature_date.isoformat(), "players": len(vec_rows),
            "history_rows": vectorized[0][2],
            "vectorized_s": statistics.median(v[1] for v in vectorized),
            "naive_s": naive_s, "naive_players": players, "naive_queries": players + 3,
            "same_features": _same_features(naive_rows, vec_rows),
        },
        "peak_rss_mb": _peak_rss_mb(),
    }


@contextmanager
def daemon_process(dagster_home: Path, env: dict[str, str] | None = None) -> Iterator[Any]:
    """A real `dagster-daemon run` on `dagster_home` (the checkout's workspace.yaml), its output
    in `dagster_home/daemon.log`; terminated (by its own pid) on exit. Shared with the tests of
    the daemon path (nba_pipeline_tests/automation/test_postgres_instance.py)."""
    env = {**os.environ, **(env or {}), "DAGSTER_HOME": str(dagster_home)}
    with open(dagster_home / "daemon.log", "w") as log:
        daemon = subprocess.Popen([str(Path(sys.executable).parent / "dagster-daemon"), "run",
                                   "-w", str(CHECKOUT / "workspace.yaml")], cwd=CHECKOUT,
                                  env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield daemon
        finally:
            daemon.terminate()
            try:
                daemon.wait(timeout=60)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait(timeout=10)


def wait_backfill(instance: Any, backfill_id: str, timeout_s: float) -> str:
    """Poll the backfill until it leaves REQUESTED/CANCELING (or `timeout_s`); its status."""
    started = time.perf_counter()
    status = "REQUESTED"
    while time.perf_counter() - started < timeout_s:
        status = instance.get_backfill(backfill_id).status.value
        if not status.startswith(("REQUESTED", "CANCELING")):
            break
        time.sleep(1)
    return status


def run_source(tags: dict[str, str]) -> str:
    """Who launched a run: a backfill, the automation sensor, another sensor, or other."""
    return ("backfill" if "dagster/backfill" in tags else
            "automation" if tags.get("dagster/sensor_name") == "nba_automation"
            else "sensor" if "dagster/sensor_name" in tags else "other")


def runs_by_source(instance: Any) -> dict[str, int]:
    runs: dict[str, int] = {"backfill": 0, "sensor": 0, "automation": 0, "other": 0}
    for run in instance.get_runs():
        runs[run_source(run.tags)] += 1
    return runs


def wait_daemon_ready(instance: Any, daemon: Any, timeout_s: float) -> float:
    """Wait until the daemon has loaded the code and ticked both sensors once (the landing
    sensor's first tick takes the store as its baseline): an operator's daemon is already
    running when a backfill is launched. Returns the seconds waited."""
    from dagster._core.scheduler.instigation import InstigatorType

    started = time.perf_counter()
    while time.perf_counter() - started < timeout_s:
        if daemon.poll() is not None:
            raise RuntimeError(f"dagster-daemon exited with {daemon.returncode}")
        ticked = set()
        for state in instance.all_instigator_state(instigator_type=InstigatorType.SENSOR):
            if instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=1):
                ticked.add(state.instigator_name)
        if {"landing_sensor", "nba_automation"} <= ticked:
            break
        time.sleep(1)
    return time.perf_counter() - started


def backfill_phases(instance: Any, backfill_id: str, submitted_at: float, wall_s: float
                    ) -> dict[str, float]:
    """Where the daemon's wall time went, from the backfill's run(s): submit -> run created
    (the backfill daemon's tick, planning every asset partition), -> run process started (run
    queue, launcher), -> first step (the run process loading the code), the steps, and run end
    -> the backfill marked complete (the backfill daemon's next tick)."""
    from dagster import DagsterEventType, RunsFilter

    records = instance.get_run_records(RunsFilter(tags={"dagster/backfill": backfill_id}))
    if not records:
        return {}
    created = min(r.create_timestamp.timestamp() for r in records)
    started = min(r.start_time or created for r in records)
    ended = max(r.end_time or started for r in records)
    first_step = min((e.timestamp for r in records for e in instance.all_logs(
        r.dagster_run.run_id, of_type=DagsterEventType.STEP_START)), default=started)
    return {"to_run_created_s": round(created - submitted_at, 2),
            "to_run_started_s": round(started - created, 2),
            "code_load_s": round(first_step - started, 2),
            "steps_s": round(ended - first_step, 2),
            "to_backfill_complete_s": round(submitted_at + wall_s - ended, 2)}


def stage_daemon(spec: dict[str, Any]) -> dict[str, Any]:
    """The operator's path: a range submitted to a real `dagster-daemon` on an on-disk instance.

    First the same range in process (one run, as `nba-pipeline backfill` without --submit runs
    it: an on-disk sqlite instance), then, once the daemon is up (code loaded, both sensors
    ticked), `backfill --submit`'s backfill for it; reports the daemon's wall time (submit to
    COMPLETED, its ticks included), where it went, and the runs launched by source. The daemon's
    instance is a fresh prepared home, so only this range's runs are counted.
    """
    from dagster import DagsterInstance

    from nba_pipeline.commands.backfill import submit_backfill
    from nba_pipeline.commands.instance import declared_pools, prepare_home

    home, start, end = Path(spec["home"]), _d(spec["start"]), _d(spec["end"])
    daemon_home = Path(spec["dagster_home"])
    defs = _defs(home)
    pools = declared_pools(defs)
    cli_home = daemon_home.parent / f"{daemon_home.name}_in_process"
    prepare_home(cli_home, pools)
    with DagsterInstance.from_config(str(cli_home)) as cli_instance:
        in_process = _timed_run(defs, cli_instance, start, end)
    prepare_home(daemon_home, pools)
    interval = spec.get("sensor_interval_s", 30)
    env = {"NBA_PIPELINE_SENSOR_INTERVAL_SECONDS": str(interval)}
    with daemon_process(daemon_home, env) as daemon, \
            DagsterInstance.from_config(str(daemon_home)) as instance:
        ready_s = wait_daemon_ready(instance, daemon, spec["timeout_s"])
        keys = sorted(defs.resolve_asset_graph().get_all_asset_keys())
        submitted, submitted_at = time.perf_counter(), time.time()
        backfill_id = submit_backfill(defs, instance, start, end, keys)
        status = wait_backfill(instance, backfill_id, spec["timeout_s"])
        wall = time.perf_counter() - submitted
        # a sensor or automation run reacting to the backfill would be requested on the ticks
        # right after it: give them two sensor ticks to show up (not part of the wall time)
        settle_until = time.perf_counter() + 2 * interval + 5
        while time.perf_counter() < settle_until:
            time.sleep(1)
        runs = runs_by_source(instance)
        phases = backfill_phases(instance, backfill_id, submitted_at, wall)
    return {"range": f"{start}..{end}", "status": status, "daemon_wall_s": round(wall, 2),
            "in_process_wall_s": round(in_process["wall_s"], 2),
            "in_process_steps_s": round(in_process["steps_s"], 2),
            "daemon_ready_s": round(ready_s, 2), "phases": phases, "runs": runs}


def stage_instances(spec: dict[str, Any]) -> dict[str, Any]:
    """One game day, in process (no daemon), recorded by an on-disk sqlite instance and by the
    production Postgres instance (`init-home --postgres` settings on a throwaway loopback
    cluster): what moving the run and event storage to Postgres costs a run.

    Each instance gets one untimed warm-up run (tables created, code paths warm), then
    `repeats` timed runs of the same day; the fastest counts. The warehouse writes are the same
    (the day's partitions replaced), so the difference is the instance's storage.
    """
    from dagster import DagsterInstance

    from nba_pipeline import local_postgres
    from nba_pipeline.commands.instance import PG_ENV, declared_pools, prepare_home

    home, day = Path(spec["home"]), _d(spec["day"])
    defs = _defs(home)
    pools = declared_pools(defs)
    work = Path(tempfile.mkdtemp(prefix="nba_bench_instances_"))
    cluster_root = Path(tempfile.mkdtemp(prefix="nba_bench_pg_"))  # reachable by the server
    saved = {name: os.environ.get(name) for name in PG_ENV}
    measured: dict[str, dict[str, Any]] = {}
    cluster = local_postgres.start(cluster_root)
    try:
        cluster.create_database("bench")
        os.environ.update(cluster.env("bench"))
        for kind in ("sqlite", "postgres"):
            dagster_home = work / f"{kind}_home"
            prepare_home(dagster_home, pools, kind=kind)
            with DagsterInstance.from_config(str(dagster_home)) as instance:
                _timed_run(defs, instance, day, day)
                runs = [_timed_run(defs, instance, day, day) for _ in range(spec["repeats"])]
            best = min(runs, key=lambda r: r["wall_s"])
            measured[kind] = {"wall_s": round(best["wall_s"], 3),
                              "steps_s": round(best["steps_s"], 3),
                              "overhead_s": round(best["wall_s"] - best["steps_s"], 3),
                              "events": best["events"]}
    finally:
        local_postgres.stop(cluster)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(cluster_root, ignore_errors=True)
    return {"day": day.isoformat(), "repeats": spec["repeats"], **{
        f"{kind}_{k}": v for kind, m in measured.items() for k, v in m.items()},
        "postgres_vs_sqlite": round(measured["postgres"]["wall_s"]
                                    / max(measured["sqlite"]["wall_s"], 1e-9), 2)}


def stage_sequence(spec: dict[str, Any]) -> dict[str, Any]:
    """Several stages one after another in this process (the quick plan)."""
    return {"results": [STAGES[name](sub) for name, sub in spec["stages"]]}


STAGES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "backfill": stage_backfill, "season": stage_season, "day": stage_day,
    "daemon": stage_daemon, "instances": stage_instances, "sequence": stage_sequence,
}


def child_main(argv: Sequence[str]) -> int:
    stage, spec_path, out_path = argv
    result = STAGES[stage](json.loads(Path(spec_path).read_text()))
    Path(out_path).write_text(json.dumps(result, default=str))
    return 0


# ------------------------------------------------------------ parent side (orchestrates, reports)


@dataclass
class BenchEnv:
    workdir: Path
    dagster_home: Path
    log: Callable[[str], None]
    children: list[float] = field(default_factory=list)

    def run(self, stage: str, spec: dict[str, Any]) -> dict[str, Any]:
        """Run one stage in a fresh Python process with the bench's own homes."""
        n = len(self.children)
        spec_path = self.workdir / f"{n:02d}_{stage}.spec.json"
        out_path = self.workdir / f"{n:02d}_{stage}.out.json"
        spec_path.write_text(json.dumps(spec))
        env = {**os.environ, "DAGSTER_HOME": str(self.dagster_home),
               "NBA_PIPELINE_HOME": spec["home"], "NBA_PIPELINE_PROFILE": "local",
               "NBA_PIPELINE_SOURCE": "replay", "PYTHONWARNINGS": "ignore",
               "PYTHONPATH": os.pathsep.join(
                   p for p in (str(CHECKOUT), os.environ.get("PYTHONPATH")) if p)}
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "bench.benchmarks", stage,
                               str(spec_path), str(out_path)], env=env, capture_output=True,
                              text=True)
        self.children.append(time.perf_counter() - started)
        if proc.returncode != 0:
            raise RuntimeError(f"bench stage {stage} failed:\n{proc.stderr[-4000:]}")
        return json.loads(out_path.read_text())


def machine() -> dict[str, Any]:
    import dagster
    import duckdb
    import lightgbm
    import pandas

    pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    return {"cores": os.cpu_count(), "memory_gb": round(pages * page_size / 2**30, 1),
            "python": platform.python_version(), "dagster": dagster.__version__,
            "duckdb": duckdb.__version__, "pandas": pandas.__version__,
            "lightgbm": lightgbm.__version__, "platform": platform.platform(),
            "load_avg_1m_start": round(os.getloadavg()[0], 2)}


def run_bench(plan: Plan, log: Callable[[str], None], keep: Path | None = None
              ) -> dict[str, Any]:
    """Run every stage of `plan` in child processes; return the results dict (results.json)."""
    workdir = Path(tempfile.mkdtemp(prefix="nba_bench_")) if keep is None else keep
    workdir.mkdir(parents=True, exist_ok=True)
    dagster_home = workdir / "dagster_home"
    # Prepared as every command prepares its home (pools, the pooled event log).
    from nba_pipeline.commands.instance import declared_pools, prepare_home
    prepare_home(dagster_home, declared_pools(_defs(workdir / "defs_home")), kind="sqlite")
    env = BenchEnv(workdir, dagster_home, log)
    info = machine()
    started = time.perf_counter()
    homes = {seasons: workdir / f"home_{seasons}" for seasons, _ in plan.scaling}
    if plan.history_seasons not in homes:
        raise ValueError(f"plan {plan.name}: no scaling row leaves the season's history")
    history_home = str(homes[plan.history_seasons])
    stages: list[tuple[str, dict[str, Any], str]] = [
        ("backfill", {"home": str(homes[seasons]), "start": first, "end": last,
                      "instance": plan.instance},
         f"scaling: {seasons} season(s) {first}..{last}, landing..precompute, one run")
        for seasons, (first, last) in plan.scaling]
    stages.append(("season", {"home": history_home, "start": plan.season[0],
                              "end": plan.season[1], "instance": plan.instance},
                   f"season: {plan.season[0]}..{plan.season[1]}, every asset, one run "
                   f"(on {plan.history_seasons} season(s) of history)"))
    stages.append(("day", {"home": history_home, "day": plan.day, "instance": plan.instance,
                           "warm_repeats": plan.warm_repeats,
                           "sample_days": list(plan.sample_days),
                           "history_sample_days": list(plan.history_sample_days),
                           "feature_date": plan.feature_date,
                           "naive_limit": plan.naive_player_limit},
                   f"day {plan.day} end to end, per-partition sample runs, feature store on "
                   f"{plan.feature_date}"))
    if plan.daemon_range is not None:
        first, last = plan.daemon_range
        stages.append(("daemon", {"home": history_home, "start": first, "end": last,
                                  "dagster_home": str(workdir / "daemon_home"),
                                  "timeout_s": 1800,
                                  "sensor_interval_s": plan.daemon_sensor_interval_s},
                       f"daemon: {first}..{last} submitted to dagster-daemon, vs in process"))
    if plan.instances_day is not None:
        stages.append(("instances", {"home": history_home, "day": plan.instances_day,
                                     "repeats": plan.instances_repeats},
                       f"instances: day {plan.instances_day} in process on sqlite vs Postgres"))
    try:
        if plan.one_process:
            log("all stages in one child process: " + "; ".join(m for _, _, m in stages))
            outs = env.run("sequence", {"home": history_home, "stages": [
                [name, spec] for name, spec, _ in stages]})["results"]
        else:
            outs = []
            for name, spec, message in stages:
                log(message)
                outs.append(env.run(name, spec))
        scaling = scaling_rows(plan, outs)
        season, day, *rest = outs[len(plan.scaling):]
    finally:
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    info["load_avg_1m_end"] = round(os.getloadavg()[0], 2)
    return summarize(plan, info, scaling, season, day, time.perf_counter() - started,
                     *_optional_stages(rest))


def _optional_stages(rest: Sequence[dict[str, Any]]
                     ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(daemon, instances) outputs, each None when the plan has no such stage."""
    daemon = next((r for r in rest if "daemon_wall_s" in r), None)
    instances = next((r for r in rest if "postgres_vs_sqlite" in r), None)
    return daemon, instances


def scaling_rows(plan: Plan, outs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for (seasons, (first, last)), out in zip(plan.scaling, outs, strict=False):
        rows.append({"seasons": seasons, "start": first, "end": last,
                     "partitions": (_d(last) - _d(first)).days + 1,
                     "backfill_s": round(out["backfill"]["wall_s"], 2),
                     "backfill_steps_s": round(out["backfill"]["steps_s"], 2),
                     "backfill_cpu_s": round(out["backfill"]["cpu_s"], 2),
                     "backfill_events": out["backfill"].get("events"),
                     "feature_store_s": round(out["feature_store_s"], 3),
                     "feature_rows": out["feature_rows"],
                     "player_games": out["player_games"],
                     "game_days": out["game_days"],
                     "peak_rss_mb": out["peak_rss_mb"]})
    return rows


def resummarize(plan: Plan, workdir: Path, total_s: float) -> dict[str, Any]:
    """Rebuild the results from a kept run's per-stage JSON (`--keep`), without re-running."""
    outs = [json.loads(p.read_text()) for p in sorted(workdir.glob("*.out.json"))]
    if plan.one_process:
        outs = outs[0]["results"]
    info = {**machine(), "load_avg_1m_start": None, "load_avg_1m_end": None}
    season, day, *rest = outs[len(plan.scaling):]
    return summarize(plan, info, scaling_rows(plan, outs), season, day, total_s,
                     *_optional_stages(rest))


def summarize(plan: Plan, info: dict[str, Any], scaling: list[dict[str, Any]],
              season: dict[str, Any], day: dict[str, Any], total_s: float,
              daemon: dict[str, Any] | None = None,
              instances: dict[str, Any] | None = None) -> dict[str, Any]:
    warm = day["warm"] or [day["cold"]]
    day_run = min(warm, key=lambda r: r["wall_s"])
    mem_run = min(day["in_memory"], key=lambda r: r["wall_s"])
    season_run = season["run"]
    game_days = max(season["game_days"], 1)
    single_per_day = season_run["wall_s"] / game_days
    partition_per_day = statistics.mean(r["wall_s"] for r in day["per_partition"])
    # The sample reuses the season's weekly models; a real per-partition backfill trains the
    # same weekly models once each, so the season's training step is added to the baseline.
    training_s = season_run["steps"].get("nba_predictions__points_model", 0.0)
    partition_season_s = partition_per_day * game_days + training_s
    first = scaling[0]
    history_single_per_day = first["backfill_s"] / max(first["game_days"], 1)
    history_partition_per_day = statistics.mean(
        r["wall_s"] for r in day["history_per_partition"])
    # CPU-time versions of both ratios: robust to other processes on a shared machine.
    cpu_partition_per_day = statistics.mean(r["cpu_s"] for r in day["per_partition"])
    cpu_partition_season_s = cpu_partition_per_day * game_days + training_s
    history_cpu_single = first["backfill_cpu_s"] / max(first["game_days"], 1)
    history_cpu_partition = statistics.mean(r["cpu_s"] for r in day["history_per_partition"])
    fs = day["feature_store"]
    naive_full_s = fs["naive_s"] * fs["players"] / max(fs["naive_players"], 1)
    return {
        "plan": plan.name,
        "instance": plan.instance,
        "machine": info,
        "bench_total_s": round(total_s, 1),
        "day": plan.day,
        "day_wall_s": round(day_run["wall_s"], 3),
        "day_asset_code_s": round(day_run["steps_s"], 3),
        "day_dagster_overhead_s": round(day_run["wall_s"] - day_run["steps_s"], 3),
        "day_cpu_s": round(day_run["cpu_s"], 3),
        "day_in_memory_wall_s": round(mem_run["wall_s"], 3),
        "day_in_memory_asset_code_s": round(mem_run["steps_s"], 3),
        "day_in_memory_cpu_s": round(mem_run["cpu_s"], 3),
        "day_cold_wall_s": round(day["cold"]["wall_s"], 3),
        "day_setup_s": round(day["setup_s"], 3),
        "day_steps_s": {k: round(v, 3) for k, v in sorted(
            day_run["steps"].items(), key=lambda kv: -kv[1])},
        "day_checks_passed": day_run["checks_passed"],
        "season": {"start": plan.season[0], "end": plan.season[1], **{
            k: season[k] for k in ("game_days", "calendar_days", "player_games",
                                   "models_trained", "predictions")},
            "history_seasons": plan.history_seasons,
            "checks_passed": season_run["checks_passed"],
            "steps_s": {k: round(v, 2) for k, v in sorted(
                season_run["steps"].items(), key=lambda kv: -kv[1])}},
        "season_backfill_s": round(season_run["wall_s"], 2),
        "season_asset_code_s": round(season_run["steps_s"], 2),
        "season_cpu_s": round(season_run["cpu_s"], 2),
        "single_run_per_day_s": round(single_per_day, 3),
        "per_partition_sample_days": list(plan.sample_days),
        "per_partition_per_day_s": round(partition_per_day, 3),
        "season_training_s": round(training_s, 2),
        "per_partition_extrapolated_season_s": round(partition_season_s, 1),
        "single_run_speedup": round(partition_season_s / season_run["wall_s"], 2),
        "single_run_speedup_cpu": round(cpu_partition_season_s / season_run["cpu_s"], 2),
        "per_partition_cpu_per_day_s": round(cpu_partition_per_day, 3),
        "season_events": season_run.get("events"),
        "day_events": day_run.get("events"),
        "landing_to_precompute": {
            "single_run": f"{first['start']}..{first['end']}",
            "single_run_s": first["backfill_s"], "game_days": first["game_days"],
            "single_run_per_day_s": round(history_single_per_day, 3),
            "per_partition_sample_days": list(plan.history_sample_days),
            "per_partition_per_day_s": round(history_partition_per_day, 3),
            "speedup": round(history_partition_per_day / history_single_per_day, 2),
            "single_run_cpu_per_day_s": round(history_cpu_single, 3),
            "per_partition_cpu_per_day_s": round(history_cpu_partition, 3),
            "speedup_cpu": round(history_cpu_partition / history_cpu_single, 2)},
        "feature_store": {**fs, "naive_extrapolated_s": round(naive_full_s, 3)},
        "feature_store_vectorized_s": round(fs["vectorized_s"], 4),
        "feature_store_naive_s": round(naive_full_s, 3),
        "feature_store_speedup": round(naive_full_s / fs["vectorized_s"], 1),
        "peak_rss_mb": season["peak_rss_mb"],
        "scaling": scaling,
        "daemon": None if daemon is None else {
            **daemon, "wall_vs_in_process": round(
                daemon["daemon_wall_s"] / max(daemon["in_process_wall_s"], 1e-9), 2)},
        "instances": instances,
        "method": METHOD,
    }


METHOD = (
    "Every figure is measured in this run, each heavy stage in its own child process with a "
    "temp NBA_PIPELINE_HOME and DAGSTER_HOME (on-disk instance from dagster.yaml), local "
    "profile (DuckDB + replay). Asset code = sum of STEP_SUCCESS durations (load inputs, "
    "compute, write, checks); Dagster overhead = run wall - asset code. day_wall_s = fastest "
    "warm run of one game day through every asset (definitions built, recorded files read); "
    "day_cold_wall_s = the first run in a fresh process. Season = one single run through "
    "every asset (model retrained weekly) on untimed prior seasons of landing..precompute "
    "history; per-partition = the same assets run once per partition on the sample days, "
    "mean per day x game days + the season run's points_model step (the same weekly trainings "
    "a per-partition backfill would do once each; the sample runs reuse the trained models). "
    "landing_to_precompute: the 1-season scaling run per game day vs one run per partition of "
    "the same groups on sample days of that season. Feature store = one date, all expected "
    "players, reading the warehouse: one query per input + one vectorized pass vs one "
    "filtered query per player + the same feature code per player (outputs compared). "
    "peak_rss_mb = ru_maxrss of the season child. Scaling = landing..precompute over 1, 2, 3 "
    "seasons as one run into a fresh warehouse, then the feature store over every date. "
    "Instances = one game day in process on an on-disk sqlite instance vs the production "
    "Postgres instance (throwaway loopback cluster), fastest of the repeats after a warm-up."
)


def _ratio(a: float, b: float) -> str:
    return f"{a / b:,.1f}x" if b else "n/a"


def table(results: dict[str, Any]) -> str:
    """The human-readable table (also the body of docs/performance.md)."""
    r = results
    s = r["season"]
    fs = r["feature_store"]
    lp = r["landing_to_precompute"]
    rows = [
        ("figure", "measured", "baseline", "ratio", "target"),
        ("one game day, wall (warm)", f"{r['day_wall_s']:.2f} s",
         f"legacy {LEGACY_DAY_S // 60} min", _ratio(LEGACY_DAY_S, r["day_wall_s"]), "< 10 s"),
        ("  asset code (step time)", f"{r['day_asset_code_s']:.2f} s",
         f"of {r['day_wall_s']:.2f} s wall",
         f"{r['day_asset_code_s'] / r['day_wall_s']:.0%}", "< 2 s"),
        ("  Dagster overhead", f"{r['day_dagster_overhead_s']:.2f} s",
         f"of {r['day_wall_s']:.2f} s wall",
         f"{r['day_dagster_overhead_s'] / r['day_wall_s']:.0%}", ""),
        ("  CPU time of that run", f"{r['day_cpu_s']:.2f} s", "", "", ""),
        ("  same day, in-memory instance", f"{r['day_in_memory_wall_s']:.2f} s",
         f"code {r['day_in_memory_asset_code_s']:.2f} s, CPU {r['day_in_memory_cpu_s']:.2f} s",
         _ratio(r["day_wall_s"], r["day_in_memory_wall_s"]), ""),
        ("  cold (fresh process)", f"{r['day_cold_wall_s']:.2f} s",
         f"legacy target {LEGACY_TARGET_DAY_S // 60} min",
         _ratio(LEGACY_TARGET_DAY_S, r["day_cold_wall_s"]), ""),
        (f"season {s['start']}..{s['end']}, one run, every asset ({s['game_days']} days, "
         f"{s['player_games']:,} player-games)", f"{r['season_backfill_s']:.1f} s",
         f"per-partition {r['per_partition_extrapolated_season_s']:.0f} s (extrapolated)",
         _ratio(r["per_partition_extrapolated_season_s"], r["season_backfill_s"]), "< 90 s"),
        ("  CPU time / asset code of that run", f"{r['season_cpu_s']:.1f} s",
         f"asset code {r['season_asset_code_s']:.1f} s", "", ""),
        ("  per game day", f"{r['single_run_per_day_s']:.3f} s",
         f"{r['per_partition_per_day_s']:.2f} s per partition run "
         f"(mean of {len(r['per_partition_sample_days'])})",
         f"{r['single_run_speedup']:.1f}x", ">= 10x"),
        ("  same, CPU time", f"{r['season_cpu_s'] / s['game_days']:.3f} s",
         f"{r['per_partition_cpu_per_day_s']:.2f} s per partition run (+ training)",
         f"{r['single_run_speedup_cpu']:.1f}x", ""),
        ("  of which weekly model training", f"{r['season_training_s']:.1f} s",
         f"{s['models_trained']} weekly models", "", ""),
        ("  landing..precompute per game day", f"{lp['single_run_per_day_s']:.3f} s",
         f"{lp['per_partition_per_day_s']:.2f} s per partition run "
         f"(mean of {len(lp['per_partition_sample_days'])})", f"{lp['speedup']:.1f}x", ">= 10x"),
        ("  same, CPU time", f"{lp['single_run_cpu_per_day_s']:.3f} s",
         f"{lp['per_partition_cpu_per_day_s']:.2f} s per partition run",
         f"{lp['speedup_cpu']:.1f}x", ""),
        (f"feature store, {fs['date']}, {fs['players']} players",
         f"{r['feature_store_vectorized_s'] * 1000:.0f} ms",
         f"per-player loop {r['feature_store_naive_s']:.2f} s ({fs['naive_queries']} queries"
         f"{'' if fs['naive_players'] == fs['players'] else ', extrapolated'})",
         f"{r['feature_store_speedup']:.0f}x", ">= 50x"),
        ("peak RSS, season backfill", f"{r['peak_rss_mb']:.0f} MB", "limit 2048 MB",
         f"{r['peak_rss_mb'] / 2048:.0%}", "< 2 GB"),
    ]
    daemon = r.get("daemon")
    if daemon:
        runs = daemon["runs"]
        rows.append((f"daemon backfill {daemon['range']} (submit -> {daemon['status']})",
                     f"{daemon['daemon_wall_s']:.1f} s; runs: backfill {runs['backfill']}, "
                     f"sensor {runs['sensor']}, automation {runs['automation']}",
                     f"in process {daemon['in_process_wall_s']:.1f} s (one run)",
                     f"{daemon['wall_vs_in_process']:.1f}x",
                     "runs <= 7, 0 sensor/automation, <= 2x"))
        ph = daemon.get("phases") or {}
        if ph:
            rows.append(("  of which: run created / launched / code loaded / steps / marked done",
                         f"{ph['to_run_created_s']:.1f} / {ph['to_run_started_s']:.1f} / "
                         f"{ph['code_load_s']:.1f} / {ph['steps_s']:.1f} / "
                         f"{ph['to_backfill_complete_s']:.1f} s",
                         f"in-process steps {daemon['in_process_steps_s']:.1f} s", "", ""))
    inst = r.get("instances")
    if inst:
        rows.append((f"one game day {inst['day']} in process, Postgres instance",
                     f"{inst['postgres_wall_s']:.2f} s ({inst['postgres_events']} events)",
                     f"on-disk sqlite instance {inst['sqlite_wall_s']:.2f} s",
                     f"{inst['postgres_vs_sqlite']:.2f}x", ""))
    base = r["scaling"][0]
    for row in r["scaling"]:
        n = row["seasons"]
        rows.append((f"scaling: {n} season(s), {row['player_games']:,} player-games",
                     f"backfill {row['backfill_s']:.1f} s (CPU {row['backfill_cpu_s']:.1f} s), "
                     f"features {row['feature_store_s']:.2f} s",
                     f"{n} x 1 season: {n * base['backfill_s']:.1f} s (CPU "
                     f"{n * base['backfill_cpu_s']:.1f} s) / {n * base['feature_store_s']:.2f} s",
                     f"{row['backfill_s'] / (n * base['backfill_s']):.2f} (CPU "
                     f"{row['backfill_cpu_s'] / (n * base['backfill_cpu_s']):.2f}) / "
                     f"{row['feature_store_s'] / (n * base['feature_store_s']):.2f}",
                     "~1.0 (linear)"))
    for row in r["scaling"]:
        days = row["partitions"] / base["partitions"]
        rows.append((f"scaling per partition: {row['seasons']} season(s) = "
                     f"{row['partitions']} days",
                     f"{row['backfill_s'] / row['partitions']:.3f} s "
                     f"(CPU {row['backfill_cpu_s'] / row['partitions']:.3f} s)",
                     f"1 season: {base['backfill_s'] / base['partitions']:.3f} s "
                     f"(CPU {base['backfill_cpu_s'] / base['partitions']:.3f} s)",
                     f"{row['backfill_s'] / (days * base['backfill_s']):.2f} (CPU "
                     f"{row['backfill_cpu_s'] / (days * base['backfill_cpu_s']):.2f})",
                     "~1.0 (linear)"))
    widths = [max(len(str(row[i])) for row in rows) for i in range(5)]
    lines = []
    for i, row in enumerate(rows):
        lines.append("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True))
                     + " |")
        if i == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    m = r["machine"]
    lines.append("")
    lines.append(f"machine: {m['cores']} cores, {m['memory_gb']} GB, Python {m['python']}, "
                 f"dagster {m['dagster']}, duckdb {m['duckdb']}, pandas {m['pandas']}, "
                 f"lightgbm {m['lightgbm']}; load average {m['load_avg_1m_start']} at start, "
                 f"{m['load_avg_1m_end']} at end; plan {r['plan']}, bench took "
                 f"{r['bench_total_s']:.0f} s")
    return "\n".join(lines)


def write_results(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n")
    tmp.replace(path)


def as_dict(plan: Plan) -> dict[str, Any]:
    return asdict(plan)


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
