"""P(over), the market's no-vig probability, EV and the probability grading, on real rows."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from nba_pipeline.features.feature_store import FEATURE_VERSION
from nba_pipeline.ml import evaluation, probabilities, scoring, systems
from nba_pipeline.ml import model as model_lib
from nba_pipeline_tests.features.real_slice import real_raw, real_tables

CUTOFF = date(2024, 3, 11)


@pytest.fixture(scope="module")
def tables():
    return real_tables()


@pytest.fixture(scope="module")
def fitted(tables):
    """The week of 2024-03-11: the model, its validation rows and the calibration from them."""
    features = tables.features.assign(game_date=pd.to_datetime(tables.features["game_date"]))
    labelled = model_lib.labelled_rows(features, tables.player_game_summary)
    booster, info, validation = model_lib.train_with_validation(labelled, CUTOFF)
    calibration = probabilities.calibrate(validation, info)
    return labelled, booster, info, validation, calibration


def test_the_calibration_comes_from_out_of_sample_rows_before_the_cutoff(fitted) -> None:
    labelled, _, info, validation, calibration = fitted
    assert validation["game_date"].max() < pd.Timestamp(CUTOFF)
    assert validation["game_date"].min() >= pd.Timestamp(info.validation_from)
    assert set(calibration.quantiles) == set(systems.SYSTEMS)
    for system_id in systems.SYSTEMS:
        assert sum(calibration.rows[system_id]) >= probabilities.MIN_LINE_ROWS
        for q in calibration.quantiles[system_id]:
            assert len(q) == len(probabilities.QUANTILE_GRID) and q == sorted(q)
    # Everything on or after the cutoff corrupted: the same calibration (no leakage).
    cut = labelled["game_date"] >= pd.Timestamp(CUTOFF)
    corrupted = labelled.copy()
    corrupted.loc[cut, "points"] = 99
    corrupted.loc[cut, "pts_avg_last10"] = 99.0
    _, info2, validation2 = model_lib.train_with_validation(corrupted, CUTOFF)
    again = probabilities.calibrate(validation2, info2)
    assert again.quantiles == calibration.quantiles
    assert probabilities.Calibration.from_json(calibration.to_json()) == calibration


def test_p_over_is_a_probability_of_the_line_on_the_next_week(tables, fitted) -> None:
    """The week after the cutoff (rows the calibration never saw): P(over) in [0.01, 0.99],
    falling as the line rises, and a whole-number line leaves room for a push. Whether it beats
    the market is measured by model-report, not asserted."""
    _, booster, info, _, calibration = fitted
    week = tables.features[(pd.to_datetime(tables.features["game_date"]) >= pd.Timestamp(CUTOFF))
                           & tables.features["points_line"].notna()]
    pred = model_lib.predict(booster, week)
    line = week["points_line"].to_numpy(dtype=float)
    for platt in (True, False):
        p_over, _ = probabilities.over_under(pred, line, "lightgbm", calibration, 6.0, platt)
        assert np.all((p_over >= 0.01) & (p_over <= 0.99))
        higher, _ = probabilities.over_under(pred, line + 3, "lightgbm", calibration, 6.0, platt)
        assert np.all(higher <= p_over + 1e-12)
        whole, whole_under = probabilities.over_under(pred, np.floor(line), "lightgbm",
                                                      calibration, 6.0, platt)
        assert np.all(whole + whole_under <= 1.0 + 1e-9)


def test_platt_scaling_is_fitted_on_the_validation_lines(fitted) -> None:
    """On the validation rows with a line (before the cutoff) the scaled P(over) matches the
    observed over rate on average (the intercept's property), with a slope in [0, 1.5]."""
    _, _, _, validation, calibration = fitted
    assert set(calibration.platt) == set(systems.SYSTEMS)
    rows = validation[validation["points_line"].notna()
                      & (validation["points"] != validation["points_line"])]
    line = rows["points_line"].to_numpy(dtype=float)
    p_over, _ = probabilities.over_under(rows["lgbm_pred"].to_numpy(dtype=float), line,
                                         "lightgbm", calibration, 6.0)
    observed = (rows["points"].to_numpy() > line).mean()
    assert abs(p_over.mean() - observed) < 0.01, (p_over.mean(), observed)
    for _a, b, n in calibration.platt.values():
        assert 0.0 <= b <= 1.5 and n == len(rows)


def test_fit_platt_recovers_a_known_logistic() -> None:
    p_raw = np.repeat([0.2, 0.35, 0.5, 0.65, 0.8], 2000)
    target = 1 / (1 + np.exp(-(0.2 + 0.5 * np.log(p_raw / (1 - p_raw)))))
    y = np.concatenate([(np.arange(2000) < round(t * 2000)).astype(float)
                        for t in target[::2000]])
    a, b = probabilities.fit_platt(p_raw, y)
    assert abs(a - 0.2) < 0.01 and abs(b - 0.5) < 0.01


def test_market_prices_at_the_consensus_line_on_real_lines(tables) -> None:
    lines = real_raw()["lines"]
    feats = tables.features[pd.to_datetime(tables.features["game_date"]) == "2024-03-05"]
    market = probabilities.market_prices(lines[pd.to_datetime(lines["game_date"]) <= "2024-03-06"],
                                         feats)
    lined = feats["points_line"].notna().sum()
    assert len(market) >= 0.8 * lined, (len(market), lined)
    assert market["market_p_over"].between(0.2, 0.8).all()
    # The best over price is at least every book's over price at that line.
    one = market.iloc[0]
    row = feats[feats["player_lookup"] == one["player_lookup"]].iloc[0]
    quotes = lines[(lines["player_lookup"] == one["player_lookup"])
                   & (lines["line_value"] == row["points_line"])
                   & (lines["event_id"] == lines.loc[lines["player_lookup"] == one[
                       "player_lookup"], "event_id"].iloc[0])
                   & lines[["over_price", "under_price"]].notna().all(axis=1)]
    quotes = quotes[pd.to_datetime(quotes["commence_time_utc"]).dt.tz_localize(None)
                    .dt.tz_localize("UTC").dt.tz_convert("US/Eastern").dt.date
                    == date(2024, 3, 5)]
    dec = probabilities.american_to_decimal(quotes["over_price"])
    assert probabilities.american_to_decimal(np.array([one["over_price"]]))[0] == dec.max()
    io, iu = probabilities.implied(quotes["over_price"]), probabilities.implied(
        quotes["under_price"])
    assert np.isclose(one["market_p_over"], np.mean(io / (io + iu)))


def test_expected_value_and_the_ev_recommendation() -> None:
    assert np.allclose(probabilities.american_to_decimal(np.array([-110, 150])), [1 + 100 / 110,
                                                                                    2.5])
    # 55% at -110: 0.55 * 0.9091 - 0.45 = +0.05; a push (10%) returns the stake.
    assert np.isclose(probabilities.expected_value(0.55, 0.45, -110), 0.55 / 1.1 - 0.45)
    assert np.isclose(probabilities.expected_value(0.5, 0.4, 100), 0.1)
    base = {"game_date": pd.Timestamp("2024-03-05"), "system_id": "lightgbm",
            "line_value": 20.5}
    rows = pd.DataFrame([{**base, "player_lookup": p, "predicted_points": v}
                         for p, v in (("a", 26.0), ("b", 15.0), ("c", 20.7), ("d", 26.0))])
    market = pd.DataFrame({"game_date": pd.Timestamp("2024-03-05"),
                           "player_lookup": ["a", "b", "c"], "market_p_over": 0.5,
                           "over_price": -110.0, "under_price": -110.0, "market_books": 3})
    out = probabilities.price_rows(rows, market, None, sigma=5.0).set_index("player_lookup")
    assert list(out["recommendation"]) == ["OVER", "UNDER", "PASS", "PASS"]
    assert out.loc["a", "ev"] >= probabilities.MIN_EV and pd.isna(out.loc["d", "ev"])
    assert out.loc["d", "p_over"] > 0.5  # no price: a probability, no bet
    assert np.isclose(out.loc["a", "confidence"], out.loc["a", "p_over"])


def test_bets_profit_and_probability_scores() -> None:
    graded = pd.DataFrame({
        "recommendation": ["OVER", "UNDER", "OVER", "PASS"],
        "over_price": [-110.0, -110.0, 120.0, -110.0], "under_price": [-110.0, -120.0, -150, -110],
        "actual_over_under": ["OVER", "OVER", "PUSH", "UNDER"],
        "p_over": [0.6, 0.3, 0.5, 0.5], "market_p_over": [0.5, 0.5, 0.5, 0.5]})
    bets = scoring.add_bets(graded)
    assert np.allclose(bets["profit"].to_numpy()[:3], [100 / 110, -1.0, 0.0])
    assert pd.isna(bets["profit"].iloc[3]) and bets["bet_price"].iloc[1] == -120.0
    roi = scoring.roi(bets)
    assert roi["bets"] == 3 and np.isclose(roi["roi"], (100 / 110 - 1) / 3, atol=1e-4)
    scores = scoring.probability_scores(bets)
    assert scores["rows"] == 3  # the push is not scored
    assert np.isclose(scores["brier"]["mean"], (0.16 + 0.49 + 0.25) / 3, atol=1e-4)
    assert np.isclose(scores["market_brier"]["mean"], 0.25)
    table = scoring.calibration_table(bets["p_over"], scoring.outcome_over(bets))
    assert sum(b["n"] for b in table) == 3 and len(table) == 10


def test_paired_gap_interval_is_on_the_same_rows() -> None:
    rows = pd.DataFrame({"line": [20.5, 10.5, 15.5, 30.5], "actual": [22, 8, 15, 35],
                         "m": [21.0, 9.0, 17.0, 30.5]})
    gap = evaluation.paired_mae_gaps(rows, ["m"])["m"]
    diffs = np.array([1 - 1.5, 1 - 2.5, 2 - 0.5, 4.5 - 4.5])
    assert gap["n"] == 4 and np.isclose(gap["mean"], diffs.mean())
    half = 1.959964 * diffs.std(ddof=1) / 2
    assert np.allclose(gap["ci95"], [diffs.mean() - half, diffs.mean() + half], atol=1e-4)


def test_the_systems_rows_carry_prices_end_to_end(tables, fitted) -> None:
    """As the asset prices a day: every lined row has p_over; priced rows have ev; picks clear
    MIN_EV; the ensemble's probabilities use its own residuals."""
    _, booster, info, _, calibration = fitted
    day = tables.features[pd.to_datetime(tables.features["game_date"]) == "2024-03-12"]
    rows = systems.predict_systems(day, model_lib.predict(booster, day), info.model_version,
                                   info.residual_std, FEATURE_VERSION, pd.Timestamp.now(tz="UTC"))
    market = probabilities.market_prices(real_raw()["lines"], day)
    out = probabilities.price_rows(rows, market, calibration, info.residual_std)
    lined = out["line_value"].notna()
    assert out.loc[lined, "p_over"].notna().all() and out.loc[~lined, "p_over"].isna().all()
    assert out["ev"].notna().sum() > 0.8 * lined.sum()
    picks = out[out["recommendation"] != "PASS"]
    assert (picks["ev"] >= probabilities.MIN_EV).all()
    assert calibration.quantiles["ensemble"] != calibration.quantiles["lightgbm"]
