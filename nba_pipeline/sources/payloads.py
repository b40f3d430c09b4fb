"""Pydantic models of the live APIs' payloads, built against recorded responses.

A payload that does not fit is never half-parsed: `validate_payload` raises `PayloadError`
naming the source, endpoint, game date, landing key and the field that broke.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    ValidationError,
    field_validator,
    model_validator,
)


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


class OddsEvent(_Model):
    """One event of an events list. Validated one by one (`valid_events`), so one bad event
    (`commence_time: "TBD"`) is skipped and reported while the others are fetched."""

    id: str = Field(min_length=1)
    sport_key: str
    commence_time: str
    home_team: str
    away_team: str

    @field_validator("commence_time")
    @classmethod
    def _is_a_zoned_time(cls, value: str) -> str:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("not an ISO 8601 time") from None
        if moment.tzinfo is None:
            raise ValueError("an ISO 8601 time without a zone")
        return value

    @property
    def tip_off(self) -> datetime:
        return datetime.fromisoformat(self.commence_time.replace("Z", "+00:00"))


def valid_events(items: list[Any]) -> tuple[list[OddsEvent], list[str]]:
    """The items that are valid events, and for each other item why it was skipped."""
    events: list[OddsEvent] = []
    skipped: list[str] = []
    for index, item in enumerate(items):
        try:
            events.append(OddsEvent.model_validate(item))
        except ValidationError as exc:
            raw_id = item.get("id") if isinstance(item, dict) else None
            name = repr(raw_id)[:40] if isinstance(raw_id, str) else f"#{index}"
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "<root>"
            if first["type"] == "missing":
                why = f"field '{where}' missing"
            else:
                detail = first["msg"].removeprefix("Value error, ")
                why = f"field '{where}': {detail} (got {repr(first['input'])[:40]})"
            skipped.append(f"event {name} skipped: {why}")
    return events, skipped


class OddsEventsPayload(RootModel[list[Any]]):
    """`/v4/sports/{sport}/events`: a bare JSON list of events (each checked by `valid_events`)."""


class HistoricalEventsPayload(_Model):
    """`/v4/historical/sports/{sport}/events`: a snapshot envelope around the events list."""

    timestamp: str
    previous_timestamp: str | None = None
    next_timestamp: str | None = None
    data: list[Any]  # each item checked by `valid_events`


class HistoricalEventOddsPayload(_Model):
    """`/v4/historical/sports/{sport}/events/{id}/odds?markets=player_points` envelope."""

    timestamp: str
    previous_timestamp: str | None = None
    next_timestamp: str | None = None
    data: EventOddsPayload


class AnyOddsOutcome(_Model):
    name: str
    price: float
    description: str | None = None
    point: float | None = None


class AnyOddsMarket(_Model):
    key: str
    last_update: str | None = None
    outcomes: list[AnyOddsOutcome]


class AnyOddsBookmaker(_Model):
    key: str
    title: str | None = None
    markets: list[AnyOddsMarket]


class AnyEventOdds(_Model):
    """Event odds for any market (game lines have no `description`/`point` on h2h outcomes)."""

    id: str = Field(min_length=1)
    sport_key: str
    commence_time: str
    home_team: str
    away_team: str
    bookmakers: list[AnyOddsBookmaker]


class HistoricalAnyEventOddsPayload(_Model):
    timestamp: str
    data: AnyEventOdds


# --- nba.com v3 (stats.nba.com scoreboardv3 / boxscoretraditionalv3) ----------------------------


class V3Team(_Model):
    team_id: int = Field(alias="teamId")
    team_tricode: str = Field(alias="teamTricode", min_length=2)
    score: int | None = None


class ScoreboardV3Game(_Model):
    game_id: str = Field(alias="gameId", min_length=10, max_length=10)
    game_status: int = Field(alias="gameStatus")
    game_status_text: str | None = Field(default=None, alias="gameStatusText")
    game_time_utc: str | None = Field(default=None, alias="gameTimeUTC")
    home_team: V3Team = Field(alias="homeTeam")
    away_team: V3Team = Field(alias="awayTeam")


class ScoreboardV3(_Model):
    game_date: str = Field(alias="gameDate")
    games: list[ScoreboardV3Game]


class ScoreboardV3Payload(_Model):
    scoreboard: ScoreboardV3


class BoxScoreV3Statistics(_Model):
    minutes: str  # "MM:SS", "" for a player who did not play
    points: int
    field_goals_made: int = Field(alias="fieldGoalsMade")
    three_pointers_made: int = Field(alias="threePointersMade")
    free_throws_made: int = Field(alias="freeThrowsMade")


class BoxScoreV3Player(_Model):
    person_id: int = Field(alias="personId")
    first_name: str = Field(alias="firstName")
    family_name: str = Field(alias="familyName")
    position: str  # non-empty = starter (F/F/C/G/G)
    comment: str
    statistics: BoxScoreV3Statistics

    @property
    def starter(self) -> bool:
        return bool(self.position)


class BoxScoreV3Team(_Model):
    team_id: int = Field(alias="teamId")
    team_tricode: str = Field(alias="teamTricode")
    players: list[BoxScoreV3Player]


class BoxScoreTraditionalV3(_Model):
    game_id: str = Field(alias="gameId", min_length=10, max_length=10)
    home_team: BoxScoreV3Team = Field(alias="homeTeam")
    away_team: BoxScoreV3Team = Field(alias="awayTeam")


class BoxScoreTraditionalV3Payload(_Model):
    box_score: BoxScoreTraditionalV3 = Field(alias="boxScoreTraditional")


class StatsResultSetsPayload(_Model):
    """Any stats.nba.com v2-style response (scoreboardV2, boxscore): named result sets."""

    resource: str
    parameters: dict[str, Any]
    result_sets: list[ResultSet] = Field(alias="resultSets", min_length=1)


# --- ESPN site API scoreboard ------------------------------------------------------------------


class EspnTeam(_Model):
    id: str
    abbreviation: str = Field(min_length=2)
    display_name: str | None = Field(default=None, alias="displayName")


class EspnCompetitor(_Model):
    home_away: Literal["home", "away"] = Field(alias="homeAway")
    score: str | None = None
    team: EspnTeam


class EspnCompetition(_Model):
    id: str
    date: str
    competitors: list[EspnCompetitor] = Field(min_length=2, max_length=2)


class EspnStatusType(_Model):
    name: str
    state: str
    completed: bool
    description: str | None = None


class EspnStatus(_Model):
    type: EspnStatusType


class EspnSeason(_Model):
    year: int
    type: int


class EspnEvent(_Model):
    id: str = Field(min_length=1)
    date: str  # UTC, "2024-01-15T18:00Z"
    season: EspnSeason
    competitions: list[EspnCompetition] = Field(min_length=1)
    status: EspnStatus


class EspnScoreboardPayload(_Model):
    events: list[EspnEvent]


# --- Ball Don't Lie v1 -------------------------------------------------------------------------


class BdlMeta(_Model):
    next_cursor: int | None = None
    per_page: int | None = None


class BdlMetaPage(_Model):
    """Any cursor-paged Ball Don't Lie list: `data` rows and `meta.next_cursor`."""

    data: list[dict[str, Any]]
    meta: BdlMeta | None = None


