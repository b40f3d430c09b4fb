"""Facts of the NBA calendar every layer shares, in one Dagster-free place."""

from __future__ import annotations

from zoneinfo import ZoneInfo

# A game date is the US/Eastern calendar day of tip-off (partitions, schedules, parsers).
GAME_DATE_TIMEZONE = "America/New_York"
EASTERN = ZoneInfo(GAME_DATE_TIMEZONE)
# The first game date with data (2021-22 opening night): the partitions start here.
GAME_DATE_START = "2021-10-19"
# Run tag naming what launched a run (a schedule's name, "landing_sensor", "automation",
# "backfill"), read by the alerts, `health` and the benchmarks.
TRIGGER_TAG = "nba_pipeline/trigger"
# A player's box-score counts, as nba_raw.player_boxscores stores them.
BOX_SCORE_STATS = ("points", "fgm", "fga", "fg3m", "fg3a", "ftm", "fta", "oreb", "dreb", "reb",
                   "ast", "stl", "blk", "tov", "pf")
# The counts a team game summary sums over its players (team_offense_game_summary).
TEAM_TOTAL_STATS = ("points", "fgm", "fga", "fg3m", "fg3a", "ftm", "fta", "oreb", "dreb", "ast",
                    "tov")
