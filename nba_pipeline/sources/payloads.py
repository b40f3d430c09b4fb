"""Pydantic models of the live APIs' payloads, built against recorded responses.

A payload that does not fit is never half-parsed: `validate_payload` raises `PayloadError`
naming the source, endpoint, game date, landing key and the field that broke.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class PayloadError(ValueError):
    """A landed payload could not be parsed. The file stays in the landing store."""

    def __init__(self, source: str, endpoint: str, game_date: date, key: str, detail: str):
        self.source, self.endpoint, self.game_date, self.key = source, endpoint, game_date, key
        super().__init__(
            f"{source}/{endpoint} payload for {game_date.isoformat()} is invalid: {detail} "
            f"(kept in the landing store at {key})"
        )


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


# --- nba.com stats: leaguegamelog (PlayerOrTeam=P) --------------------------------------------

LEAGUEGAMELOG_REQUIRED = (
    "SEASON_ID", "PLAYER_ID", "PLAYER_NAME", "TEAM_ID", "TEAM_ABBREVIATION", "GAME_ID",
    "GAME_DATE", "MATCHUP", "WL", "MIN", "FGM", "FGA", "FG3M", "FG3A", "FTM", "FTA", "OREB",
    "DREB", "REB", "AST", "STL", "BLK", "TOV", "PF", "PTS", "PLUS_MINUS",
)


class ResultSet(_Model):
    name: str
    headers: list[str]
    row_set: list[list[Any]] = Field(alias="rowSet")

    @model_validator(mode="after")
    def _rows_match_headers(self) -> ResultSet:
        width = len(self.headers)
        for i, row in enumerate(self.row_set):
            if len(row) != width:
                raise ValueError(f"rowSet[{i}] has {len(row)} values for {width} headers")
        return self


class LeagueGameLogPayload(_Model):
    resource: str
    parameters: dict[str, Any]
    result_sets: list[ResultSet] = Field(alias="resultSets", min_length=1)

    @model_validator(mode="after")
    def _has_required_headers(self) -> LeagueGameLogPayload:
        missing = [h for h in LEAGUEGAMELOG_REQUIRED if h not in self.result_sets[0].headers]
        if missing:
            raise ValueError(f"resultSets[0].headers lacks {missing}")
        return self

    def records(self) -> list[dict[str, Any]]:
        rs = self.result_sets[0]
        return [dict(zip(rs.headers, row, strict=True)) for row in rs.row_set]


# --- nba.com schedule (scheduleleaguev2 shape) ------------------------------------------------


class ScheduleTeam(_Model):
    team_id: int = Field(alias="teamId")
    team_tricode: str = Field(alias="teamTricode", min_length=2)
    score: int | None = None


class ScheduleGame(_Model):
    game_id: str = Field(alias="gameId", min_length=10, max_length=10)
    game_status: int = Field(alias="gameStatus")
    game_status_text: str | None = Field(default=None, alias="gameStatusText")
    game_date_est: str = Field(alias="gameDateEst")
    game_date_time_utc: str | None = Field(default=None, alias="gameDateTimeUTC")
    home_team: ScheduleTeam = Field(alias="homeTeam")
    away_team: ScheduleTeam = Field(alias="awayTeam")


class ScheduleGameDate(_Model):
    game_date: str = Field(alias="gameDate")
    games: list[ScheduleGame]


class LeagueSchedule(_Model):
    season_year: str = Field(alias="seasonYear")
    game_dates: list[ScheduleGameDate] = Field(alias="gameDates")


class SchedulePayload(_Model):
    league_schedule: LeagueSchedule = Field(alias="leagueSchedule")


# --- The Odds API v4: event odds, market player_points ----------------------------------------


class OddsOutcome(_Model):
    name: str
    description: str = Field(min_length=1)
    price: float
    point: float


class OddsMarket(_Model):
    key: str
    last_update: str | None = None
    outcomes: list[OddsOutcome]


class OddsBookmaker(_Model):
    key: str
    title: str | None = None
    markets: list[OddsMarket]


class EventOddsPayload(_Model):
    id: str = Field(min_length=1)
    sport_key: str
    commence_time: str
    home_team: str
    away_team: str
    bookmakers: list[OddsBookmaker]


M = TypeVar("M", bound=BaseModel)


def validate_payload(
    model: type[M], body: bytes, *, source: str, endpoint: str, game_date: date, key: str
) -> M:
    """Decode and validate one body, or raise PayloadError saying which field broke."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(source, endpoint, game_date, key, f"malformed JSON ({exc})") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "<root>"
        raise PayloadError(
            source, endpoint, game_date, key, f"field '{where}': {first['msg']}"
        ) from None
