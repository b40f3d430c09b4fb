"""The points model and the systems on a real slice: no training on scored rows, grading, report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from nba_pipeline.features.feature_store import FEATURE_VERSION
from nba_pipeline.ml import evaluation, systems
from nba_pipeline.ml import model as model_lib
from nba_pipeline_tests.features.real_slice import real_tables

SPAN = (date(2024, 3, 4), date(2024, 3, 17))


@pytest.fixture(scope="module")
def tables():
    return real_tables()


@dataclass
class Walk:
    predictions: pd.DataFrame
    models: list[model_lib.ModelInfo]


@pytest.fixture(scope="module")
def walk(tables) -> Walk:
    """Two weekly models over the first fortnight of lines (the one training-heavy fixture),
    called as the points_model and player_prop_predictions assets call ml/ (the assets' own
    output is tested in test_prediction_assets.py and test_model_report.py)."""
    features = tables.features.assign(game_date=pd.to_datetime(tables.features["game_date"]))
    labelled = model_lib.labelled_rows(features, tables.player_game_summary)
    frames, infos = [], []
    monday = SPAN[0]
    while monday <= SPAN[1]:
        week = features[(features["game_date"] >= pd.Timestamp(monday))
                        & (features["game_date"] < pd.Timestamp(monday + timedelta(days=7)))]
        booster, info = model_lib.train(labelled, model_lib.training_cutoff(monday))
        frames.append(systems.predict_systems(
            week, model_lib.predict(booster, week), info.model_version, info.residual_std,
            FEATURE_VERSION, pd.Timestamp.now(tz="UTC")))
        infos.append(info)
        monday += timedelta(days=7)
    return Walk(pd.concat(frames, ignore_index=True), infos)


def test_training_cutoff_is_the_monday_of_the_week() -> None:
    assert model_lib.training_cutoff(date(2024, 3, 4)) == date(2024, 3, 4)  # a Monday
    assert model_lib.training_cutoff(date(2024, 3, 10)) == date(2024, 3, 4)  # its Sunday
    assert model_lib.training_cutoff(date(2024, 3, 11)) == date(2024, 3, 11)
    assert model_lib.model_version(date(2024, 3, 4)).endswith("2024-03-04")


def test_each_week_is_scored_by_a_model_trained_before_it(walk, tables) -> None:
    preds = walk.predictions
    assert set(preds["system_id"]) == set(systems.SYSTEMS)
    assert [m.trained_through for m in walk.models] == ["2024-03-03", "2024-03-10"]
    lgbm = preds[preds["system_id"] == "lightgbm"]
    cutoff = pd.to_datetime(lgbm["model_version"].str[-10:])
    assert (cutoff <= lgbm["game_date"]).all()
    assert (lgbm["game_date"] < cutoff + pd.Timedelta(days=7)).all()
    # one row per player, date and system
    assert not preds.duplicated(["game_date", "player_lookup", "system_id"]).any()
    for info in walk.models:
        assert info.validation_rows > 0 and info.validation_mae is not None
        assert info.train_rows >= model_lib.MIN_TRAIN_ROWS


def test_the_model_never_trains_on_rows_it_is_scored_on(walk, tables) -> None:
    """Corrupt every label and feature on/after the cutoff: the trained model is identical."""
    cutoff = SPAN[0]
    labelled = model_lib.labelled_rows(tables.features, tables.player_game_summary)
    corrupted = labelled.copy()
    after = corrupted["game_date"] >= pd.Timestamp(cutoff)
    corrupted.loc[after, "points"] = 999
    corrupted.loc[after, list(model_lib.MODEL_FEATURES)] = -999.0
    assert after.sum() > 1000
    clean_model, clean_info = model_lib.train(labelled, cutoff)
    bad_model, bad_info = model_lib.train(corrupted, cutoff)
    assert clean_model.model_to_string() == bad_model.model_to_string()
    assert clean_info == bad_info
    # and it is the model the walk-forward used for that week
    week = walk.predictions[(walk.predictions["system_id"] == "lightgbm")
                            & (walk.predictions["game_date"] < pd.Timestamp("2024-03-11"))]
    feats = tables.features.set_index(["game_date", "player_lookup"]).loc[
        list(zip(week["game_date"], week["player_lookup"], strict=True))]
    assert np.allclose(model_lib.predict(clean_model, feats), week["predicted_points"],
                       atol=0.006)


def test_not_enough_history_fails_with_a_reason(tables) -> None:
    labelled = model_lib.labelled_rows(tables.features, tables.player_game_summary)
    with pytest.raises(model_lib.NotEnoughHistoryError, match="Backfill earlier dates"):
        model_lib.train(labelled, date(2023, 12, 4))


def test_recommend_edges_and_confidence() -> None:
    line = pd.Series([20.5, 20.5, 20.5, np.nan])
    rec = systems.recommend(np.array([23.0, 19.5, 18.0, 10.0]), line, sigma=5.0)
    assert list(rec["recommendation"]) == ["OVER", "PASS", "UNDER", "PASS"]
    assert rec["confidence"].between(0.5, 1).all()
    assert rec["confidence"].iloc[3] == 0.5
    assert rec["confidence"].iloc[0] > rec["confidence"].iloc[1]


def test_grading_and_daily_summary() -> None:
    base = {"game_date": pd.Timestamp("2024-03-05"), "game_id": "g", "is_active": True,
            "line_value": 20.5}
    preds = pd.DataFrame([
        {**base, "player_lookup": "a", "system_id": "s", "predicted_points": 24.0,
         "recommendation": "OVER"},
        {**base, "player_lookup": "b", "system_id": "s", "predicted_points": 17.0,
         "recommendation": "UNDER"},
        {**base, "player_lookup": "c", "system_id": "s", "predicted_points": 21.0,
         "recommendation": "PASS"},
        {**base, "player_lookup": "d", "system_id": "s", "predicted_points": 30.0,
         "recommendation": "OVER", "is_active": False},
    ])
    actual = pd.DataFrame({"game_date": pd.Timestamp("2024-03-05"), "game_id": "g",
                           "player_lookup": ["a", "b", "c", "d"], "points": [25, 22, 10, 0]})
    graded = systems.grade(preds, actual).set_index("player_lookup")
    assert list(graded.index) == ["a", "b", "c"]  # inactive rows are not graded
    assert graded.loc["a", "is_hit"] == True  # noqa: E712 (nullable boolean)
    assert graded.loc["b", "is_hit"] == False  # noqa: E712
    assert pd.isna(graded.loc["c", "is_hit"])
    assert graded.loc["b", "signed_error"] == -5.0
    perf = systems.daily_performance(graded.reset_index()).iloc[0]
    assert perf["predictions"] == 3 and perf["picks"] == 2 and perf["hits"] == 1
    assert perf["hit_rate"] == 0.5 and perf["pass_count"] == 1
    assert np.isclose(perf["mae"], (1 + 5 + 11) / 3)


def test_wilson_interval() -> None:
    assert evaluation.wilson_interval(0, 0) is None
    low, high = evaluation.wilson_interval(50, 100)
    assert np.isclose(low, 0.4038, atol=1e-4) and np.isclose(high, 0.5962, atol=1e-4)
    low, high = evaluation.wilson_interval(10, 10)
    assert high == 1.0 and 0.69 < low < 0.73


def test_report_compares_everything_on_the_same_rows(walk, tables) -> None:
    rows = evaluation.evaluation_rows(walk.predictions, tables.features,
                                      tables.player_game_summary)
    report = evaluation.summarize(rows, list(systems.SYSTEMS))
    names = {"line", "season_avg", "last10_avg", *systems.SYSTEMS}
    assert report["rows"] == len(rows) > 500
    for key in ("mae", "bias", "hit_rate", "n_picks"):
        assert set(report[key]) == names
    assert report["n_picks"]["line"] == 0 and report["hit_rate"]["line"] is None
    line_mae = (rows["line"] - rows["actual"]).abs().mean()
    assert np.isclose(report["mae"]["line"], line_mae, atol=1e-4)
    assert 4.0 < report["mae"]["line"] < 6.5
    # the model beats the plain averages on the same rows (the bar, on a small span)
    assert report["mae"]["lightgbm"] < min(report["mae"]["season_avg"],
                                           report["mae"]["last10_avg"])


def test_model_info_records_the_training_window_and_round_trips(walk) -> None:
    info = walk.models[0]
    assert info.trained_from < info.validation_from <= info.trained_through
    assert info.validation_from == "2024-02-12"  # 21 days before the 2024-03-04 cutoff
    assert info.features == model_lib.MODEL_FEATURES and info.validation_bias is not None
    assert model_lib.ModelInfo.from_json(info.to_json()) == info
    legacy = json.loads(info.to_json())
    for new_field in ("trained_from", "validation_from", "validation_bias", "features"):
        legacy.pop(new_field)
    assert model_lib.ModelInfo.from_json(json.dumps(legacy)).model_version == info.model_version


def test_an_opening_week_model_validates_on_last_season_and_early_stops() -> None:
    """Issue 14: the first model of a season used to have an empty validation window (its last
    21 days are off-season) and trained a fixed round budget with no early stopping."""
    history = real_tables(date(2023, 2, 1), date(2023, 4, 9))
    labelled = model_lib.labelled_rows(history.features, history.player_game_summary)
    opener_cutoff = date(2023, 10, 23)  # the Monday before the 2023-24 opener
    _, info = model_lib.train(labelled, opener_cutoff)
    game_days = sorted(labelled["game_date"].dt.date.unique())
    assert info.validation_from == game_days[-model_lib.MIN_VALIDATION_GAME_DAYS].isoformat()
    assert info.validation_from < "2023-04-09" < info.trained_through
    assert info.validation_rows > 1000 and info.validation_mae is not None
    assert info.best_iteration < 600  # early stopping chose the rounds


def test_in_season_validation_window_is_the_last_21_days() -> None:
    dates = pd.Series(pd.date_range("2024-01-01", "2024-03-03"))
    assert model_lib.validation_start(dates, pd.Timestamp("2024-03-04")) == pd.Timestamp(
        "2024-02-12")
    # All-Star break: 2024-02-16..21 have no games; 15 game days remain, enough.
    gap = dates[(dates < "2024-02-16") | (dates > "2024-02-21")]
    assert model_lib.validation_start(gap, pd.Timestamp("2024-03-04")) == pd.Timestamp(
        "2024-02-12")
