"""`model-report` end to end: it materializes the assets and scores what they wrote, nothing else.

The module fixture runs the report's default code path (temporary Dagster instance, assets
materialized into a fresh home) on the demo's short span; the numbers are then recomputed in SQL
straight from the warehouse tables and the model artifacts, and `--home` reads the same home.
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from nba_pipeline.cli import main
from nba_pipeline.commands import demo, model_report
from nba_pipeline.ml import model as model_lib
from nba_pipeline.ml import systems

START, END = demo.QUICK_PREDICT
PREDICTORS = {"line", "season_avg", "last10_avg", *systems.SYSTEMS}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """(home, report) from the default path: history then the span through every asset."""
    home = tmp_path_factory.mktemp("model_report_home")
    history = model_report.history_for(START, demo.QUICK_HISTORY)
    return home, model_report.materialize_and_report(home, history, START, END)


def _direct(home: Path) -> dict:
    """The report's figures as one SQL query over the tables the assets wrote."""
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return dict(zip(
            ["rows", "line", "season_avg", "last10_avg", "lightgbm", "ensemble",
             "rolling_average", "over", "lgbm_picks", "lgbm_hits"],
            con.execute("""
            WITH p AS (
                SELECT game_date, player_lookup,
                       max(predicted_points) FILTER (system_id = 'lightgbm') lightgbm,
                       max(predicted_points) FILTER (system_id = 'ensemble') ensemble,
                       max(predicted_points) FILTER (system_id = 'rolling_average') rolling,
                       max(recommendation) FILTER (system_id = 'lightgbm') lgbm_rec
                FROM nba_predictions.player_prop_predictions
                WHERE is_active AND game_date BETWEEN ? AND ? GROUP BY ALL),
            r AS (
                SELECT p.*, f.points_line, f.pts_avg_season, f.pts_avg_last10, s.points
                FROM p JOIN nba_precompute.ml_feature_store_v2 f USING (game_date, player_lookup)
                JOIN nba_analytics.player_game_summary s USING (game_date, player_lookup)
                WHERE f.points_line IS NOT NULL AND f.pts_avg_season IS NOT NULL
                  AND f.pts_avg_last10 IS NOT NULL AND s.points IS NOT NULL
                  AND lightgbm IS NOT NULL AND ensemble IS NOT NULL AND rolling IS NOT NULL)
            SELECT count(*), avg(abs(points_line - points)), avg(abs(pts_avg_season - points)),
                   avg(abs(pts_avg_last10 - points)), avg(abs(lightgbm - points)),
                   avg(abs(ensemble - points)), avg(abs(rolling - points)),
                   avg((points > points_line)::INT),
                   count(*) FILTER (lgbm_rec <> 'PASS' AND points <> points_line),
                   count(*) FILTER (lgbm_rec = 'OVER' AND points > points_line
                                    OR lgbm_rec = 'UNDER' AND points < points_line)
            FROM r""", [START, END]).fetchone(), strict=True))
    finally:
        con.close()


def test_the_report_scores_real_rows_with_every_predictor(built: tuple[Path, dict]) -> None:
    _, report = built
    assert report["rows"] > 100
    for key in ("mae", "bias", "hit_rate", "n_picks"):
        assert set(report[key]) == PREDICTORS
    assert all(math.isfinite(report["mae"][name]) and 3 < report["mae"][name] < 9
               for name in PREDICTORS)
    assert report["n_picks"]["lightgbm"] > 20
    assert [m["model_version"] for m in report["models"]] == [
        model_lib.model_version(date(2024, 3, 4))]
    model = report["models"][0]
    assert model["trained_through"] == "2024-03-03" and model["train_rows"] > 2000
    assert model["validation_mae"] is not None
    assert report["feature_importance"] and math.isclose(
        sum(report["feature_importance"].values()), 1.0, abs_tol=0.01)


def test_the_report_equals_a_direct_computation_over_the_warehouse(
        built: tuple[Path, dict]) -> None:
    home, report = built
    direct = _direct(home)
    assert report["rows"] == direct["rows"]
    for name in PREDICTORS:
        assert math.isclose(report["mae"][name], direct[name], abs_tol=6e-5), name
    assert math.isclose(report["over_rate_actual"], direct["over"], abs_tol=6e-5)
    # picks and hits as the player_prop_predictions asset recommended them
    assert report["n_picks"]["lightgbm"] == direct["lgbm_picks"]
    assert math.isclose(report["hit_rate"]["lightgbm"],
                        direct["lgbm_hits"] / direct["lgbm_picks"], abs_tol=6e-5)
    # the models listed are the stored artifacts' info.json
    info = json.loads(next((home / "landing" / "models").rglob("info.json")).read_text())
    assert report["models"][0] == {k: info[k] for k in
                                   ("model_version", "trained_through", "train_rows",
                                    "validation_mae", "ensemble_line_weight",
                                    "ensemble_baseline_weight", "blend_line_rows",
                                    "blend_source")}


