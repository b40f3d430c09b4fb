"""Model, prediction, grading and publishing assets as written to a real DuckDB + landing folder.

Uses the session warehouse (2024-03-04..06 with real lines through every asset); re-runs work
on a private copy. The published JSON is validated against docs/predictions.schema.json with a
small validator for the keywords the schema uses (jsonschema is not a dependency).
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from dagster import AssetKey

from nba_pipeline.defs.publishing.assets import predictions_document
from nba_pipeline.features import feature_store as fs
from nba_pipeline.ml import blending, probabilities, scoring, systems
from nba_pipeline.ml import model as model_lib
from nba_pipeline.runner import run_range
from nba_pipeline_tests.conftest import (
    HISTORY_END,
    HISTORY_START,
    PREDICT_END,
    PREDICT_START,
    build_definitions_for,
)
from nba_pipeline_tests.features.real_slice import build_tables, replayed_raw

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "predictions.schema.json"
DAY = date(2024, 3, 5)
PREDICTION_KEYS = [AssetKey(["nba_predictions", t]) for t in (
    "points_model", "player_prop_predictions", "prediction_accuracy",
    "system_daily_performance")] + [AssetKey(["nba_publish", "daily_predictions_json"])]


def schema_errors(value: Any, schema: dict, path: str = "$") -> list[str]:
    """Errors of `value` against a JSON Schema using type/enum/required/properties/
    additionalProperties/items/minimum/maximum/minLength/pattern (what our schema uses)."""
    errors: list[str] = []
    types = schema.get("type")
    if types is not None:
        allowed = types if isinstance(types, list) else [types]
        checks = {"object": lambda v: isinstance(v, dict), "array": lambda v: isinstance(v, list),
                  "string": lambda v: isinstance(v, str), "null": lambda v: v is None,
                  "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
                  "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool)}
        if not any(checks[t](value) for t in allowed):
            return [f"{path}: {value!r} is not of type {allowed}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} not in {schema['enum']}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{path}: {value} < {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{path}: {value} > {schema['maximum']}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            errors.append(f"{path}: shorter than {schema['minLength']}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{path}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        errors += [f"{path}: missing {k}" for k in schema.get("required", []) if k not in value]
        if schema.get("additionalProperties") is False:
            errors += [f"{path}: unexpected {k}" for k in value if k not in props]
        for k, v in value.items():
            if k in props:
                errors += schema_errors(v, props[k], f"{path}.{k}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors += schema_errors(item, schema["items"], f"{path}[{i}]")
    return errors


def _query(home: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


def _published(home: Path, day: date) -> dict:
    return json.loads((home / "landing" / "published" / "predictions" / f"{day}.json").read_text())


def test_predictions_one_active_row_per_player_game_and_system(materialized_home: Path) -> None:
    preds = _query(materialized_home, "SELECT * FROM nba_predictions.player_prop_predictions")
    assert set(preds["system_id"]) == {"rolling_average", "lightgbm", "ensemble"}
    active = preds[preds["is_active"]]
    assert not active.duplicated(["game_id", "player_lookup", "system_id"]).any()
    per_player = active.groupby(["game_id", "player_lookup"])["system_id"].nunique()
    assert (per_player == 3).all()
    assert active["confidence"].between(0, 1).all()
    assert set(active["recommendation"]) <= {"OVER", "UNDER", "PASS"}
    with_line = active[active["line_value"].notna()]
    assert len(with_line) > 100
    assert ((with_line["edge"] - (with_line["predicted_points"] - with_line["line_value"]))
            .abs() < 0.02).all()
    assert (active.loc[active["line_value"].isna(), "recommendation"] == "PASS").all()


def test_model_registry_rows_point_at_artifacts_trained_before_the_date(
        materialized_home: Path) -> None:
    models = _query(materialized_home, "SELECT * FROM nba_predictions.points_model")
    assert len(models) == 3  # 2024-03-04..06, one week's model
    assert (pd.to_datetime(models["trained_through"]) < pd.to_datetime(models["game_date"])).all()
    assert models["model_version"].nunique() == 1
    for key in models["artifact_key"]:
        assert (materialized_home / "landing" / key).stat().st_size > 1000
        info = json.loads((materialized_home / "landing" / key).with_name("info.json").read_text())
        assert info["validation_rows"] > 0 and info["feature_version"] == models[
            "feature_version"].iloc[0]


def test_the_ensemble_serves_the_weights_its_model_recorded(materialized_home: Path) -> None:
    """The week's blend is in info.json and the points_model rows, and the ensemble's rows are
    that blend of the line and LightGBM (no model served the week before this fixture's first
    date, so it is the documented fallback)."""
    models = _query(materialized_home, "SELECT * FROM nba_predictions.points_model")
    info = json.loads((materialized_home / "landing" / models["artifact_key"].iloc[0]).with_name(
        "info.json").read_text())
    assert (models["ensemble_line_weight"] == info["ensemble_line_weight"]).all()
    assert (models["blend_source"] == info["blend_source"]).all()
    assert info["blend_source"] == "fallback" and info["blend_line_rows"] == 0
    assert info["ensemble_line_weight"] == systems.ENSEMBLE_LINE_WEIGHT
    preds = _query(materialized_home, """
        SELECT e.predicted_points AS ensemble, l.predicted_points AS lightgbm, e.line_value
        FROM nba_predictions.player_prop_predictions e
        JOIN nba_predictions.player_prop_predictions l USING (game_date, game_id, player_lookup)
        WHERE e.system_id = 'ensemble' AND l.system_id = 'lightgbm' AND e.is_active
          AND l.is_active AND e.line_value IS NOT NULL AND e.history_games > 0""")
    w = info["ensemble_line_weight"]
    assert len(preds) > 100
    assert ((preds["ensemble"] - (w * preds["line_value"] + (1 - w) * preds["lightgbm"]))
            .abs() < 0.02).all()


def test_the_served_predictions_the_blend_learns_from_are_the_graded_ones(
        materialized_home: Path) -> None:
    """blending.served_graded_rows reproduces, from the stored model and feature rows, the
    `lightgbm` predictions prediction_accuracy graded (the blend cannot read that table)."""
    models = _query(materialized_home, "SELECT * FROM nba_predictions.points_model")
    key = models["artifact_key"].iloc[0]
    booster = model_lib.load((materialized_home / "landing" / key).read_bytes())
    features = _query(materialized_home, "SELECT * FROM nba_precompute.ml_feature_store_v2")
    outcomes = _query(materialized_home,
                      "SELECT game_date, player_lookup, points "
                      "FROM nba_analytics.player_game_summary")
    labelled = model_lib.labelled_rows(features, outcomes)
    week = date(2024, 3, 4)
    graded = blending.served_graded_rows(labelled, {week: booster}, date(2024, 3, 11))
    stored = _query(materialized_home, """
        SELECT game_date, player_lookup, predicted_points, actual_points
        FROM nba_predictions.prediction_accuracy
        WHERE system_id = 'lightgbm' AND history_games > 0""")
    assert len(graded) == len(stored) > 100
    both = graded.assign(game_date=pd.to_datetime(graded["game_date"])).merge(
        stored.assign(game_date=pd.to_datetime(stored["game_date"])),
        on=["game_date", "player_lookup"], validate="one_to_one")
    assert len(both) == len(stored)
    assert (both["lightgbm"] - both["predicted_points"]).abs().max() < 0.006
    assert (both["actual"] == both["actual_points"]).all()


def test_grading_and_daily_summary_match_the_box_scores(materialized_home: Path) -> None:
    graded = _query(materialized_home, """
        SELECT a.*, s.points FROM nba_predictions.prediction_accuracy a
        JOIN nba_analytics.player_game_summary s USING (game_date, player_lookup)""")
    assert len(graded) > 300
    assert (graded["actual_points"] == graded["points"]).all()
    assert ((graded["absolute_error"] - (graded["predicted_points"] - graded["points"]).abs())
            .abs() < 1e-9).all()
    perf = _query(materialized_home, "SELECT * FROM nba_predictions.system_daily_performance")
    assert len(perf) == 9  # 3 days x 3 systems
    mine = graded.groupby(["game_date", "system_id"])["absolute_error"].mean()
    for row in perf.itertuples():
        assert abs(mine[(pd.Timestamp(row.game_date), row.system_id)] - row.mae) < 1e-9
        assert row.picks == row.predictions - row.pass_count - (
            graded[(graded["game_date"] == pd.Timestamp(row.game_date))
                   & (graded["system_id"] == row.system_id)
                   & graded["is_hit"].isna()
                   & (graded["recommendation"] != "PASS")].shape[0])


def test_probabilities_prices_and_bets_as_the_assets_wrote_them(materialized_home: Path) -> None:
    """p_over on every lined row, market and EV where a book quotes the consensus line, picks
    only at EV >= MIN_EV, each bet graded at its price, the day's Brier and ROI recomputable."""
    preds = _query(materialized_home, "SELECT * FROM nba_predictions.player_prop_predictions "
                                      "WHERE is_active")
    lined = preds[preds["line_value"].notna()]
    assert lined["p_over"].between(0, 1).all() and preds.loc[
        preds["line_value"].isna(), "p_over"].isna().all()
    priced = lined[lined["ev"].notna()]
    assert len(priced) > 0.8 * len(lined)
    assert priced["market_p_over"].between(0.05, 0.95).all()
    picks = preds[preds["recommendation"] != "PASS"]
    assert len(picks) > 0 and (picks["ev"] >= probabilities.MIN_EV).all()
    version = preds.loc[preds["system_id"] == "lightgbm", "model_version"].iloc[0]
    assert (materialized_home / "landing" / "models" / "points_model" / version
            / "calibration.json").exists()
    graded = _query(materialized_home, "SELECT * FROM nba_predictions.prediction_accuracy")
    bets = graded[graded["profit"].notna()]
    assert len(bets) and set(bets["recommendation"]) <= {"OVER", "UNDER"}
    won = bets["recommendation"] == bets["actual_over_under"]
    decimal = probabilities.american_to_decimal(bets["bet_price"])
    expect = np.where(won, decimal - 1, np.where(bets["actual_over_under"] == "PUSH", 0.0, -1.0))
    assert np.allclose(bets["profit"], expect, atol=1e-4)
    perf = _query(materialized_home, "SELECT * FROM nba_predictions.system_daily_performance")
    row = perf.iloc[0]
    part = graded[(graded["game_date"] == row["game_date"])
                  & (graded["system_id"] == row["system_id"])]
    scores = scoring.probability_scores(part)
    assert row["prob_rows"] == scores["rows"]
    assert abs(row["brier"] - scores["brier"]["mean"]) < 1e-4
    assert abs(row["market_brier"] - scores["market_brier"]["mean"]) < 1e-4
    assert row["bets"] == part["profit"].notna().sum()
    assert abs(row["profit"] - part["profit"].sum()) < 1e-6
    doc = _published(materialized_home, DAY)
    assert any(p["ev"] is not None and p["market_p_over"] is not None for p in doc["predictions"])


