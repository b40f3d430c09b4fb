"""Cold starts and gaps: every player-game with a line gets a prediction from every system, or a
row that says why not.

Real 2024-03-05 rows (real_slice) with four players' histories edited the way the 2025-26 misses
looked: a rookie (no game before), a player back after 250 days, a player whose history is on
another team, and line names no box score knows (one fits nobody, one fits two players). One
scheduled game is dropped, as a neutral-site game was.
"""

from __future__ import annotations

import pandas as pd
import pytest

from nba_pipeline.defs.predictions import checks as prediction_checks
from nba_pipeline.domain import analytics
from nba_pipeline.features.feature_store import FEATURE_VERSION, build_feature_rows
from nba_pipeline.ml import coverage, systems
from nba_pipeline_tests.features.real_slice import real_raw, real_tables

D = pd.Timestamp("2024-03-05")
ROOKIE, RETURNING, TRADED = "paolobanchero", "tyresemaxey", "jalenbrunson"
MADE_UP, AMBIGUOUS = "Zyon Pendergrass", "J. Green"  # DAL-IND line; HOU has Jalen and Jeff Green
DROPPED_GAME = ("MIA", "DET")  # home, away: the schedule lost it (a neutral-site parse)


def _day(frame: pd.DataFrame, col: str = "game_date") -> pd.DataFrame:
    return frame[pd.to_datetime(frame[col]) == D].reset_index(drop=True)


def _extra_line(lines: pd.DataFrame, name: str, home: str, away: str) -> pd.DataFrame:
    """A copy of one real line of the home-away event on D, for another player name."""
    et = analytics.eastern_game_date(lines)
    event = lines[(et == D) & (lines["home_team_abbr"] == home) & (lines["away_team_abbr"] == away)]
    rows = event[event["player_lookup"] == event["player_lookup"].iloc[0]].copy()
    lookup = "".join(name.lower().replace(".", "").split())
    return rows.assign(player_name=name, player_lookup=lookup).astype(lines.dtypes.to_dict())


@pytest.fixture(scope="module")
def world() -> dict[str, pd.DataFrame]:
    raw, tables = real_raw(), real_tables()
    pgs = tables.player_game_summary.copy()
    before = pd.to_datetime(pgs["game_date"]) < D
    # The rookie: no game before D (his D box score stays: he played).
    pgs = pgs[~(before & (pgs["player_lookup"] == ROOKIE))]
    before = pd.to_datetime(pgs["game_date"]) < D
    # Back after 250 days: his earlier games moved back so the latest is 250 days before D.
    back = before & (pgs["player_lookup"] == RETURNING)
    shift = D - pd.Timedelta(days=250) - pd.to_datetime(pgs.loc[back, "game_date"]).max()
    pgs.loc[back, "game_date"] = pd.to_datetime(pgs.loc[back, "game_date"]) + shift
    # Traded in the off-season: all his history is on LAL, who do not play NYK-ATL.
    moved = before & (pgs["player_lookup"] == TRADED)
    pgs.loc[moved, "team_abbr"] = "LAL"
    lines = pd.concat([raw["lines"], _extra_line(raw["lines"], MADE_UP, "DAL", "IND"),
                       _extra_line(raw["lines"], AMBIGUOUS, "HOU", "SAS")], ignore_index=True)
    schedule = _day(raw["schedule"])
    schedule = schedule[~((schedule["home_team_abbr"] == DROPPED_GAME[0])
                          & (schedule["away_team_abbr"] == DROPPED_GAME[1]))]
    return {"pgs": pgs, "lines": lines, "schedule": schedule, "offense": tables.team_offense,
            "defense": tables.team_defense, "box": _day(tables.player_game_summary)}


