from datetime import date, datetime

import pytest
from dagster import AssetKey

from nba_pipeline.definitions import build_definitions
from nba_pipeline.lib.freshness import (
    EASTERN,
    PREDICTIONS_DEADLINE_ENV,
    deadline_for,
    predictions_deadline,
)


def _policies(defs) -> dict[str, object]:
    graph = defs.resolve_asset_graph()
    return {k.to_user_string(): graph.get(k).freshness_policy for k in graph.get_all_asset_keys()
            if graph.get(k).freshness_policy}


def test_policies_attached_once_in_definitions():
    policies = _policies(build_definitions("local"))
    assert {k: p.deadline_cron for k, p in policies.items()} == {
        "nba_predictions/player_prop_predictions": "0 10 * 1-6,10-12 *",
        "nba_publish/daily_predictions_json": "0 10 * 1-6,10-12 *",
        "nba_raw/player_boxscores": "0 6 * 1-6,10-12 *",
        "nba_predictions/prediction_accuracy": "0 9 * 1-6,10-12 *",
        "nba_predictions/system_daily_performance": "0 9 * 1-6,10-12 *",
    }
    assert {p.timezone for p in policies.values()} == {"America/New_York"}


def test_predictions_deadline_is_configurable(monkeypatch):
    monkeypatch.setenv(PREDICTIONS_DEADLINE_ENV, "11:30")
    policies = _policies(build_definitions("local"))
    predictions = policies["nba_predictions/player_prop_predictions"]
    assert predictions.deadline_cron == "30 11 * 1-6,10-12 *"
    monkeypatch.setenv(PREDICTIONS_DEADLINE_ENV, "noon")
    with pytest.raises(ValueError, match="HH:MM"):
        predictions_deadline()


def test_partition_deadlines():
    game_day = date(2024, 3, 5)
    assert deadline_for("nba_predictions/player_prop_predictions").for_partition(game_day) == \
        datetime(2024, 3, 5, 10, 0, tzinfo=EASTERN)
    assert deadline_for("nba_raw/player_boxscores").for_partition(game_day) == \
        datetime(2024, 3, 6, 6, 0, tzinfo=EASTERN)
    assert deadline_for("nba_predictions/prediction_accuracy").for_partition(game_day) == \
        datetime(2024, 3, 6, 9, 0, tzinfo=EASTERN)
    assert deadline_for("nba_raw/schedule") is None
    assert AssetKey.from_user_string("nba_raw/player_boxscores") == AssetKey(
        ["nba_raw", "player_boxscores"])
