"""Facts of the NBA calendar every layer shares, in one Dagster-free place."""

from __future__ import annotations

import os
from zoneinfo import ZoneInfo

# A game date is the US/Eastern calendar day of tip-off (partitions, schedules, parsers).
GAME_DATE_TIMEZONE = "America/New_York"
EASTERN = ZoneInfo(GAME_DATE_TIMEZONE)
# The first game date with data (2021-22 opening night): the partitions start here.
GAME_DATE_START = "2021-10-19"
# Run tag naming what launched a run (a schedule's name, "landing_sensor", "automation",
# "backfill"), read by the alerts, `health` and the benchmarks.
TRIGGER_TAG = "nba_pipeline/trigger"
# How often the landing and automation sensors tick (seconds). 30 in production; the daemon
# tests lower it (NBA_PIPELINE_SENSOR_INTERVAL_SECONDS, read when the code location loads) so
# a day through the real daemon does not spend most of its time waiting for ticks.
SENSOR_INTERVAL_SECONDS = int(os.environ.get("NBA_PIPELINE_SENSOR_INTERVAL_SECONDS") or 30)
# A player's box-score counts, as nba_raw.player_boxscores stores them.
BOX_SCORE_STATS = ("points", "fgm", "fga", "fg3m", "fg3a", "ftm", "fta", "oreb", "dreb", "reb",
                   "ast", "stl", "blk", "tov", "pf")
# The counts a team game summary sums over its players (team_offense_game_summary).
TEAM_TOTAL_STATS = ("points", "fgm", "fga", "fg3m", "fg3a", "ftm", "fta", "oreb", "dreb", "ast",
                    "tov")
# Points lines: books price nobody under half a point and the highest modern lines are in the
# 40s; 80 leaves room for any real line while a 999.5 or a 0 (placeholder, parse slip) fails.
MIN_LINE, MAX_LINE = 0.5, 80.0
