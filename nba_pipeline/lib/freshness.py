"""Freshness deadlines, set in one place: when each table's game-date partition must exist.

| what | partition | deadline (US/Eastern) |
|---|---|---|
| predictions (and the published JSON) | game day D | D at 10:00, before the first tip-off (*) |
| box scores | game day D | D+1 at 06:00 |
| grading (accuracy, daily performance) | game day D | D+1 at 09:00 |

(*) configurable: `NBA_PIPELINE_PREDICTIONS_DEADLINE=HH:MM`.

Two views of the same deadlines: a `FreshnessPolicy.cron` on each asset (Dagster's freshness
daemon evaluates it and the UI shows the asset's freshness state), and `deadline_for()`, which
`nba-pipeline health` uses to say, per partition, whether it landed before its deadline.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from dagster import AssetSpec, FreshnessPolicy, apply_freshness_policy

from nba_pipeline.constants import EASTERN, GAME_DATE_TIMEZONE
from nba_pipeline.tables import TABLES

PREDICTIONS_DEADLINE_ENV = "NBA_PIPELINE_PREDICTIONS_DEADLINE"
DEFAULT_PREDICTIONS_DEADLINE = "10:00"
# A materialization older than this before the deadline belongs to an earlier day.
LOWER_BOUND = timedelta(hours=12)


@dataclass(frozen=True)
class Deadline:
    """Partition D of `assets` must exist by `at` (US/Eastern) on D + `days_after`."""

    name: str
    assets: tuple[str, ...]
    at: time
    days_after: int
    why: str

    @property
    def cron(self) -> str:
        # Game-day months only: July to September hold no partition to be late (partitions.py).
        return f"{self.at.minute} {self.at.hour} * 1-6,10-12 *"

    def for_partition(self, game_date: date) -> datetime:
        return datetime.combine(game_date + timedelta(days=self.days_after), self.at, EASTERN)

    def policy(self) -> Any:
        return FreshnessPolicy.cron(deadline_cron=self.cron, lower_bound_delta=LOWER_BOUND,
                                    timezone=GAME_DATE_TIMEZONE)


def predictions_deadline() -> time:
    """The configured predictions deadline (HH:MM, US/Eastern), default 10:00."""
    raw = os.environ.get(PREDICTIONS_DEADLINE_ENV, DEFAULT_PREDICTIONS_DEADLINE)
    try:
        return time.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{PREDICTIONS_DEADLINE_ENV}={raw!r} is not HH:MM") from None


def _tables_due(name: str) -> tuple[str, ...]:
    return tuple(t.user_string for t in TABLES.values() if t.deadline == name)


def deadlines() -> list[Deadline]:
    """Each deadline and the tables that answer to it (their `deadline` in tables.py)."""
    return [
        Deadline("predictions", _tables_due("predictions"), predictions_deadline(), 0,
                 "before the first tip-off of the game day"),
        Deadline("box_scores", _tables_due("box_scores"), time(6, 0), 1,
                 "the morning after the games"),
        Deadline("grading", _tables_due("grading"), time(9, 0), 1,
                 "graded the morning after the games"),
    ]


def deadline_for(asset: str) -> Deadline | None:
    """The deadline that applies to `asset` ('dataset/table'), if any."""
    return next((d for d in deadlines() if asset in d.assets), None)


def with_freshness(spec: AssetSpec) -> AssetSpec:
    """`spec` with its deadline's `FreshnessPolicy.cron` attached, if it has one."""
    deadline = deadline_for(spec.key.to_user_string())
    return apply_freshness_policy(spec, deadline.policy()) if deadline else spec
