"""Pydantic models of Ball Don't Lie v1 payloads (games, box scores, stats)."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import Field

from nba_pipeline.ingest.payloads.common import PayloadModel

# --- Ball Don't Lie v1 -------------------------------------------------------------------------


class BdlMeta(PayloadModel):
    next_cursor: int | None = None
    per_page: int | None = None


class BdlMetaPage(PayloadModel):
    """Any cursor-paged Ball Don't Lie list: `data` rows and `meta.next_cursor`."""

    data: list[dict[str, Any]]
    meta: BdlMeta | None = None


class BdlTeam(PayloadModel):
    id: int
    abbreviation: str = Field(min_length=2)
    full_name: str | None = None


TeamT = TypeVar("TeamT", bound=BdlTeam)


class BdlGameSides(PayloadModel, Generic[TeamT]):
    """What every Ball Don't Lie game carries; the team type differs by endpoint (box scores
    nest the players in it)."""

    date: str  # the US-Eastern game date, "2025-02-20"
    season: int
    status: str  # "Final", a quarter ("2nd Qtr") or the tip time for a game not started
    postseason: bool
    home_team_score: int | None = None
    visitor_team_score: int | None = None
    home_team: TeamT
    visitor_team: TeamT


class BdlGame(BdlGameSides[BdlTeam]):
    id: int
    period: int | None = None
    datetime: str | None = None


class BdlGamesPayload(PayloadModel):
    data: list[BdlGame]
    meta: BdlMeta | None = None


class BdlPlayer(PayloadModel):
    id: int
    first_name: str
    last_name: str


class BdlPlayerLine(PayloadModel):
    min: str | None = None  # "28" or "28:14"; None or "00" when the player did not play
    fgm: int | None = None
    fga: int | None = None
    fg3m: int | None = None
    fg3a: int | None = None
    ftm: int | None = None
    fta: int | None = None
    oreb: int | None = None
    dreb: int | None = None
    reb: int | None = None
    ast: int | None = None
    stl: int | None = None
    blk: int | None = None
    turnover: int | None = None
    pf: int | None = None
    pts: int | None = None
    player: BdlPlayer


class BdlBoxTeam(BdlTeam):
    players: list[BdlPlayerLine]


class BdlBoxScoreGame(BdlGameSides[BdlBoxTeam]):
    """A game of `/v1/box_scores`: no id (see ingest/parsers/common.py on game codes)."""


class BdlBoxScoresPayload(PayloadModel):
    data: list[BdlBoxScoreGame]
    meta: BdlMeta | None = None


class BdlStatGame(PayloadModel):
    id: int
    date: str
    home_team_id: int
    visitor_team_id: int


class BdlStatLine(BdlPlayerLine):
    id: int
    team: BdlTeam
    game: BdlStatGame


class BdlStatsPayload(PayloadModel):
    """`/v1/stats`: one row per player per game, cursor-paged."""

    data: list[BdlStatLine]
    meta: BdlMeta | None = None


class BdlInjuryPlayer(PayloadModel):
    id: int
    first_name: str
    last_name: str
    team_id: int


class BdlInjury(PayloadModel):
    player: BdlInjuryPlayer
    status: str = Field(min_length=1)  # "Out", "Day-To-Day", ...
    return_date: str | None = None
    description: str | None = None


class BdlInjuriesPayload(PayloadModel):
    """`/v1/player_injuries`: the players currently injured (no game date), cursor-paged."""

    data: list[BdlInjury]
    meta: BdlMeta | None = None
