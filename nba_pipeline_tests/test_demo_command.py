"""`nba-pipeline demo` through the real CLI, on a copy of the session warehouse."""

from nba_pipeline.cli import main


def test_demo_prints_tables_checks_and_graded_picks(copy_home, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NBA_PIPELINE_HOME", str(copy_home))
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    code = main(["demo", "--skip-history", "--predict-start", "2024-03-06",
                 "--predict-end", "2024-03-06"])
    out = capsys.readouterr().out
    assert code == 0
    assert "2024-03-06..2024-03-06" in out and "failed 0" in out
    for table in ["nba_raw.player_boxscores", "nba_analytics.player_game_summary",
                  "nba_precompute.ml_feature_store_v2",
                  "nba_predictions.player_prop_predictions"]:
        line = next(row for row in out.splitlines() if row.strip().startswith(table))
        assert int(line.split()[-1].replace(",", "")) > 0, line
    assert "top LightGBM picks for 2024-03-06" in out
    assert "MAE" in out and "http://127.0.0.1:3000" in out
    # The runs are recorded in the instance the UI reads.
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(dagster_home)) as instance:
        assert len(instance.get_runs()) == 1