class BdlTeam(_Model):
    id: int
    abbreviation: str = Field(min_length=2)
    full_name: str | None = None


class BdlGame(_Model):
    id: int
    date: str  # the US-Eastern game date, "2025-02-20"
    season: int
    status: str  # "Final", a quarter ("2nd Qtr") or the tip time for a game not started
    period: int | None = None
    postseason: bool
    home_team_score: int | None = None
    visitor_team_score: int | None = None
    datetime: str | None = None
    home_team: BdlTeam
    visitor_team: BdlTeam


class BdlGamesPayload(_Model):
    data: list[BdlGame]
    meta: BdlMeta | None = None


class BdlPlayer(_Model):
    id: int
    first_name: str
    last_name: str


class BdlPlayerLine(_Model):
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


class BdlBoxScoreGame(_Model):
    date: str
    season: int
    status: str
    postseason: bool
    home_team_score: int | None = None
    visitor_team_score: int | None = None
    home_team: BdlBoxTeam
    visitor_team: BdlBoxTeam


class BdlBoxScoresPayload(_Model):
    data: list[BdlBoxScoreGame]
    meta: BdlMeta | None = None


class BdlStatGame(_Model):
    id: int
    date: str
    home_team_id: int
    visitor_team_id: int


class BdlStatLine(BdlPlayerLine):
    id: int
    team: BdlTeam
    game: BdlStatGame


class BdlStatsPayload(_Model):
    """`/v1/stats`: one row per player per game, cursor-paged."""

    data: list[BdlStatLine]
    meta: BdlMeta | None = None


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
        detail = first["msg"].removeprefix("Value error, ")
        raise PayloadError(source, endpoint, game_date, key, f"field '{where}': {detail}") from None
