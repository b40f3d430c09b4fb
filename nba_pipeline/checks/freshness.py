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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from dagster import AssetKey, AssetsDefinition, AssetSpec, FreshnessPolicy, apply_freshness_policy

from nba_pipeline.constants import EASTERN, GAME_DATE_TIMEZONE

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
        return f"{self.at.minute} {self.at.hour} * * *"

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


def deadlines() -> list[Deadline]:
    return [
        Deadline("predictions", ("nba_predictions/player_prop_predictions",
                                 "nba_publish/daily_predictions_json"),
                 predictions_deadline(), 0, "before the first tip-off of the game day"),
        Deadline("box_scores", ("nba_raw/player_boxscores",), time(6, 0), 1,
                 "the morning after the games"),
        Deadline("grading", ("nba_predictions/prediction_accuracy",
                             "nba_predictions/system_daily_performance"), time(9, 0), 1,
                 "graded the morning after the games"),
    ]


def deadline_for(asset: str) -> Deadline | None:
    """The deadline that applies to `asset` ('dataset/table'), if any."""
    return next((d for d in deadlines() if asset in d.assets), None)


def with_freshness(assets: Sequence[Any]) -> list[Any]:
    """The same assets, with each deadline's `FreshnessPolicy.cron` attached to its specs."""
    policies = {AssetKey.from_user_string(a): d.policy() for d in deadlines() for a in d.assets}

    def attach(spec: AssetSpec) -> AssetSpec:
        policy = policies.get(spec.key)
        return apply_freshness_policy(spec, policy) if policy else spec

    return [a.map_asset_specs(attach) if isinstance(a, AssetsDefinition) else a for a in assets]