def test_published_documents_validate_against_the_schema(materialized_home: Path) -> None:
    schema = json.loads(SCHEMA.read_text())
    day = PREDICT_START
    while day <= PREDICT_END:
        doc = _published(materialized_home, day)
        assert schema_errors(doc, schema) == []
        assert doc["game_date"] == day.isoformat() and doc["count"] == len(doc["predictions"])
        assert doc["count"] > 100
        day = date.fromordinal(day.toordinal() + 1)


def test_the_validator_rejects_a_broken_document(materialized_home: Path) -> None:
    schema = json.loads(SCHEMA.read_text())
    doc = _published(materialized_home, DAY)
    doc["predictions"][0]["confidence"] = 1.5
    doc["predictions"][1]["recommendation"] = "MAYBE"
    del doc["predictions"][2]["line"]
    doc["extra"] = 1
    errors = schema_errors(doc, schema)
    assert len(errors) == 4, errors
    empty = predictions_document("2024-03-05", pd.DataFrame(
        columns=["is_active", "system_id", "player_lookup"]))
    assert schema_errors(empty, schema) == [] and empty["count"] == 0


@pytest.mark.slow
def test_rerunning_a_day_replaces_predictions_and_reuses_the_model(copy_home: Path,
                                                                    instance) -> None:
    artifacts = sorted((copy_home / "landing" / "models").rglob("*"))
    stamps = {p: p.stat().st_mtime_ns for p in artifacts if p.is_file()}
    before = _query(copy_home, "SELECT * FROM nba_predictions.player_prop_predictions")
    result = run_range(build_definitions_for(copy_home), DAY, DAY, selection=PREDICTION_KEYS,
                       instance=instance)
    assert result.success, result.failure
    after = _query(copy_home, "SELECT * FROM nba_predictions.player_prop_predictions")
    assert len(after) == len(before)
    assert not after.duplicated(["game_id", "player_lookup", "system_id"]).any()
    keys = ["game_date", "player_lookup", "system_id"]
    merged = before.merge(after, on=keys, suffixes=("_before", "_after"))
    assert len(merged) == len(before)
    assert (merged["predicted_points_before"] == merged["predicted_points_after"]).all()
    day = merged["game_date"] == pd.Timestamp(DAY)
    assert (merged.loc[day, "created_at_after"] > merged.loc[day, "created_at_before"]).all()
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps  # week's model not retrained
    assert schema_errors(_published(copy_home, DAY), json.loads(SCHEMA.read_text())) == []


def test_the_assets_features_equal_the_domain_functions_over_one_range(
        materialized_home: Path) -> None:
    """Per-season runs of the feature asset and one pass of the domain functions over the whole
    replayed range give the same features (model-report scores the assets' rows directly)."""
    parts = [replayed_raw(HISTORY_START, HISTORY_END), replayed_raw(PREDICT_START, PREDICT_END)]
    raw = {k: pd.concat([p[k] for p in parts], ignore_index=True) for k in parts[0]}
    tables = build_tables(raw, HISTORY_START, PREDICT_END)
    stored = _query(materialized_home, "SELECT * FROM nba_precompute.ml_feature_store_v2")
    keys = ["game_date", "player_lookup"]
    cols = [*keys, *fs.FEATURES, "source_max_game_date"]
    pd.testing.assert_frame_equal(
        stored[cols].sort_values(keys).reset_index(drop=True),
        tables.features[cols].sort_values(keys).reset_index(drop=True), check_dtype=False)
