"""The automation policy evaluated over a simulated game day on a real Dagster instance."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from dagster import (
    AssetCheckEvaluation,
    AssetKey,
    AssetMaterialization,
    AssetRecordsFilter,
    DagsterEvent,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    evaluate_automation_conditions,
)
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)

from nba_pipeline.definitions import build_definitions
from nba_pipeline.lib import automation as c
from nba_pipeline.lib.warehouse_asset import table_key as ak
from nba_pipeline.profiles import local_resources
from nba_pipeline.tables import (
    ACCURACY,
    BOXSCORES,
    CONTEXT,
    DAILY_PERFORMANCE,
    FEATURES,
    PGS,
    POINTS_MODEL,
    PREDICTION_GAPS,
    PREDICTIONS,
    PUBLISHED,
    SCHEDULE,
    TEAM_DEFENSE,
    TEAM_OFFENSE,
)

ET = ZoneInfo("America/New_York")
RAW_LINES = AssetKey(["nba_raw", "player_prop_lines"])


class Day:
    """Ticks the automation at chosen ET times and records what each tick requested."""

    def __init__(self, defs: Definitions, instance: DagsterInstance) -> None:
        self.defs, self.instance, self.cursor = defs, instance, None

    def tick(self, when: datetime) -> dict[str, set[str]]:
        result = evaluate_automation_conditions(
            defs=self.defs, instance=self.instance, evaluation_time=when, cursor=self.cursor)
        self.cursor = result.cursor
        return {r.key.to_user_string(): set(r.true_subset.expensively_compute_partition_keys())
                for r in result.results if r.true_subset.size}

    def materialize(self, requested: dict[str, set[str]] | list[tuple[AssetKey, str]],
                    checks_pass: bool = True) -> None:
        """Record what a run would have written, with its checks' results, one per partition
        as the assets report them (the policy only reads the event log)."""
        pairs = ([(AssetKey.from_user_string(k), p) for k, ps in requested.items() for p in ps]
                 if isinstance(requested, dict) else requested)
        graph = self.defs.resolve_asset_graph()
        run_id = str(uuid4())  # Dagster keeps one runless check result per partition, ever
        for key, partition in pairs:
            self.instance.report_runless_asset_event(AssetMaterialization(key, partition=partition))
            (record,) = self.instance.fetch_materializations(
                AssetRecordsFilter(asset_key=key, asset_partitions=[partition]), limit=1).records
            target = AssetCheckEvaluationTargetMaterializationData(
                run_id=record.run_id, storage_id=record.storage_id, timestamp=record.timestamp)
            for check_key in graph.get(key).check_keys:
                self.instance.report_dagster_event(DagsterEvent(
                    DagsterEventType.ASSET_CHECK_EVALUATION.value, job_name="simulated",
                    event_specific_data=AssetCheckEvaluation(
                        asset_key=key, check_name=check_key.name, passed=checks_pass,
                        partition=partition, target_materialization_data=target,
                        metadata={"partition": partition})), run_id=run_id)


@pytest.fixture
def day(tmp_path: Path, instance: DagsterInstance) -> Day:
    return Day(build_definitions(resources=local_resources(tmp_path)), instance)


def k(key: AssetKey) -> str:
    return key.to_user_string()


def test_policy_covers_every_asset_below_raw_and_nothing_above():
    defs = build_definitions(resources=local_resources(Path("/nonexistent")))
    graph = defs.resolve_asset_graph()
    automated = {key for key in graph.get_all_asset_keys()
                 if graph.get(key).automation_condition is not None}
    assert automated == set(c.AUTOMATED_KEYS)
    assert not any(key.path[0] in ("landing", "nba_raw") for key in automated)


def test_a_game_day_cascades_in_order_with_the_pre_tip_cron(day: Day):
    assert day.tick(datetime(2024, 3, 5, 20, 0, tzinfo=ET)) == {}  # first tick: baseline

    # Morning: 03-06's partition exists; the schedule and lines land and are parsed.
    day.materialize([(ak(SCHEDULE), "2024-03-06"), (RAW_LINES, "2024-03-06")])
    morning = day.tick(datetime(2024, 3, 6, 9, 0, tzinfo=ET))
    assert morning == {t.user_string: {"2024-03-06"} for t in
                       (CONTEXT, FEATURES, POINTS_MODEL, PREDICTIONS, PREDICTION_GAPS,
                        PUBLISHED)}
    # No box scores yet: nothing built from actuals, no grading.
    assert PGS.user_string not in morning and ACCURACY.user_string not in morning
    day.materialize(morning)
    assert day.tick(datetime(2024, 3, 6, 9, 1, tzinfo=ET)) == {}  # handled: not requested twice

    # 17:00 ET pre-tip cron: today's predictions refreshed (and republished in the same run).
    assert day.tick(datetime(2024, 3, 6, 16, 59, tzinfo=ET)) == {}
    pre_tip = day.tick(datetime(2024, 3, 6, 17, 1, tzinfo=ET))
    assert pre_tip == {t.user_string: {"2024-03-06"} for t in
                       (PREDICTIONS, PREDICTION_GAPS, PUBLISHED)}
    day.materialize(pre_tip)
    assert day.tick(datetime(2024, 3, 6, 17, 2, tzinfo=ET)) == {}

    # After the games: box scores land -> analytics and grading for 03-06. 03-07's partition now
    # exists but its schedule has not landed, so nothing for 03-07 is requested (#34094).
    day.materialize([(ak(BOXSCORES), "2024-03-06")])
    night = day.tick(datetime(2024, 3, 7, 3, 0, tzinfo=ET))
    assert night == {t.user_string: {"2024-03-06"} for t in
                     (PGS, TEAM_OFFENSE, TEAM_DEFENSE, PREDICTION_GAPS, ACCURACY,
                      DAILY_PERFORMANCE)}
    day.materialize(night)
    assert day.tick(datetime(2024, 3, 7, 3, 1, tzinfo=ET)) == {}


def test_late_correction_of_an_older_date_cascades(day: Day):
    day.tick(datetime(2024, 3, 7, 3, 0, tzinfo=ET))
    day.materialize([(ak(BOXSCORES), "2024-03-06"), (ak(BOXSCORES), "2024-02-23")])
    first = day.tick(datetime(2024, 3, 7, 3, 1, tzinfo=ET))
    day.materialize(first)
    day.tick(datetime(2024, 3, 7, 3, 2, tzinfo=ET))
    # A corrected box score for 02-23 lands two weeks late: plain eager() would ignore it (#24474).
    day.materialize([(ak(BOXSCORES), "2024-02-23")])
    late = day.tick(datetime(2024, 3, 7, 10, 0, tzinfo=ET))
    # player_game_summary reads 30 days of box scores: 02-23 and every later date whose own box
    # scores exist (03-06) are rebuilt; dates without box scores are not requested.
    assert late[PGS.user_string] == {"2024-02-23", "2024-03-06"}
    assert PREDICTIONS.user_string not in late  # no features for those dates exist in this instance


def test_history_gaps_do_not_block_a_date(day: Day):
    """Features read 550 days of history; missing history days must not block today."""
    day.tick(datetime(2024, 3, 6, 8, 0, tzinfo=ET))
    day.materialize([(ak(SCHEDULE), "2024-03-06")])
    requested = day.tick(datetime(2024, 3, 6, 9, 0, tzinfo=ET))
    assert "2024-03-06" in requested[FEATURES.user_string]


def test_failed_blocking_check_holds_downstream_until_it_passes(day: Day):
    day.tick(datetime(2024, 3, 7, 3, 0, tzinfo=ET))
    day.materialize([(ak(BOXSCORES), "2024-03-06")], checks_pass=False)
    held = day.tick(datetime(2024, 3, 7, 3, 1, tzinfo=ET))
    # Raw box scores failed a blocking check: nothing is built on them.
    assert PGS.user_string not in held
    # The box scores are re-parsed and pass: the held summaries go out without another trigger.
    day.materialize([(ak(BOXSCORES), "2024-03-06")], checks_pass=True)
    released = day.tick(datetime(2024, 3, 7, 3, 2, tzinfo=ET))
    assert released[PGS.user_string] == {"2024-03-06"}


def test_box_scores_rebuild_the_next_dates_features_never_their_own(day: Day):
    """History inputs are same-date dependencies read over earlier dates: D's box scores feed
    D+1's features (what was known before D+1's games), and never rebuild D's own features,
    predictions or models after D's games."""
    day.tick(datetime(2024, 3, 7, 8, 0, tzinfo=ET))
    day.materialize([(ak(SCHEDULE), "2024-03-06"), (ak(SCHEDULE), "2024-03-07"),
                     (RAW_LINES, "2024-03-06"), (RAW_LINES, "2024-03-07")])
    morning = day.tick(datetime(2024, 3, 7, 9, 0, tzinfo=ET))
    assert morning[FEATURES.user_string] == {"2024-03-06", "2024-03-07"}
    day.materialize(morning)
    assert day.tick(datetime(2024, 3, 7, 9, 1, tzinfo=ET)) == {}
    # 03-06's box scores arrive late (after 03-07's predictions were made).
    day.materialize([(ak(BOXSCORES), "2024-03-06")])
    rebuilt = day.tick(datetime(2024, 3, 7, 11, 0, tzinfo=ET))
    # One tick, one run: the summaries of 03-06 and what they feed on 03-07.
    assert rebuilt[PGS.user_string] == {"2024-03-06"}
    for table in (CONTEXT, FEATURES, PREDICTIONS):
        assert rebuilt[table.user_string] == {"2024-03-07"}, (table.name, rebuilt)
    day.materialize(rebuilt)
    after = day.tick(datetime(2024, 3, 7, 11, 2, tzinfo=ET))
    assert all("2024-03-06" not in dates for key, dates in after.items()
               if key in (FEATURES.user_string, POINTS_MODEL.user_string,
                          PREDICTIONS.user_string)), after