def predict(world: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Context -> features -> every system for D, as the assets chain them (LightGBM stands in
    as the baseline: the model's value does not matter to coverage, its row does)."""
    context, _ = analytics.context_with_line_names(world["schedule"], world["pgs"],
                                                   world["lines"])
    features = build_feature_rows(context, world["pgs"], world["offense"], world["defense"],
                                  created_at=pd.Timestamp("2024-03-05T12:00Z"))
    preds = systems.predict_systems(features, systems.rolling_average(features), "lgbm-test",
                                    6.0, FEATURE_VERSION, pd.Timestamp("2024-03-05T12:00Z"))
    day_lines = world["lines"][analytics.eastern_game_date(world["lines"]) == D]
    cov = coverage.line_coverage(day_lines, world["schedule"], context, preds, world["box"])
    return {"context": context, "features": features, "predictions": preds, "coverage": cov}


@pytest.fixture(scope="module")
def out(world: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return predict(world)


def _rows(frame: pd.DataFrame, lookup: str) -> pd.DataFrame:
    return frame[frame["player_lookup"] == lookup]


def test_every_line_player_game_has_every_system_or_a_reason(out) -> None:
    cov = out["coverage"]
    assert len(cov) > 80
    full = cov["systems_predicted"] == len(systems.SYSTEMS)
    assert (full | cov["reason"].isin(coverage.REASONS)).all()
    assert (full == cov["reason"].isna()).all()
    assert not (cov["reason"] == coverage.UNEXPLAINED).any()
    for lookup in (ROOKIE, RETURNING, TRADED, "zyonpendergrass"):
        row = _rows(cov, lookup)
        assert row["systems_predicted"].tolist() == [3], lookup
        assert set(_rows(out["predictions"], lookup)["system_id"]) == set(systems.SYSTEMS)
    (amb,) = cov[cov["player_name"] == AMBIGUOUS].itertuples()
    assert amb.reason == coverage.UNKNOWN_NAME and "ambiguous" in amb.detail
    dropped = cov[cov["home_team_abbr"] == DROPPED_GAME[0]]
    assert len(dropped) > 5 and (dropped["reason"] == coverage.NO_SCHEDULE_GAME).all()
    assert dropped["played"].all()  # they played: the gap counts against coverage


def test_rookie_is_predicted_from_the_line_by_every_system(out) -> None:
    preds = _rows(out["predictions"], ROOKIE)
    line = preds["line_value"].iloc[0]
    assert line > 0 and (preds["predicted_points"] == line).all()
    assert (preds["cold_start"] == "rookie").all() and (preds["history_games"] == 0).all()
    assert (preds["model_version"] == systems.PRIOR_VERSION).all()
    assert (preds["recommendation"] == "PASS").all() and (preds["confidence"] == 0.5).all()
    (ctx,) = _rows(out["context"], ROOKIE).itertuples()
    assert {ctx.team_abbr, ctx.opponent_abbr} == {"CHA", "ORL"}
    assert ctx.team_source == "line_count_guess"


def test_returning_player_uses_his_older_history(world, out) -> None:
    feats = _rows(out["features"], RETURNING).iloc[0]
    older = world["pgs"][(world["pgs"]["player_lookup"] == RETURNING)
                         & (pd.to_datetime(world["pgs"]["game_date"]) < D)]
    older = older.sort_values("game_date")
    assert feats["days_since_last_game"] == 250 and feats["cold_start"] == "returning"
    assert feats["pts_avg_last10"] == pytest.approx(older["points"].tail(10).mean())
    assert feats["team_abbr"] == "PHI" and feats["team_source"] == "latest_game"
    preds = _rows(out["predictions"], RETURNING)
    assert (preds["cold_start"] == "returning").all() and (preds["history_games"] > 20).all()


def test_traded_player_keeps_his_history_and_takes_the_new_teams_context(world, out) -> None:
    feats = _rows(out["features"], TRADED).iloc[0]
    assert feats["cold_start"] == "new_team" and feats["team_abbr"] in {"NYK", "ATL"}
    history = world["pgs"][(world["pgs"]["player_lookup"] == TRADED)
                           & (pd.to_datetime(world["pgs"]["game_date"]) < D)]
    assert (history["team_abbr"] == "LAL").all()
    assert feats["pts_avg_last10"] == pytest.approx(
        history.sort_values("game_date")["points"].tail(10).mean())
    # The team features are those of the team he is listed for, not of LAL.
    team_mate = out["features"][(out["features"]["team_abbr"] == feats["team_abbr"])
                                & out["features"]["cold_start"].isna()].iloc[0]
    assert feats["team_pace_last15"] == team_mate["team_pace_last15"]
    assert feats["opp_def_rating_last15"] == team_mate["opp_def_rating_last15"]


def test_cold_start_rows_use_only_data_before_the_date(world, out) -> None:
    """Every game on or after D set to absurd values: D's cold-start rows do not change."""
    def poison(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
        frame = frame.copy()
        late = pd.to_datetime(frame["game_date"]) >= D
        for c in cols:
            frame.loc[late, c] = 999
        return frame

    poisoned = dict(world, pgs=poison(world["pgs"], ["points", "minutes", "fga", "usage_rate"]),
                    offense=poison(world["offense"], ["pace", "offensive_rating"]),
                    defense=poison(world["defense"], ["defensive_rating", "pace",
                                                      "points_allowed"]))
    again = predict(poisoned)
    cold = out["features"]["cold_start"].notna()
    assert cold.sum() >= 4
    keys = ["player_lookup", "team_abbr", "cold_start", "history_games", "pts_avg_last10",
            "team_pace_last15", "opp_def_rating_last15", "points_line"]
    got = again["features"][again["features"]["cold_start"].notna()][keys]
    pd.testing.assert_frame_equal(got.reset_index(drop=True),
                                  out["features"][cold][keys].reset_index(drop=True))
    assert (out["features"].loc[cold, "source_max_game_date"].dropna() < D).all()
    pd.testing.assert_frame_equal(again["predictions"].drop(columns="created_at"),
                                  out["predictions"].drop(columns="created_at"))


def _coverage_check():
    (check,) = [c for c in prediction_checks.GAP_CHECKS if c.name == "prediction_coverage"]
    return check


def test_coverage_check_blocks_on_a_dropped_game_and_on_an_unexplained_miss(world, out) -> None:
    check = _coverage_check()
    assert check.blocking
    cov = out["coverage"]
    gaps = coverage.prediction_gaps(cov, pd.Timestamp.now(tz="UTC"))
    result = check.fn(gaps, {"line_coverage": cov})
    assert not result.passed and result.metadata["below_slo"]
    assert result.metadata["gaps_by_reason"][coverage.NO_SCHEDULE_GAME] == len(
        cov[cov["home_team_abbr"] == DROPPED_GAME[0]])
    assert {m["reason"] for m in result.metadata["misses"]} >= {coverage.NO_SCHEDULE_GAME}
    # Without the dropped game's lines: the rest passes...
    kept = cov[cov["home_team_abbr"] != DROPPED_GAME[0]]
    ok = check.fn(gaps, {"line_coverage": kept})
    assert ok.passed, ok.metadata
    assert ok.metadata["predicted_cold_starts"] == {"rookie": 2, "returning": 1, "new_team": 1}
    # ...until one warm player's predictions go missing with no reason for it.
    broken = _without(world, out, _warm(out), systems.SYSTEMS)
    broken = broken[broken["home_team_abbr"] != DROPPED_GAME[0]]
    bad = check.fn(coverage.prediction_gaps(broken, pd.Timestamp.now(tz="UTC")),
                   {"line_coverage": broken})
    assert not bad.passed and bad.metadata["unexplained"] == 1
    assert bad.metadata["misses"][0]["player_lookup"] == _warm(out)
    # Before the games (no box scores: nothing graded) the unexplained miss alone blocks.
    pre = _without(world, out, _warm(out), systems.SYSTEMS, box=False)
    early = check.fn(coverage.prediction_gaps(pre, pd.Timestamp.now(tz="UTC")),
                     {"line_coverage": pre})
    assert early.metadata["graded_line_player_games"] == 0 and not early.metadata["below_slo"]
    assert not early.passed and early.metadata["unexplained"] == 1


def _warm(out: dict[str, pd.DataFrame]) -> str:
    cov = out["coverage"]
    return cov[cov["cold_start"].isna() & cov["reason"].isna()]["player_lookup"].iloc[0]


def _without(world, out, lookup: str, drop: tuple[str, ...], box: bool = True) -> pd.DataFrame:
    """line_coverage of D with `lookup`'s rows of the `drop` systems removed."""
    preds = out["predictions"]
    preds = preds[~((preds["player_lookup"] == lookup) & preds["system_id"].isin(drop))]
    day_lines = world["lines"][analytics.eastern_game_date(world["lines"]) == D]
    return coverage.line_coverage(day_lines, world["schedule"], out["context"], preds,
                                  world["box"] if box else world["box"].iloc[0:0])


def test_a_missing_prediction_for_a_context_player_is_unexplained(world, out) -> None:
    cov = _without(world, out, _warm(out), ("lightgbm",))
    (row,) = _rows(cov, _warm(out)).itertuples()
    assert row.reason == coverage.UNEXPLAINED and row.missing_systems == "lightgbm"
    assert row.systems_predicted == 2


def test_a_rookie_rows_spelling_still_meets_the_box_score_name_later_in_the_range(
        world, out) -> None:
    """One range run, two dates: on D an unresolved book spelling ("J. Brunson") became its own
    rookie row; on D+1 the same spelling belongs to the known player. The rookie row's lookup
    is no known player, so D+1 still resolves to the box-score name (found by
    bench/cold_starts.py: `K. Caldwell-Pope`, a gap only in a range run)."""
    spelled, lookup, nxt = "J. Brunson", "jbrunson", D + pd.Timedelta(days=1)
    shift = {"game_date": lambda f: pd.to_datetime(f["game_date"]) + pd.Timedelta(days=1)}
    ctx, preds = out["context"], out["predictions"]
    rookie_ctx = _rows(ctx, TRADED).assign(player_lookup=lookup, player_name=spelled,
                                           cold_start="rookie")
    rookie_preds = _rows(preds, TRADED).assign(player_lookup=lookup, player_name=spelled)
    later_ctx = _rows(ctx, TRADED).assign(**shift)
    later_preds = _rows(preds, TRADED).assign(**shift)
    later_box = _rows(world["box"], TRADED).assign(**shift)
    day_lines = world["lines"][analytics.eastern_game_date(world["lines"]) == D]
    brunson = day_lines[day_lines["player_lookup"] == TRADED]
    later_lines = brunson.assign(
        player_name=spelled, player_lookup=lookup,
        commence_time_utc=pd.to_datetime(brunson["commence_time_utc"]) + pd.Timedelta(days=1),
        game_date=pd.to_datetime(brunson["game_date"]) + pd.Timedelta(days=1))
    rookie_lines = brunson.assign(player_name=spelled, player_lookup=lookup)
    cov = coverage.line_coverage(
        pd.concat([rookie_lines, later_lines], ignore_index=True),
        pd.concat([world["schedule"], world["schedule"].assign(**shift)], ignore_index=True),
        pd.concat([rookie_ctx, later_ctx], ignore_index=True),
        pd.concat([rookie_preds, later_preds], ignore_index=True), later_box)
    later = cov[pd.to_datetime(cov["game_date"]) == nxt]
    assert later["player_lookup"].tolist() == [TRADED]
    assert later["reason"].isna().all() and later["played"].all()
    first = cov[pd.to_datetime(cov["game_date"]) == D]
    assert first["player_lookup"].tolist() == [lookup] and first["reason"].isna().all()
