"""Book spellings meet nba.com's through the real context asset, and the check lists each match."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from dagster import AssetCheckKey, AssetKey, DagsterInstance

from nba_pipeline.defs.analytics.checks import CONTEXT_CHECKS
from nba_pipeline.domain.players import match_line_names, player_lookup
from nba_pipeline.runner import run_range
from nba_pipeline_tests.conftest import build_definitions_for

CONTEXT = AssetKey(["nba_analytics", "upcoming_player_game_context"])


def _metadata_by_day(instance: DagsterInstance, check: str) -> dict[str, dict]:
    """Each game day's result of the check (one per partition since checks report per day)."""
    records = instance.event_log_storage.get_asset_check_execution_history(
        AssetCheckKey(CONTEXT, check), limit=20)
    return {r.partition: {k: v.value for k, v in
                          r.event.dagster_event.event_specific_data.metadata.items()}
            for r in records if r.event is not None}


def test_context_check_lists_auto_matched_book_spellings(copy_home: Path,
                                                         instance: DagsterInstance):
    """On the replayed 2024-03-05..06 lines, one book writes `Murray Dejounte` and
    `K. Caldwell-Pope`: the asset matches them to the nba.com players and the check says so."""
    defs = build_definitions_for(copy_home)
    result = run_range(defs, date(2024, 3, 5), date(2024, 3, 6), selection=[CONTEXT],
                       instance=instance)
    assert result.success, result.failure
    assert "nba_analytics/upcoming_player_game_context:line_players_known" not in (
        result.checks_warned)
    by_day = _metadata_by_day(instance, "line_players_known")
    assert set(by_day) == {"2024-03-05", "2024-03-06"}
    for day, meta in by_day.items():
        assert meta["unknown_players"] == 0 and meta["unknown_names"] == []
        matched = {m["line_name"]: m for m in meta["auto_matched_names"]}
        assert matched["Murray Dejounte"] == {
            "line_name": "Murray Dejounte", "nba_name": "Dejounte Murray", "team_abbr": "ATL",
            "rule": "reordered", "games": 1, "dates": day}
        assert meta["auto_matched"] == sum(m["games"] for m in meta["auto_matched_names"])
    matched = {m["line_name"]: m for meta in by_day.values() for m in meta["auto_matched_names"]}
    assert matched["K. Caldwell-Pope"]["nba_name"] == "Kentavious Caldwell-Pope"
    assert matched["K. Caldwell-Pope"]["rule"] == "first_name"
    assert matched["G. Antetokounmpo"]["nba_name"] == "Giannis Antetokounmpo"  # not Thanasis


def test_check_reports_every_auto_match_and_every_ambiguous_name():
    """`Ron Holland` is matched and listed; `J. Williams` (two OKC Williams) stays unmatched."""
    players = [("DET", "Ronald Holland II"), ("DET", "Cade Cunningham"),
               ("OKC", "Jalen Williams"), ("OKC", "Jaylin Williams")]
    context = pd.DataFrame([{"game_date": pd.Timestamp("2025-11-01"), "team_abbr": t,
                             "player_name": n, "player_lookup": player_lookup(n)}
                            for t, n in players])
    lines = pd.DataFrame([{"game_date": pd.Timestamp("2025-11-01"), "player_name": n,
                           "player_lookup": player_lookup(n), "home_team_abbr": "DET",
                           "away_team_abbr": "OKC"}
                          for n in ("Ron Holland", "J. Williams", "Cade Cunningham")])
    matches = match_line_names(lines, context, set(context["player_lookup"]))
    (check,) = [c for c in CONTEXT_CHECKS if c.name == "line_players_known"]
    out = check.fn(context, {"player_prop_lines": lines, "line_name_matches": matches})
    assert not out.passed
    assert out.metadata["line_players"] == 3 and out.metadata["unknown_players"] == 1
    assert out.metadata["auto_matched_names"] == [{
        "line_name": "Ron Holland", "nba_name": "Ronald Holland II", "team_abbr": "DET",
        "rule": "first_name", "games": 1, "dates": "2025-11-01"}]
    assert out.metadata["unknown_names"] == [{
        "line_name": "J. Williams",
        "reason": "ambiguous (first_name): Jalen Williams, Jaylin Williams",
        "games": 1, "dates": "2025-11-01"}]
