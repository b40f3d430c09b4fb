"""Small slices of the recorded real data, replayed through the pipeline's parsers once per run.

Shared by the analytics, feature and model tests (cached: the slices are read-only; tests that
change data copy first). Built with the domain functions the assets call (no Dagster run: these
tests probe the functions themselves; the assets' own output is tested in nba_pipeline_tests/ml).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import pandas as pd

from nba_pipeline.domain import analytics
from nba_pipeline.domain.game_lines import consensus_lines
from nba_pipeline.features.feature_store import build_feature_rows
from nba_pipeline.ingest.endpoints import parse_landed
from nba_pipeline.ingest.parsers.game_lines import CLOSING_ENDPOINT, CLOSING_SOURCE
from nba_pipeline.sources import recorded
from nba_pipeline.storage.schema import conform

# Mid-season history, then the first fortnight of the points lines (2024-03-02..).
SLICE_START = date(2023, 12, 1)
SLICE_END = date(2024, 3, 17)


@dataclass
class Tables:
    """The analytics and feature tables over a date range, as the assets compute them."""

    player_game_summary: pd.DataFrame
    team_offense: pd.DataFrame
    team_defense: pd.DataFrame
    context: pd.DataFrame
    features: pd.DataFrame
    game_lines: pd.DataFrame


def replayed_raw(start: date, end: date, root: Path | None = None) -> dict[str, pd.DataFrame]:
    """Raw tables for start..end (inclusive) from the recorded data, via the live parsers."""
    root = root or recorded.data_dir()
    frames: dict[str, list[pd.DataFrame]] = {"schedule": [], "boxscores": [], "lines": [],
                                             "game_line_books": []}
    day = start
    while day <= end:
        key = f"replay/{day.isoformat()}"
        frames["schedule"].append(
            parse_landed("nba_com", "schedule", recorded.schedule_body(root, day), day, key))
        frames["boxscores"].append(parse_landed(
            "nba_com", "leaguegamelog", recorded.leaguegamelog_body(root, day), day, key))
        for _, body in recorded.event_odds_bodies(root, day):
            frames["lines"].append(
                parse_landed("odds_api", "event_odds_player_points", body, day, key))
        frames["game_line_books"].append(parse_landed(
            CLOSING_SOURCE, CLOSING_ENDPOINT, recorded.closing_lines_body(root, day), day, key))
        day += timedelta(days=1)
    tables = {"schedule": "nba_raw.schedule", "boxscores": "nba_raw.player_boxscores",
              "lines": "nba_raw.player_prop_lines"}
    out = {}
    for name, table in tables.items():
        parts = [f for f in frames[name] if len(f)]
        out[name] = conform(pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(),
                            table, allow_missing=not parts)
    books = [f for f in frames["game_line_books"] if len(f)]
    lines, _ = consensus_lines(pd.concat(books, ignore_index=True) if books else pd.DataFrame(),
                               out["schedule"])
    out["game_lines"] = conform(lines, "nba_raw.game_lines", allow_missing=lines.empty)
    return out


def build_tables(raw: dict[str, pd.DataFrame], start: date, end: date) -> Tables:
    """Analytics then features for start..end, each date's features from games before it."""
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    pgs = analytics.player_game_summary(raw["boxscores"], raw["lines"], lo, hi)
    offense = analytics.team_offense_summary(pgs)
    defense = analytics.team_defense_summary(offense)
    context = analytics.upcoming_player_game_context(raw["schedule"], pgs, raw["lines"])
    features = build_feature_rows(context, pgs, offense, defense,
                                  created_at=pd.Timestamp.now(tz="UTC"),
                                  game_lines=raw["game_lines"])
    return Tables(pgs, offense, defense, context, features, raw["game_lines"])


@cache
def real_raw(start: date = SLICE_START, end: date = SLICE_END) -> dict[str, pd.DataFrame]:
    return replayed_raw(start, end)


@cache
def real_tables(start: date = SLICE_START, end: date = SLICE_END) -> Tables:
    return build_tables(real_raw(start, end), start, end)


def copy_raw(start: date = SLICE_START, end: date = SLICE_END) -> dict[str, pd.DataFrame]:
    return {k: v.copy() for k, v in real_raw(start, end).items()}