def _run_writes(day: Day, run_id: str, pairs: list[tuple[AssetKey, str]]) -> None:
    """Materializations written by run `run_id` (checks passing), as a run process stores them."""
    from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData

    graph = day.defs.resolve_asset_graph()
    for key, partition in pairs:
        day.instance.report_dagster_event(DagsterEvent(
            event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value,
            event_specific_data=StepMaterializationData(
                AssetMaterialization(key, partition=partition)),
            job_name="__ASSET_JOB"), run_id=run_id)
        for check_key in graph.get(key).check_keys:
            day.instance.report_runless_asset_event(AssetCheckEvaluation(
                asset_key=key, check_name=check_key.name, passed=True,
                metadata={"partition": partition}))


def test_a_range_run_handles_its_own_dates_whenever_the_automation_ticks(day: Day):
    """A backfill's single run over 03-07..03-08 writes raw, analytics, features, the model and
    predictions one after another. An automation tick in the middle of it (the inputs written,
    the assets below not yet) must not count those inputs' updates for the dates the same run
    builds: the run handles them. Before, such a tick armed `since_last_handled` for features
    03-07..03-08 (any_deps_updated skipped only the range's last day; the history triggers
    skipped nothing), and a reset the next tick missed left them to be requested again after
    the backfill (the Postgres daemon test, 2 of 4 runs). This instance has no planned-
    materialization events, so nothing is "in progress": an armed trigger shows at once as a
    request on the mid-run tick (the old conditions requested features, model, predictions)."""
    from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus

    dates = ["2024-03-07", "2024-03-08"]
    day.tick(datetime(2024, 3, 9, 8, 0, tzinfo=ET))
    graph = day.defs.resolve_asset_graph()
    selection = frozenset(graph.materializable_asset_keys)
    run = DagsterRun(job_name="__ASSET_JOB", run_id="range-run", asset_selection=selection,
                     status=DagsterRunStatus.STARTED,
                     tags={"dagster/asset_partition_range_start": dates[0],
                           "dagster/asset_partition_range_end": dates[-1]})
    day.instance.add_run(run)
    order = [key for key in graph.toposorted_asset_keys if key in selection]
    upstream = [key for key in order if key.path[0] in ("landing", "nba_raw", "nba_analytics")]
    rest = [key for key in order if key not in upstream]
    _run_writes(day, run.run_id, [(key, d) for key in upstream for d in dates])
    mid_run = day.tick(datetime(2024, 3, 9, 8, 1, tzinfo=ET))
    assert not any(set(dates) & partitions for partitions in mid_run.values()), mid_run
    _run_writes(day, run.run_id, [(key, d) for key in rest for d in dates])
    after = day.tick(datetime(2024, 3, 9, 8, 2, tzinfo=ET))
    assert not any(set(dates) & partitions for partitions in after.values()), after
    # what the run did not build is still requested: 03-09's features follow 03-08's box
    # scores once 03-09's own inputs exist
    day.materialize([(ak(SCHEDULE), "2024-03-09"), (RAW_LINES, "2024-03-09")])
    next_day = day.tick(datetime(2024, 3, 9, 9, 0, tzinfo=ET))
    assert next_day[FEATURES.user_string] == {"2024-03-09"}, next_day
