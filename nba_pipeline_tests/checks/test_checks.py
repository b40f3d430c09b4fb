"""Each check passes on real warehouse rows and fails, with useful metadata, on corrupted copies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pytest

from nba_pipeline.defs.analytics import checks as analytics
from nba_pipeline.defs.grading import checks as grading
from nba_pipeline.defs.precompute import checks as features
from nba_pipeline.defs.predictions import checks as predictions
from nba_pipeline.defs.raw import checks as raw
from nba_pipeline.domain.players import player_lookup
from nba_pipeline.lib.checks import Check, Outcome
from nba_pipeline.lib.schema_check import schema_outcome
from nba_pipeline.ml.coverage import line_coverage, prediction_gaps
from nba_pipeline.storage.schema import SchemaMismatchError, conform

BOX = "nba_raw.player_boxscores"
SCHEDULE = "nba_raw.schedule"
PGS = "nba_analytics.player_game_summary"
OFFENSE = "nba_analytics.team_offense_game_summary"
CONTEXT = "nba_analytics.upcoming_player_game_context"
LINES = "nba_raw.player_prop_lines"
FEATURES = "nba_precompute.ml_feature_store_v2"
PREDICTIONS = "nba_predictions.player_prop_predictions"
ACCURACY = "nba_predictions.prediction_accuracy"
PERFORMANCE = "nba_predictions.system_daily_performance"


def run(checks: Sequence[Check], name: str, frame: pd.DataFrame,
        inputs: Mapping[str, pd.DataFrame] | None = None) -> Outcome:
    (check,) = [c for c in checks if c.name == name]
    return check.fn(frame, inputs or {})


def day(frame: pd.DataFrame, date: str = "2024-03-05") -> pd.DataFrame:
    return frame[pd.to_datetime(frame["game_date"]) == pd.Timestamp(date)].reset_index(drop=True)


# --- raw box scores -------------------------------------------------------------------------

def test_boxscore_checks_pass_on_real_rows(table):
    box, schedule = table(BOX), table(SCHEDULE)
    for check in raw.BOXSCORE_CHECKS:
        outcome = check.fn(box, {"schedule": schedule})
        assert outcome.passed, (check.name, outcome.metadata)


def test_duplicate_player_game_fails(table):
    box = day(table(BOX))
    corrupted = pd.concat([box, box.iloc[[3]]], ignore_index=True)
    out = run(raw.BOXSCORE_CHECKS, "no_duplicate_player_games", corrupted)
    assert not out.passed and out.metadata["duplicate_rows"] == 2
    assert out.metadata["sample"][0]["game_id"] == box.iloc[3]["game_id"]


def test_missing_team_fails_completeness(table):
    box, schedule = day(table(BOX)), day(table(SCHEDULE))
    game = schedule.iloc[0]
    corrupted = box[~((box["game_id"] == game["game_id"])
                      & (box["team_abbr"] == game["home_team_abbr"]))]
    out = run(raw.BOXSCORE_CHECKS, "games_complete_vs_schedule", corrupted,
              {"schedule": schedule})
    assert not out.passed and out.metadata["missing_team_games"] == 1
    assert out.metadata["missing"][0]["team_abbr"] == game["home_team_abbr"]


def test_too_few_players_per_team_fails(table):
    box = day(table(BOX))
    first = box.iloc[0]
    team = (box["game_id"] == first["game_id"]) & (box["team_abbr"] == first["team_abbr"])
    corrupted = pd.concat([box[~team], box[team].head(3)], ignore_index=True)
    out = run(raw.BOXSCORE_CHECKS, "players_per_team", corrupted)
    assert not out.passed and out.metadata["out_of_range"] == 1
    assert out.metadata["sample"] == [{"game_date": str(first["game_date"]),
                                       "game_id": first["game_id"],
                                       "team_abbr": first["team_abbr"], "players": "3"}]


def test_team_points_mismatch_fails(table):
    box, schedule = day(table(BOX)), day(table(SCHEDULE))
    corrupted = box.drop(index=box["points"].idxmax())  # the day's top scorer goes missing
    out = run(raw.BOXSCORE_CHECKS, "team_points_match_schedule", corrupted,
              {"schedule": schedule})
    assert not out.passed and out.metadata["mismatched"] == 1
    bad = out.metadata["sample"][0]
    assert int(bad["final_score"]) - int(bad["player_points_sum"]) == box["points"].max()


def test_points_arithmetic_and_negative_stats_fail(table):
    box = day(table(BOX))
    box.loc[0, "points"] += 1
    box.loc[1, "reb"] = -2
    arithmetic = run(raw.BOXSCORE_CHECKS, "points_arithmetic", box)
    negative = run(raw.BOXSCORE_CHECKS, "no_negative_stats", box)
    assert not arithmetic.passed and arithmetic.metadata["bad_rows"] == 1
    assert arithmetic.metadata["sample"][0]["player_name"] == box.loc[0, "player_name"]
    assert not negative.passed and negative.metadata["bad_rows"] == 1
    assert negative.metadata["sample"][0]["reb"] == "-2"


# --- analytics -----------------------------------------------------------------------------

def test_player_game_summary_checks(table):
    pgs = day(table(PGS))
    assert all(c.fn(pgs, {}).passed for c in analytics.PLAYER_GAME_SUMMARY_CHECKS)
    dup = pd.concat([pgs, pgs.iloc[[0]]], ignore_index=True)
    assert run(analytics.PLAYER_GAME_SUMMARY_CHECKS, "unique_player_game", dup).metadata[
        "duplicate_rows"] == 2
    pgs.loc[0, "player_lookup"] = pgs.loc[0, "player_name"]  # a display name, not a lookup
    out = run(analytics.PLAYER_GAME_SUMMARY_CHECKS, "player_lookup_normalized", pgs)
    assert not out.passed and out.metadata["sample"] == [pgs.loc[0, "player_name"]]


def test_team_totals_match_players(table):
    pgs, offense = day(table(PGS)), day(table(OFFENSE))
    inputs = {"player_game_summary": pgs}
    assert run(analytics.TEAM_OFFENSE_CHECKS, "team_totals_match_players", offense,
               inputs).passed
    offense.loc[2, "fg3m"] += 1
    out = run(analytics.TEAM_OFFENSE_CHECKS, "team_totals_match_players", offense, inputs)
    assert not out.passed and out.metadata["mismatched"] == 1
    assert out.metadata["mismatched_stats"] == ["fg3m"]
    dropped = run(analytics.TEAM_OFFENSE_CHECKS, "team_totals_match_players",
                  offense.drop(index=[2]).iloc[:], {"player_game_summary": pgs})
    assert not dropped.passed and dropped.metadata["team_games_missing_on_one_side"] == 1


def test_line_players_known_warns_on_unknown_spellings(table):
    context, lines = table(CONTEXT), table(LINES)
    known = lines[lines["player_lookup"].isin(context["player_lookup"])].reset_index(drop=True)
    clean = run(analytics.CONTEXT_CHECKS, "line_players_known", context,
                {"player_prop_lines": known})
    assert clean.passed and clean.metadata["unknown_players"] == 0
    # The Odds API really lists some players surname-first ("Murray Dejounte"): do that to one.
    first, last = known.loc[0, "player_name"].split(" ", 1)
    corrupted = known.copy()
    rows = corrupted["player_lookup"] == known.loc[0, "player_lookup"]
    corrupted.loc[rows, "player_name"] = f"{last} {first}"
    corrupted.loc[rows, "player_lookup"] = player_lookup(f"{last} {first}")
    out = run(analytics.CONTEXT_CHECKS, "line_players_known", context,
              {"player_prop_lines": corrupted})
    assert not out.passed and out.metadata["unknown_players"] >= 1
    assert player_lookup(f"{last} {first}") in {r["player_lookup"] for r in out.metadata["sample"]}
    (check,) = [c for c in analytics.CONTEXT_CHECKS if c.name == "line_players_known"]
    assert check.warn and not check.blocking


# --- feature store -------------------------------------------------------------------------

def test_feature_checks_pass_on_real_rows(table):
    frame = table(FEATURES)
    for check in features.FEATURE_STORE_CHECKS:
        assert check.fn(frame, {}).passed, (check.name, check.fn(frame, {}).metadata)


def test_point_in_time_fails_on_same_day_source(table):
    frame = day(table(FEATURES))
    frame.loc[5, "source_max_game_date"] = frame.loc[5, "game_date"]
    out = run(features.FEATURE_STORE_CHECKS, "point_in_time", frame)
    assert not out.passed and out.metadata["leaking_rows"] == 1
    assert out.metadata["sample"][0]["player_lookup"] == frame.loc[5, "player_lookup"]


def test_feature_version_count_and_duplicates_fail(table):
    frame = day(table(FEATURES))
    frame.loc[0, "feature_version"] = "v1"
    out = run(features.FEATURE_STORE_CHECKS, "feature_version_and_count", frame)
    assert not out.passed and out.metadata["bad_rows"] == 1
    out = run(features.FEATURE_STORE_CHECKS, "feature_version_and_count",
              frame.drop(columns=["pts_avg_last10"]))
    assert not out.passed and out.metadata["missing_feature_columns"] == ["pts_avg_last10"]
    dup = pd.concat([frame, frame.iloc[[1]]], ignore_index=True)
    assert not run(features.FEATURE_STORE_CHECKS, "unique_feature_row", dup).passed


def test_completeness_and_nan_thresholds(table):
    frame = day(table(FEATURES))
    n = int(len(frame) * 0.2)
    incomplete = frame.copy()
    incomplete.loc[: n - 1, "completeness"] = 0.4
    out = run(features.FEATURE_STORE_CHECKS, "feature_completeness", incomplete)
    assert not out.passed and list(out.metadata["failing_days"]) == ["2024-03-05"]
    assert out.metadata["incomplete_rows"] == n
    nans = frame.copy()
    nans.loc[: int(len(frame) * 0.3), "pts_avg_last10"] = np.nan
    out = run(features.FEATURE_STORE_CHECKS, "required_features_not_nan", nans)
    assert not out.passed and list(out.metadata["features_over_threshold"]) == ["pts_avg_last10"]
    # A season's first days: players with under 5 games have NaN windows, and are not counted.
    opener = frame.copy()
    opener["games_played_season"] = 2.0
    opener.loc[:, "pts_std_last10"] = np.nan
    out = run(features.FEATURE_STORE_CHECKS, "required_features_not_nan", opener)
    assert out.passed and out.metadata["rows_skipped_early_season"] == len(frame)


# --- predictions ---------------------------------------------------------------------------

def test_prediction_checks_pass_on_real_rows(table):
    preds, feats = table(PREDICTIONS), table(FEATURES)
    inputs = {"features": feats, "player_prop_lines": table(LINES), "schedule": table(SCHEDULE)}
    for check in predictions.PREDICTION_CHECKS:
        out = check.fn(preds, inputs)
        assert out.passed, (check.name, out.metadata)
    plausible = run(predictions.PREDICTION_CHECKS, "predicted_points_plausible", preds, inputs)
    print("largest deviation from the player's average:", plausible.metadata)
    days = run(predictions.PREDICTION_CHECKS, "lined_days_have_predictions", preds, inputs)
    assert days.metadata["lined_scheduled_days"] == 3


def test_prediction_value_checks_fail(table):
    preds = day(table(PREDICTIONS))
    preds.loc[0, "confidence"] = 1.5
    preds.loc[1, "recommendation"] = "MAYBE"
    with_line = preds.index[preds["line_value"].notna()][0]
    preds.loc[with_line, "line_value"] = 0.0
    out = run(predictions.PREDICTION_CHECKS, "confidence_in_unit_interval", preds)
    assert not out.passed and out.metadata["sample"][0]["confidence"] == "1.5"
    out = run(predictions.PREDICTION_CHECKS, "recommendation_in_enum", preds)
    assert not out.passed and out.metadata["bad_values"] == ["MAYBE"]
    out = run(predictions.PREDICTION_CHECKS, "line_value_in_range", preds)
    assert not out.passed and out.metadata["bad_rows"] == 1
    assert out.metadata["sample"][0]["line_value"] == "0.0"
    dup = pd.concat([preds, preds.iloc[[2]]], ignore_index=True)
    out = run(predictions.PREDICTION_CHECKS, "one_active_prediction", dup)
    assert not out.passed and out.metadata["duplicate_active"] == 2


def test_probability_and_ev_checks_fail_on_bad_rows(table):
    preds = day(table(PREDICTIONS))
    priced = preds.index[preds["ev"].notna()]
    assert len(priced) > 10  # real rows of 2024-03-05 carry prices
    for name in ("probabilities_in_unit_interval", "ev_consistent_with_prices"):
        assert run(predictions.PREDICTION_CHECKS, name, preds).passed
    bad = preds.copy()
    bad.loc[priced[0], "p_over"] = 1.3
    bad.loc[priced[1], "market_p_over"] = -0.1
    bad.loc[bad.index[bad["line_value"].notna()][2], "p_over"] = np.nan
    out = run(predictions.PREDICTION_CHECKS, "probabilities_in_unit_interval", bad)
    assert not out.passed and out.metadata["bad_rows"] == 2
    assert out.metadata["lined_rows_without_p_over"] == 1
    bad = preds.copy()
    bad.loc[priced[0], "ev"] = np.inf  # a price of 0 or a lost sign
    bad.loc[priced[1], ["recommendation", "ev"]] = ["OVER", 0.01]  # a pick below MIN_EV
    unpriced = bad.index[bad["over_price"].isna()][0]
    bad.loc[unpriced, "ev"] = 0.2  # an EV without a price
    out = run(predictions.PREDICTION_CHECKS, "ev_consistent_with_prices", bad)
    assert not out.passed
    assert (out.metadata["bad_ev"], out.metadata["picks_below_min_ev_or_unpriced"],
            out.metadata["ev_without_price"]) == (1, 1, 1)


def _line_coverage(table, preds: pd.DataFrame) -> pd.DataFrame:
    return line_coverage(table(LINES), table(SCHEDULE), table(CONTEXT), preds, table(PGS))


def test_coverage_against_the_lines_passes_on_real_rows(table):
    cov = _line_coverage(table, table(PREDICTIONS))
    gaps = prediction_gaps(cov, pd.Timestamp.now(tz="UTC"))
    for check in predictions.GAP_CHECKS:
        out = check.fn(gaps, {"line_coverage": cov})
        assert out.passed, (check.name, out.metadata)
    out = run(predictions.GAP_CHECKS, "prediction_coverage", gaps, {"line_coverage": cov})
    assert out.metadata["graded_line_player_games"] > 150
    assert out.metadata["coverage_of_played"] == 1.0 and out.metadata["unexplained"] == 0


def test_coverage_fails_when_a_system_drops_lined_players(table):
    preds = table(PREDICTIONS)
    lined = preds[(preds["system_id"] == "lightgbm") & preds["line_value"].notna()]
    dropped = lined.index[: max(1, int(len(lined) * 0.1))]
    cov = _line_coverage(table, preds.drop(index=dropped))
    gaps = prediction_gaps(cov, pd.Timestamp.now(tz="UTC"))
    out = run(predictions.GAP_CHECKS, "prediction_coverage", gaps, {"line_coverage": cov})
    assert not out.passed and out.metadata["below_slo"]
    assert out.metadata["unexplained"] == len(dropped)
    assert {m["player_lookup"] for m in out.metadata["misses"]} <= set(lined["player_lookup"])
    assert {m["missing_systems"] for m in out.metadata["misses"]} == {"lightgbm"}
    dup = pd.concat([gaps, gaps.iloc[[0]]], ignore_index=True)
    assert not run(predictions.GAP_CHECKS, "unique_gap_row", dup).passed


def _graded_history(accuracy: pd.DataFrame) -> pd.DataFrame:
    """The three real graded days, repeated back in time (dates shifted) as a 36-day history."""
    copies = [accuracy.assign(game_date=pd.to_datetime(accuracy["game_date"])
                              - pd.Timedelta(days=3 * k)) for k in range(13)]
    return pd.concat(copies, ignore_index=True)


def test_accuracy_drift_warns_when_mae_jumps(table):
    accuracy, performance = table(ACCURACY), day(table(PERFORMANCE), "2024-03-06")
    history = _graded_history(accuracy)
    clean = run(grading.PERFORMANCE_CHECKS, "accuracy_drift", performance,
                {"prediction_accuracy": history})
    assert clean.passed and clean.metadata["compared"] == 3, clean.metadata
    recent = pd.to_datetime(history["game_date"]) >= pd.Timestamp("2024-03-04")
    worse = history.assign(absolute_error=np.where(recent, history["absolute_error"] + 5,
                                                   history["absolute_error"]))
    out = run(grading.PERFORMANCE_CHECKS, "accuracy_drift", performance,
              {"prediction_accuracy": worse})
    assert not out.passed and out.metadata["flagged"] == 3
    assert all("mae" in row["flags"] for row in out.metadata["drift"])
    assert out.metadata["drift"][0]["rolling_mae"] > out.metadata["drift"][0]["baseline_mae"]
    short = run(grading.PERFORMANCE_CHECKS, "accuracy_drift", performance,
                {"prediction_accuracy": accuracy})
    assert short.passed and short.metadata["skipped_insufficient_history"] == 3


# --- schema --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [BOX, PGS, FEATURES, PREDICTIONS])
def test_schema_check_on_real_tables(table, name):
    frame = table(name)
    assert schema_outcome(frame, name).passed
    drifted = frame.drop(columns=[frame.columns[-1]]).assign(extra_col=1)
    out = schema_outcome(drifted, name)
    assert not out.passed
    assert out.metadata["missing_columns"] == [frame.columns[-1]]
    assert out.metadata["extra_columns"] == ["extra_col"]


def test_schema_check_names_retyped_columns_and_nulls(table):
    frame = table(BOX)
    frame["points"] = frame["points"].astype("float64")  # whole floats: a lossless cast
    assert schema_outcome(frame, BOX).passed
    assert schema_outcome(frame, BOX).metadata["lossless_casts"] == {"float64 -> Int64": ["points"]}
    frame.loc[0, "points"] = 10.5
    frame.loc[0, "player_name"] = pd.NA
    out = schema_outcome(frame, BOX)
    assert not out.passed
    assert out.metadata["retyped_columns"] == [{"column": "points", "expected": "INT64",
                                                "expected_dtype": "Int64", "found": "float64",
                                                "example": "10.5"}]
    assert out.metadata["nulls_in_required_columns"] == {"player_name": 1}


def test_schema_check_dates_and_timestamps(table):
    frame = table(LINES)
    frame["game_date"] = frame["game_date"].dt.strftime("%Y-%m-%d")  # ISO strings: lossless
    frame["last_update_utc"] = frame["last_update_utc"].dt.tz_localize("UTC")
    assert schema_outcome(frame, LINES).passed
    frame["game_date"] = pd.to_datetime(frame["game_date"]) + pd.Timedelta(hours=19)
    out = schema_outcome(frame, LINES)  # a time of day in a DATE column would be cut off
    assert [r["column"] for r in out.metadata["retyped_columns"]] == ["game_date"]


def test_conform_refuses_lossy_casts(table):
    """conform used to round fractions into INT64 and parse numeric strings; now it names them."""
    frame = table(BOX)
    frame["points"] = frame["points"].astype("float64") + 0.5
    frame["fgm"] = frame["fgm"].astype(str)
    with pytest.raises(SchemaMismatchError, match=r"\['fgm', 'points'\]|\['points', 'fgm'\]"):
        conform(frame, BOX)
    assert conform(table(BOX), BOX).equals(table(BOX))  # a conformed frame is unchanged


def test_a_crashing_check_fails_instead_of_passing(table):
    from dagster import AssetKey

    from nba_pipeline.lib.checks import evaluate_days

    def broken(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
        return Outcome(bool(frame["no_such_column"].all()))

    (result,) = evaluate_days(AssetKey(["nba_raw", "player_boxscores"]),
                              [Check("broken", "never passes on error", broken, blocking=True)],
                              day(table(BOX)), ["2024-03-05"])
    assert not result.passed
    assert "KeyError" in result.metadata["error"].value
    assert result.metadata["partition"].value == "2024-03-05"


@pytest.mark.parametrize(("checks", "name", "table_name"), [
    (raw.SCHEDULE_CHECKS, "unique_game_id", SCHEDULE),
    (raw.PROP_LINE_CHECKS, "unique_line_key", LINES),
    (analytics.TEAM_SUMMARY_CHECKS, "unique_team_game", "nba_analytics.team_defense_game_summary"),
    (analytics.TEAM_OFFENSE_CHECKS, "unique_team_game", OFFENSE),
    (analytics.CONTEXT_CHECKS, "unique_context_row", CONTEXT),
])
def test_duplicate_key_checks(table, checks, name, table_name):
    frame = day(table(table_name))
    assert run(checks, name, frame).passed
    out = run(checks, name, pd.concat([frame, frame.iloc[[len(frame) // 2]]], ignore_index=True))
    assert not out.passed and out.metadata["duplicate_rows"] == 2
    assert len(out.metadata["sample"]) == 2 and "game_date" in out.metadata["sample"][0]


def test_schedule_fallback_source_warns(table):
    schedule = day(table(SCHEDULE))
    assert run(raw.SCHEDULE_CHECKS, "schedule_primary_source", schedule).passed
    schedule.loc[1, "source"] = "espn"
    out = run(raw.SCHEDULE_CHECKS, "schedule_primary_source", schedule)
    assert not out.passed and out.metadata["fallback_games"] == 1
    assert out.metadata["sample"][0]["game_id"] == schedule.loc[1, "game_id"]


# --- issue 16 B: completeness, unlisted games, value ranges (unit level, real rows) --------

def test_new_loss_checks_block():
    blocking = {c.name for c in [*raw.BOXSCORE_CHECKS, *raw.PROP_LINE_CHECKS,
                                 *predictions.PREDICTION_CHECKS, *grading.ACCURACY_CHECKS,
                                 *grading.PERFORMANCE_CHECKS] if c.blocking}
    assert {"boxscore_games_in_schedule", "no_negative_stats", "stat_ranges",
            "line_value_in_range", "lines_match_schedule", "predicted_points_plausible",
            "lined_days_have_predictions", "unique_graded_prediction",
            "unique_system_day"} <= blocking


def test_prop_line_checks_pass_on_real_rows(table):
    lines, schedule = table(LINES), table(SCHEDULE)
    for check in raw.PROP_LINE_CHECKS:
        out = check.fn(lines, {"schedule": schedule})
        assert out.passed, (check.name, out.metadata)
    out = run(raw.PROP_LINE_CHECKS, "lines_match_schedule", lines, {"schedule": schedule})
    assert out.metadata["lined_days"] == 3 and out.metadata["events_not_in_schedule"] == 0


def test_lines_without_schedule_games_fail(table):
    lines, schedule = table(LINES), table(SCHEDULE)
    lost = schedule[pd.to_datetime(schedule["game_date"]) != pd.Timestamp("2024-03-05")]
    out = run(raw.PROP_LINE_CHECKS, "lines_match_schedule", lines, {"schedule": lost})
    assert not out.passed
    assert [d["game_date"] for d in out.metadata["days_without_schedule"]] == ["2024-03-05"]
    out = run(raw.PROP_LINE_CHECKS, "lines_match_schedule", day(lines),
              {"schedule": day(schedule).iloc[1:]})
    assert not out.passed and out.metadata["days_without_schedule"] == []
    assert out.metadata["events_not_in_schedule"] == 1  # the one game taken out


def test_line_out_of_range_names_player_date_and_book(table):
    lines = day(table(LINES))
    lines.loc[0, "line_value"] = 999.5
    lines.loc[1, "line_value"] = 0.0
    out = run(raw.PROP_LINE_CHECKS, "line_value_in_range", lines)
    assert not out.passed and out.metadata["bad_rows"] == 2
    assert out.metadata["sample"][0] == {
        "game_date": "2024-03-05", "player_name": lines.loc[0, "player_name"],
        "bookmaker": lines.loc[0, "bookmaker"], "event_id": lines.loc[0, "event_id"],
        "line_value": "999.5"}
    assert out.metadata["by_column"]["line_value"] == {"allowed": "0.5..80", "bad_rows": 2,
                                                       "min": 0.0, "max": 999.5}


def test_boxscore_game_absent_from_schedule_fails(table):
    box, schedule = day(table(BOX)), day(table(SCHEDULE))
    game = schedule.iloc[0]["game_id"]
    out = run(raw.BOXSCORE_CHECKS, "boxscore_games_in_schedule", box,
              {"schedule": schedule[schedule["game_id"] != game]})
    assert not out.passed and out.metadata["game_ids"] == [game]
    assert run(raw.BOXSCORE_CHECKS, "boxscore_games_in_schedule", box,
               {"schedule": schedule}).passed


def test_minutes_and_points_ranges(table):
    box = day(table(BOX))
    box.loc[0, "minutes"] = 480
    box.loc[1, "points"] = 101
    out = run(raw.BOXSCORE_CHECKS, "stat_ranges", box)
    assert not out.passed and out.metadata["bad_rows"] == 2
    assert set(out.metadata["by_column"]) == {"minutes", "points"}
    assert out.metadata["sample"][0]["player_name"] == box.loc[0, "player_name"]


def test_second_game_for_a_player_is_graded_once(table):
    """The double-grading cause: a box-score game the predictions do not know, same date."""
    from nba_pipeline.ml import systems

    # numpy dtypes, as the IO manager hands them to the asset
    preds = day(table(PREDICTIONS)).astype({"line_value": "float64"})
    pgs = day(table(PGS)).astype({"points": "int64"})
    extra = pgs.assign(game_id="0022399999")
    graded = systems.grade(preds, pd.concat([pgs, extra], ignore_index=True))
    assert len(graded) == len(systems.grade(preds, pgs)) > 500
    assert run(grading.ACCURACY_CHECKS, "unique_graded_prediction", graded).passed
    twice = pd.concat([graded, graded.iloc[[0]]], ignore_index=True)
    out = run(grading.ACCURACY_CHECKS, "unique_graded_prediction", twice)
    assert not out.passed and out.metadata["duplicate_rows"] == 2


def test_performance_rows_unique(table):
    perf = table(PERFORMANCE)
    assert run(grading.PERFORMANCE_CHECKS, "unique_system_day", perf).passed
    out = run(grading.PERFORMANCE_CHECKS, "unique_system_day",
              pd.concat([perf, perf.iloc[[0]]], ignore_index=True))
    assert not out.passed and out.metadata["sample"][0]["system_id"] == perf.iloc[0]["system_id"]


def test_implausible_prediction_fails(table):
    preds, feats = day(table(PREDICTIONS)), day(table(FEATURES))
    inputs = {"features": feats}
    row = preds.index[preds["system_id"] == "ensemble"][0]
    preds.loc[row, "predicted_points"] = 559.6
    out = run(predictions.PREDICTION_CHECKS, "predicted_points_plausible", preds, inputs)
    assert not out.passed and out.metadata["bad_rows"] == 1
    assert out.metadata["sample"][0]["player_lookup"] == preds.loc[row, "player_lookup"]
    far = day(table(PREDICTIONS))  # in range, but 30 points above the player's own average
    far.loc[row, "predicted_points"] = float(
        out.metadata["sample"][0]["history_points"]) + 30
    out = run(predictions.PREDICTION_CHECKS, "predicted_points_plausible", far, inputs)
    assert not out.passed and list(out.metadata["by_column"]) == ["deviation"]


def test_lined_day_without_predictions_fails(table):
    preds = table(PREDICTIONS)
    inputs = {"player_prop_lines": table(LINES), "schedule": table(SCHEDULE)}
    out = run(predictions.PREDICTION_CHECKS, "lined_days_have_predictions",
              preds[pd.to_datetime(preds["game_date"]) != pd.Timestamp("2024-03-06")], inputs)
    assert not out.passed
    assert [d["game_date"] for d in out.metadata["days_without_predictions"]] == ["2024-03-06"]


def test_schedule_payload_for_another_date_raises():
    from datetime import date

    from nba_pipeline.ingest.parsers.nba_com import parse_nba_schedule
    from nba_pipeline.ingest.payloads import PayloadError
    from nba_pipeline.sources import recorded

    body = recorded.schedule_body(recorded.data_dir(), date(2024, 3, 4))
    assert len(parse_nba_schedule(body, date(2024, 3, 4), "k")) > 0
    with pytest.raises(PayloadError, match=r"nba_com/schedule payload for 2024-03-05 .*another "
                                           r"date \(2024-03-04\).*landing store at some/key"):
        parse_nba_schedule(body, date(2024, 3, 5), "some/key")


def test_season_schedule_off_days_still_parse_empty():
    """A whole season's schedule has no game on an off day, or in the off-season: no error."""
    import gzip
    from datetime import date

    from nba_pipeline.ingest.parsers.nba_com import parse_nba_schedule
    from nba_pipeline.sources import recorded

    (sample,) = (recorded.data_dir() / "api_samples" / "nbac_schedule_api").glob("*.json.gz")
    body = gzip.decompress(sample.read_bytes())
    assert len(parse_nba_schedule(body, date(2024, 11, 2), "k")) > 0
    for off_day in (date(2024, 12, 24), date(2025, 7, 15)):  # Christmas Eve, July
        assert parse_nba_schedule(body, off_day, "k").empty
