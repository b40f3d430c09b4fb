"""Learned ensemble weights on real rows: only graded history before the cutoff counts."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from nba_pipeline.ml import blending, systems
from nba_pipeline.ml import model as model_lib
from nba_pipeline_tests.features.real_slice import real_tables

# The first full week with points lines is served by the model trained through 2024-03-03;
# its graded rows set the weights of the week from 2024-03-11.
SERVED = date(2024, 3, 4)
CUTOFF = date(2024, 3, 11)


@pytest.fixture(scope="module")
def served() -> tuple[pd.DataFrame, dict]:
    tables = real_tables()
    labelled = model_lib.labelled_rows(tables.features, tables.player_game_summary)
    booster, _ = model_lib.train(labelled, SERVED)
    return labelled, {SERVED: booster}


def test_the_weights_come_from_graded_rows_before_the_cutoff(served) -> None:
    labelled, boosters = served
    graded = blending.served_graded_rows(labelled, boosters, CUTOFF)
    assert pd.to_datetime(graded["game_date"]).max() < pd.Timestamp(CUTOFF)
    blend = blending.learn_blend(graded, CUTOFF)
    assert blend.source == "learned"
    assert blend.line_rows >= blending.MIN_BLEND_ROWS
    assert blend.graded_from >= SERVED.isoformat() and blend.graded_through < CUTOFF.isoformat()
    assert 0.0 <= blend.line_weight <= 1.0 and 0.0 <= blend.baseline_weight <= 1.0
    # On those rows the learned weight is at least as good as the a-priori one.
    lined = graded[graded["points_line"].notna()]

    def mae(weight: float) -> float:
        return float(np.mean(np.abs(weight * lined["points_line"] + (1 - weight)
                                    * lined["lightgbm"] - lined["actual"])))

    assert mae(blend.line_weight) <= mae(systems.ENSEMBLE_LINE_WEIGHT)


def test_no_graded_row_on_or_after_the_cutoff_can_move_the_weights(served) -> None:
    """Corrupt every label, line and feature on/after the cutoff and add a model that served
    the cutoff's own week: the weights serving that week are unchanged."""
    labelled, boosters = served
    clean = blending.learn_blend(blending.served_graded_rows(labelled, boosters, CUTOFF), CUTOFF)
    later = pd.to_datetime(labelled["game_date"]) >= pd.Timestamp(CUTOFF)
    assert later.sum() > 500
    corrupted = labelled.copy()
    corrupted.loc[later, "points"] = 99
    corrupted.loc[later, "points_line"] = 0.5
    corrupted.loc[later, ["pts_avg_last10", "pts_ewm_h5", "pts_avg_season"]] = 99.0
    more = {**boosters, CUTOFF: boosters[SERVED]}
    graded = blending.served_graded_rows(corrupted, more, CUTOFF)
    assert blending.learn_blend(graded, CUTOFF) == clean
    # Graded rows handed in on/after the cutoff are ignored too.
    extra = graded.assign(game_date=pd.Timestamp(CUTOFF), actual=graded["points_line"])
    assert blending.learn_blend(pd.concat([graded, extra]), CUTOFF) == clean


def test_too_little_graded_history_falls_back_to_the_prior_weights(served) -> None:
    labelled, boosters = served
    # No model served the weeks before (the first week of a span or a feature version).
    assert blending.learn_blend(blending.served_graded_rows(labelled, {}, SERVED),
                                SERVED) == blending.Blend.fallback()
    # One day of lines is fewer than MIN_BLEND_ROWS: the line weight falls back on its own.
    one_day = blending.served_graded_rows(labelled, boosters, date(2024, 3, 5))
    blend = blending.learn_blend(one_day, date(2024, 3, 5))
    assert blend.line_weight == systems.ENSEMBLE_LINE_WEIGHT and blend.line_rows == 0
    assert blend.source in ("fallback", "learned_baseline")


def test_the_grid_search_finds_the_exact_anchor_or_model() -> None:
    rng = np.random.default_rng(1)
    actual = rng.integers(0, 40, 500).astype(float)
    noise = actual + rng.normal(0, 6, 500)
    assert blending.best_weight(actual, noise, actual) == 1.0
    assert blending.best_weight(noise, actual, actual) == 0.0


def test_the_ensemble_uses_the_weights_it_is_given(served) -> None:
    labelled, _ = served
    day = labelled[labelled["game_date"] == pd.Timestamp("2024-03-05")]
    lgbm = day["pts_ewm_h5"].to_numpy()
    base = systems.rolling_average(day)
    out = systems.ensemble(lgbm, base, day["points_line"], 0.9, 0.3)
    lined = day["points_line"].notna().to_numpy()
    assert lined.any() and (~lined).any()
    assert np.allclose(out[lined], 0.9 * day["points_line"].to_numpy()[lined]
                       + 0.1 * lgbm[lined])
    assert np.allclose(out[~lined], 0.7 * lgbm[~lined] + 0.3 * base[~lined])
