"""Pydantic models of the ESPN site API scoreboard."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from nba_pipeline.ingest.payloads.common import PayloadModel

# --- ESPN site API scoreboard ------------------------------------------------------------------


class EspnTeam(PayloadModel):
    id: str
    abbreviation: str = Field(min_length=2)
    display_name: str | None = Field(default=None, alias="displayName")


class EspnCompetitor(PayloadModel):
    home_away: Literal["home", "away"] = Field(alias="homeAway")
    score: str | None = None
    team: EspnTeam


class EspnCompetition(PayloadModel):
    id: str
    date: str
    competitors: list[EspnCompetitor] = Field(min_length=2, max_length=2)


class EspnStatusType(PayloadModel):
    name: str
    state: str
    completed: bool
    description: str | None = None


class EspnStatus(PayloadModel):
    type: EspnStatusType


class EspnSeason(PayloadModel):
    year: int
    type: int


class EspnEvent(PayloadModel):
    id: str = Field(min_length=1)
    date: str  # UTC, "2024-01-15T18:00Z"
    season: EspnSeason
    competitions: list[EspnCompetition] = Field(min_length=1)
    status: EspnStatus


class EspnScoreboardPayload(PayloadModel):
    events: list[EspnEvent]
