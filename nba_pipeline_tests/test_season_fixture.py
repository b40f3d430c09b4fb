"""Any season in the shared shapes runs with no code change (issue 14, deliverable 6).

The real Dagster job over the real assets, DuckDB and the replay source, pointed at a season-
shaped folder built from real rows (`season_fixture.py`): a neutral-site game written
`AWAY @ HOME` on both rows, a Cup final (006), a rookie with a line, a player traded
mid-fixture and a player back after 250+ days. History runs as two single runs (late 2022-23
through analytics, 2024-01-22..03-03 through precompute), then three game days through every
asset.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dagster import AssetSelection, DagsterInstance

from nba_pipeline.definitions import build_definitions
from nba_pipeline.ml import evaluation, systems
from nba_pipeline.profiles import local_resources
from nba_pipeline.runner import RangeRunResult, run_range
from nba_pipeline.sources.replay import ReplaySource
from nba_pipeline_tests import season_fixture as sf

HISTORY_GROUPS = ("landing", "raw", "analytics", "precompute")


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[sf.Fixture, Path, list[RangeRunResult]]]:
    root = tmp_path_factory.mktemp("season")
    fixture = sf.build(root / "data")
    home = root / "home"
    source = ReplaySource(data_dir=str(fixture.root), schedule_api_glob="")
    defs = build_definitions(resources={**local_resources(home), "nba_source": source})
    history = AssetSelection.groups(*HISTORY_GROUPS)
    with DagsterInstance.ephemeral() as instance:
        # The old season only needs its box scores (the returner's history), not features.
        old = AssetSelection.groups("landing", "raw", "analytics")
        results = [run_range(defs, *sf.OLD_SEASON, selection=old, instance=instance),
                   run_range(defs, *sf.HISTORY, selection=history, instance=instance),
                   run_range(defs, *sf.PREDICT, instance=instance)]
    yield fixture, home, results


def _table(home: Path, name: str) -> pd.DataFrame:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        frame = con.execute(f"select * from {name}").df()
    if "game_date" in frame:
        frame["game_date"] = pd.to_datetime(frame["game_date"]).dt.date
    return frame


def test_every_run_succeeds_and_every_check_passes(season) -> None:
    _, _, results = season
    for result in results:
        assert result.success, result.failure
        assert result.checks_failed == [], (result.checks_failed, result.check_days)


def test_no_date_is_excluded(season) -> None:
    """Every fixture game date has its games in the schedule and box scores for both teams."""
    fixture, home, _ = season
    teams = pd.read_csv(next((fixture.root / "team_game_logs").glob("*.csv.gz")),
                        dtype={"GAME_ID": str})
    schedule = _table(home, "nba_raw.schedule")
    box = _table(home, "nba_raw.player_boxscores")
    assert set(schedule["game_id"]) == set(teams["GAME_ID"])
    assert set(box["game_id"]) == set(teams["GAME_ID"])
    assert set(schedule["game_status"]) == {3}
    predicted = _table(home, "nba_predictions.player_prop_predictions")
    assert set(predicted["game_date"]) == set(pd.date_range(*sf.PREDICT).date)


def test_the_neutral_site_game_has_the_right_sides(season) -> None:
    fixture, home, _ = season
    schedule = _table(home, "nba_raw.schedule").set_index("game_id")
    assert schedule.loc[fixture.neutral_game, "home_team_abbr"] == fixture.neutral_home
    pgs = _table(home, "nba_analytics.player_game_summary")
    game = pgs[pgs["game_id"] == fixture.neutral_game]
    assert set(game.loc[game["is_home"], "team_abbr"]) == {fixture.neutral_home}
    assert not (pgs["team_abbr"] == pgs["opponent_abbr"]).any()
    defense = _table(home, "nba_analytics.team_defense_game_summary")
    assert not defense.duplicated(["game_id", "team_abbr"]).any()


def test_the_cup_final_is_landed_predicted_and_graded(season) -> None:
    fixture, home, _ = season
    box = _table(home, "nba_raw.player_boxscores")
    assert set(box.loc[box["game_id"] == sf.CUP_FINAL, "team_abbr"]) == set(fixture.cup_teams)
    landed = sorted(p.name for p in (home / "landing" / "nba_com" / "leaguegamelog"
                                     / sf.CUP_DAY.isoformat()).rglob("leaguegamelog*.json"))
    assert landed == ["leaguegamelog.json", "leaguegamelog_ist.json"]
    predicted = _table(home, "nba_predictions.player_prop_predictions")
    cup = predicted[predicted["game_id"] == sf.CUP_FINAL]
    assert len(cup) and set(cup.groupby("player_lookup")["system_id"].nunique()) == {
        len(systems.SYSTEMS)}
    graded = _table(home, "nba_predictions.prediction_accuracy")
    played = set(box.loc[box["game_id"] == sf.CUP_FINAL, "player_lookup"])
    assert (graded["game_id"] == sf.CUP_FINAL).sum() == cup["player_lookup"].isin(played).sum()
    assert (graded["game_id"] == sf.CUP_FINAL).sum() > 0


def _covered(home: Path, player: str, day) -> None:  # noqa: ANN001
    """Every system predicted `player` on `day`, or a gap row says why."""
    predicted = _table(home, "nba_predictions.player_prop_predictions")
    rows = predicted[(predicted["player_lookup"] == player) & (predicted["game_date"] == day)]
    if set(rows["system_id"]) != set(systems.SYSTEMS):
        gaps = _table(home, "nba_predictions.prediction_gaps")
        gap = gaps[(gaps["player_lookup"] == player) & (gaps["game_date"] == day)]
        assert len(gap) and gap["reason"].notna().all(), (player, day, rows["system_id"])


def test_every_special_player_is_predicted_by_every_system(season) -> None:
    fixture, home, _ = season
    for player, day in ((fixture.rookie, sf.ROOKIE_DAY), (fixture.returner, sf.RETURN_DAY),
                        (fixture.traded, sf.PREDICT[0])):
        _covered(home, player, day)
    predicted = _table(home, "nba_predictions.player_prop_predictions")
    for player, day in ((fixture.rookie, sf.ROOKIE_DAY), (fixture.returner, sf.RETURN_DAY)):
        rows = predicted[(predicted["player_lookup"] == player) & (predicted["game_date"] == day)]
        assert set(rows["system_id"]) == set(systems.SYSTEMS), player
    # No line player-game of the fixture lacks a prediction without a stated reason.
    gaps = _table(home, "nba_predictions.prediction_gaps")
    assert gaps["reason"].notna().all()


def test_cold_starts_are_flagged(season) -> None:
    fixture, home, _ = season
    context = _table(home, "nba_analytics.upcoming_player_game_context")
    predicted = _table(home, "nba_predictions.player_prop_predictions")
    for player, day, kind in ((fixture.rookie, sf.ROOKIE_DAY, "rookie"),
                              (fixture.returner, sf.RETURN_DAY, "returning")):
        row = context[(context["player_lookup"] == player) & (context["game_date"] == day)]
        assert row["cold_start"].tolist() == [kind], (player, row)
        rows = predicted[(predicted["player_lookup"] == player) & (predicted["game_date"] == day)]
        assert set(rows["cold_start"]) == {kind}
    rookie = predicted[(predicted["player_lookup"] == fixture.rookie)
                       & (predicted["game_date"] == sf.ROOKIE_DAY)]
    assert (rookie["history_games"] == 0).all()
    assert (rookie["predicted_points"] == rookie["line_value"]).all()  # the rookie prior
    returner = context[(context["player_lookup"] == fixture.returner)
                       & (context["game_date"] == sf.RETURN_DAY)]
    assert (returner["days_since_last_game"] > 250).all()


def test_the_traded_players_context_is_the_new_team(season) -> None:
    fixture, home, _ = season
    assert fixture.traded_from != fixture.traded_to
    pgs = _table(home, "nba_analytics.player_game_summary")
    mine = pgs[pgs["player_lookup"] == fixture.traded]
    assert fixture.traded_from in set(mine.loc[mine["game_date"] < sf.TRADE_DATE, "team_abbr"])
    context = _table(home, "nba_analytics.upcoming_player_game_context")
    rows = context[(context["player_lookup"] == fixture.traded)
                   & context["game_date"].isin(pd.date_range(*sf.PREDICT).date)]
    assert sf.PREDICT[0] in set(rows["game_date"])
    assert set(rows["team_abbr"]) == {fixture.traded_to}
    predicted = _table(home, "nba_predictions.player_prop_predictions")
    rows = predicted[predicted["player_lookup"] == fixture.traded]
    assert set(rows["team_abbr"]) == {fixture.traded_to}
    # History follows him across teams: his games for the old team count.
    assert (rows["history_games"] > (mine["game_date"] >= sf.TRADE_DATE).sum()).all()


def test_grading_reports_the_cold_start_rows_apart(season) -> None:
    """The model-report breakdown on this warehouse: the cold-start rows are scored apart."""
    _, home, _ = season
    where = "game_date BETWEEN DATE '2024-03-04' AND DATE '2024-03-06'"
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        preds = con.execute("select game_date, player_lookup, system_id, predicted_points, "
                            "cold_start from nba_predictions.player_prop_predictions "
                            f"where is_active and {where}").df()
        feats = con.execute("select game_date, player_lookup, points_line, pts_avg_season, "
                            f"pts_avg_last10 from nba_precompute.ml_feature_store_v2 "
                            f"where {where}").df()
        outs = con.execute("select game_date, player_lookup, points from "
                           f"nba_analytics.player_game_summary where {where}").df()
    breakdown = evaluation.cold_start_breakdown(preds, feats, outs, list(systems.SYSTEMS))
    assert breakdown["with"]["rows"] >= 2
    assert {"rookie", "returning"} <= set(breakdown["by_kind"])
    assert breakdown["without"]["rows"] > 100
