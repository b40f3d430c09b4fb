"""The replay source: recorded real payloads served through the live interface, offline."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from nba_pipeline.ingest.endpoints import (
    CLOSING_GAME_LINES,
    NBA_COM_INJURY_REPORT,
    NBA_COM_LEAGUEGAMELOG,
    NBA_COM_SCHEDULE,
    ODDS_EVENT_ODDS,
    Endpoint,
)
from nba_pipeline.ingest.parsers.nba_com import gamelog_name
from nba_pipeline.sources import recorded
from nba_pipeline.sources.base import NbaDataSource, Payload


class ReplaySource(NbaDataSource):
    """Serves ../shared/data (or `data_dir`) as nba.com and The Odds API would have."""

    data_dir: str | None = None
    box_score_glob: str = recorded.BOX_SCORE_GLOB
    team_log_glob: str = recorded.TEAM_LOG_GLOB
    points_lines_glob: str = recorded.POINTS_LINES_GLOB
    # Recorded nba.com season schedules; "" serves every schedule from the team game logs.
    schedule_api_glob: str = recorded.SCHEDULE_API_GLOB
    game_lines_glob: str = recorded.GAME_LINES_GLOB
    # Replay has no history of injury reports: dates without a recorded PDF get none.
    injury_report_glob: str = recorded.INJURY_REPORT_GLOB

    @property
    def root(self) -> Path:
        return Path(self.data_dir) if self.data_dir else recorded.data_dir()

    def fetch_schedule(self, game_date: date) -> list[Payload]:
        body = recorded.schedule_body(
            self.root, game_date, self.team_log_glob, self.points_lines_glob,
            self.schedule_api_glob, self.box_score_glob)
        payload = self._payload(NBA_COM_SCHEDULE, game_date, "schedule.json", body,
                                "replay://nba_com/scheduleleaguev2")
        unplayed = ([] if game_date in recorded.recorded_schedule(
            self.root, self.schedule_api_glob)[0] else recorded.unplayed_games(
            self.root, game_date, self.team_log_glob, self.box_score_glob))
        if unplayed:  # served as not yet played: no recording has their box scores
            payload.metadata["unplayed_no_recorded_box_scores"] = ",".join(unplayed)
        return [payload]

    def fetch_boxscores(self, game_date: date) -> list[Payload]:
        """One payload per `SeasonType` call, named as the live client names them."""
        return [
            self._payload(NBA_COM_LEAGUEGAMELOG, game_date, gamelog_name(season_type),
                          recorded.leaguegamelog_body(self.root, game_date,
                                                      self.box_score_glob, season_type),
                          "replay://stats.nba.com/stats/leaguegamelog")
            for season_type in recorded.recorded_season_types(
                self.root, game_date, self.box_score_glob)
        ]

    def fetch_player_points_odds(self, game_date: date) -> list[Payload]:
        return [
            self._payload(ODDS_EVENT_ODDS, game_date,
                          f"{event_id}.json", body,
                          f"replay://odds_api/v4/sports/basketball_nba/events/{event_id}/odds")
            for event_id, body in recorded.event_odds_bodies(
                self.root, game_date, self.points_lines_glob
            )
        ]

    def fetch_game_lines(self, game_date: date) -> list[Payload]:
        body = recorded.closing_lines_body(self.root, game_date, self.game_lines_glob)
        return [self._payload(CLOSING_GAME_LINES, game_date, "game_lines.json", body,
                              "replay://closing_lines/game_lines")]

    def fetch_injury_report(self, game_date: date) -> list[Payload]:
        """The recorded report PDFs of the date, fetched at their report time; an empty
        report set for every other date (the raw table says "no report recorded")."""
        return [
            Payload(NBA_COM_INJURY_REPORT.source, NBA_COM_INJURY_REPORT.endpoint, game_date,
                    reported, path.name, path.read_bytes(),
                    f"replay://nba_com/injury_report/{path.name}", {"mode": "replay"})
            for path, reported in recorded.injury_reports(self.root, self.injury_report_glob
                                                          ).get(game_date, [])]

    @staticmethod
    def _payload(spec: Endpoint, game_date: date, name: str, body: bytes, url: str) -> Payload:
        return Payload(spec.source, spec.endpoint, game_date,
                       recorded.replay_fetched_at(game_date, spec.endpoint), name, body, url,
                       {"mode": "replay"})
