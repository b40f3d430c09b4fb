"""Checks on the analytics tables."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from nba_pipeline.checks.framework import Check, Outcome, duplicate_keys
from nba_pipeline.domain.players import is_normalized


def _lookups_normalized(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    if frame.empty:
        return Outcome(True, {"bad_lookups": 0})
    lookups = pd.Series(frame["player_lookup"].dropna().unique())
    bad = lookups[~lookups.map(is_normalized)]
    return Outcome(len(bad) == 0, {"bad_lookups": len(bad), "sample": list(bad.head(20))})


PLAYER_GAME_SUMMARY_CHECKS = [
    Check("unique_player_game", "One row per (game_id, player_lookup).",
          duplicate_keys(["game_id", "player_lookup"]), blocking=True),
    Check("player_lookup_normalized",
          "Every player_lookup is already in normalized form (lower-case ASCII, no suffix).",
          _lookups_normalized),
]

TEAM_SUMMARY_CHECKS = [
    Check("unique_team_game", "One row per (game_id, team_abbr).",
          duplicate_keys(["game_id", "team_abbr"]), blocking=True),
]

CONTEXT_CHECKS = [
    Check("unique_context_row", "One row per (game_date, player_lookup).",
          duplicate_keys(["game_date", "player_lookup"]), blocking=True),
]


