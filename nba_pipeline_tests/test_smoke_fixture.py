import duckdb


def test_materialized_home_has_predictions(materialized_home):
    con = duckdb.connect(str(materialized_home / "warehouse.duckdb"), read_only=True)
    n = con.execute("select count(*) from nba_predictions.player_prop_predictions "
                    "where line_value is not null").fetchone()[0]
    assert n > 100
