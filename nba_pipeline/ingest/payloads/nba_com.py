"""Pydantic models of stats.nba.com / cdn.nba.com payloads, built against recorded responses."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from nba_pipeline.ingest.payloads.common import PayloadModel

# --- nba.com stats: leaguegamelog (PlayerOrTeam=P) --------------------------------------------

LEAGUEGAMELOG_REQUIRED = (
    "SEASON_ID", "PLAYER_ID", "PLAYER_NAME", "TEAM_ID", "TEAM_ABBREVIATION", "GAME_ID",
    "GAME_DATE", "MATCHUP", "WL", "MIN", "FGM", "FGA", "FG3M", "FG3A", "FTM", "FTA", "OREB",
    "DREB", "REB", "AST", "STL", "BLK", "TOV", "PF", "PTS", "PLUS_MINUS",
)


class ResultSet(PayloadModel):
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


class LeagueGameLogPayload(PayloadModel):
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


class ScheduleTeam(PayloadModel):
    team_id: int = Field(alias="teamId")
    team_tricode: str = Field(alias="teamTricode", min_length=2)
    score: int | None = None


class ScheduleGame(PayloadModel):
    game_id: str = Field(alias="gameId", min_length=10, max_length=10)
    game_status: int = Field(alias="gameStatus")
    game_status_text: str | None = Field(default=None, alias="gameStatusText")
    game_date_est: str = Field(alias="gameDateEst")
    game_date_time_utc: str | None = Field(default=None, alias="gameDateTimeUTC")
    home_team: ScheduleTeam = Field(alias="homeTeam")
    away_team: ScheduleTeam = Field(alias="awayTeam")


class ScheduleGameDate(PayloadModel):
    game_date: str = Field(alias="gameDate")
    games: list[ScheduleGame]


class LeagueSchedule(PayloadModel):
    season_year: str = Field(alias="seasonYear")
    game_dates: list[ScheduleGameDate] = Field(alias="gameDates")


class SchedulePayload(PayloadModel):
    league_schedule: LeagueSchedule = Field(alias="leagueSchedule")


# --- nba.com v3 (stats.nba.com boxscoretraditionalv3) -------------------------------------------


class BoxScoreV3Statistics(PayloadModel):
    minutes: str  # "MM:SS", "" for a player who did not play
    points: int
    field_goals_made: int = Field(alias="fieldGoalsMade")
    three_pointers_made: int = Field(alias="threePointersMade")
    free_throws_made: int = Field(alias="freeThrowsMade")


class BoxScoreV3Player(PayloadModel):
    person_id: int = Field(alias="personId")
    first_name: str = Field(alias="firstName")
    family_name: str = Field(alias="familyName")
    position: str  # non-empty = starter (F/F/C/G/G)
    comment: str
    statistics: BoxScoreV3Statistics

    @property
    def starter(self) -> bool:
        return bool(self.position)


class BoxScoreV3Team(PayloadModel):
    team_id: int = Field(alias="teamId")
    team_tricode: str = Field(alias="teamTricode")
    players: list[BoxScoreV3Player]


class BoxScoreTraditionalV3(PayloadModel):
    game_id: str = Field(alias="gameId", min_length=10, max_length=10)
    home_team: BoxScoreV3Team = Field(alias="homeTeam")
    away_team: BoxScoreV3Team = Field(alias="awayTeam")


class BoxScoreTraditionalV3Payload(PayloadModel):
    box_score: BoxScoreTraditionalV3 = Field(alias="boxScoreTraditional")


class StatsResultSetsPayload(PayloadModel):
    """Any stats.nba.com v2-style response (scoreboardV2, boxscore): named result sets."""

    resource: str
    parameters: dict[str, Any]
    result_sets: list[ResultSet] = Field(alias="resultSets", min_length=1)