def test_home_mode_reads_the_same_numbers(built: tuple[Path, dict],
                                          capsys: pytest.CaptureFixture) -> None:
    home, report = built
    code = main(["model-report", "--json", "--home", str(home), "--start", START.isoformat(),
                 "--end", END.isoformat()])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    for key in ("rows", "mae", "bias", "hit_rate", "n_picks", "models", "feature_importance"):
        assert out[key] == json.loads(json.dumps(report[key])), key
    assert out["span"]["home"] == str(home)


def test_home_mode_names_the_missing_dates(built: tuple[Path, dict], tmp_path: Path,
                                           capsys: pytest.CaptureFixture) -> None:
    home, _ = built
    code = main(["model-report", "--home", str(home), "--start", START.isoformat(),
                 "--end", "2024-03-09"])
    err = capsys.readouterr().err
    assert code == 2
    assert "nba_predictions.points_model has no rows for 2024-03-07..2024-03-09" in err
    code = main(["model-report", "--home", str(tmp_path / "empty")])
    assert code == 2 and "no warehouse at" in capsys.readouterr().err


def test_history_runs_up_to_the_day_before_the_span() -> None:
    assert model_report.history_for(date(2024, 3, 18), demo.HISTORY) == [
        *demo.HISTORY[:2], (date(2023, 10, 24), date(2024, 3, 17))]
    assert model_report.history_for(date(2023, 3, 1), demo.HISTORY)[-1] == (
        date(2022, 10, 18), date(2023, 2, 28))
    assert model_report.history_for(date(2021, 10, 1), demo.HISTORY) == []


def _by_cold_start(home: Path) -> dict[bool, tuple]:
    """(rows, line MAE, lightgbm MAE) with and without cold_start, in SQL over the warehouse."""
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        got = con.execute("""
            WITH p AS (
                SELECT game_date, player_lookup, any_value(cold_start) cold_start,
                       max(predicted_points) FILTER (system_id = 'lightgbm') lightgbm,
                       count(predicted_points) systems
                FROM nba_predictions.player_prop_predictions
                WHERE is_active AND game_date BETWEEN ? AND ? GROUP BY ALL)
            SELECT p.cold_start IS NOT NULL, count(*), avg(abs(f.points_line - s.points)),
                   avg(abs(lightgbm - s.points))
            FROM p JOIN nba_precompute.ml_feature_store_v2 f USING (game_date, player_lookup)
            JOIN nba_analytics.player_game_summary s USING (game_date, player_lookup)
            WHERE f.points_line IS NOT NULL AND s.points IS NOT NULL AND systems = ?
            GROUP BY 1""", [START, END, len(systems.SYSTEMS)]).fetchall()
    finally:
        con.close()
    return {bool(r[0]): tuple(r[1:]) for r in got}


def test_the_report_breaks_mae_down_by_cold_start(built: tuple[Path, dict]) -> None:
    home, report = built
    direct = _by_cold_start(home)
    breakdown = report["cold_start"]
    for key, cold in (("without", False), ("with", True)):
        rows, line_mae, lgbm_mae = direct.get(cold, (0, None, None))
        assert breakdown[key]["rows"] == rows
        if rows:
            assert breakdown[key]["mae"]["line"] == pytest.approx(line_mae, abs=1e-4)
            assert breakdown[key]["mae"]["lightgbm"] == pytest.approx(lgbm_mae, abs=1e-4)
    assert breakdown["without"]["rows"] >= report["rows"] > 100
    assert sum(p["rows"] for p in breakdown["by_kind"].values()) == breakdown["with"]["rows"]
    assert "MAE by cold_start" in model_report.render(report)


def test_keep_home_refuses_a_folder_in_use(tmp_path: Path,
                                           capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "warehouse.duckdb").write_text("")
    assert main(["model-report", "--keep-home", str(tmp_path / "used")]) == 2
    assert "is not empty" in capsys.readouterr().err


def test_the_ablation_retrains_the_served_lightgbm_exactly(built: tuple[Path, dict]) -> None:
    """bench.ablation's shipped variant retrains each week's model as points_model did: its
    span predictions equal the lightgbm rows the assets wrote (deterministic training)."""
    from bench import ablation

    home, _ = built
    labelled = ablation.load(home)
    dates = labelled["game_date"].dt.date
    span = labelled[(dates >= START) & (dates <= END) & labelled["points_line"].notna()
                    ].reset_index(drop=True)
    saved = model_lib.MODEL_FEATURES
    try:
        result, preds = ablation.run_variant(labelled, span, ablation.VARIANTS["shipped (46)"])
    finally:
        model_lib.MODEL_FEATURES = saved
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        served = con.execute(
            "SELECT game_date, player_lookup, predicted_points "
            "FROM nba_predictions.player_prop_predictions WHERE is_active "
            "AND system_id = 'lightgbm' AND cold_start IS NULL AND game_date BETWEEN ? AND ?",
            [START, END]).df()
    finally:
        con.close()
    assert result["rows"] == len(span) > 50
    assert result["val_rows_volume"] > 100
    both = span.assign(retrained=preds).merge(
        served.assign(game_date=pd.to_datetime(served["game_date"])),
        on=["game_date", "player_lookup"])
    assert len(both) > 0.9 * len(span)
    assert (both["retrained"] - both["predicted_points"]).abs().max() <= 0.005 + 1e-9  # 2 dp
