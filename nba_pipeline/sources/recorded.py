"""Recorded real data (../shared/data) re-served in the live APIs' payload shapes.

Plain pandas; no Dagster. Files are found by glob pattern, so more seasons in the same shapes
are picked up without code changes. Each file is read once per process.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from nba_pipeline import paths
from nba_pipeline.domain.teams import BY_TRICODE, tricode_for_name

EASTERN = ZoneInfo("America/New_York")
BOX_SCORE_GLOB = "box_scores/player_logs_*.csv.gz"
TEAM_LOG_GLOB = "team_game_logs/*.csv.gz"
POINTS_LINES_GLOB = "prop_lines/oddsapi_props_player_points_*.csv.gz"

BOOK_TITLES = {
    "betmgm": "BetMGM", "betonlineag": "BetOnline.ag", "betrivers": "BetRivers",
    "bovada": "Bovada", "draftkings": "DraftKings", "fanduel": "FanDuel",
    "mybookieag": "MyBookie.ag", "pointsbetus": "PointsBet (US)", "unibet_us": "Unibet",
    "williamhill_us": "Caesars",
}


def data_dir() -> Path:
    return paths.recorded_data_dir()


def _files(root: Path, pattern: str) -> tuple[Path, ...]:
    files = tuple(sorted(root.glob(pattern)))
    if not files:
        raise FileNotFoundError(
            f"no recorded files match {pattern!r} under {root}; set NBA_PIPELINE_DATA_DIR"
        )
    return files


@cache
def _read_csvs(files: tuple[Path, ...]) -> pd.DataFrame:
    return pd.concat(
        [pd.read_csv(f, dtype={"GAME_ID": str, "event_id": str}) for f in files],
        ignore_index=True,
    )


def box_scores(root: Path, pattern: str = BOX_SCORE_GLOB) -> pd.DataFrame:
    return _by_date(_files(root, pattern), "GAME_DATE")


def team_logs(root: Path, pattern: str = TEAM_LOG_GLOB) -> pd.DataFrame:
    return _by_date(_files(root, pattern), "GAME_DATE")


@cache
def _by_date(files: tuple[Path, ...], column: str) -> pd.DataFrame:
    frame = _read_csvs(files).copy()
    frame["_date"] = pd.to_datetime(frame[column]).dt.date
    return frame.set_index("_date").sort_index()


@cache
def points_lines(root: Path, pattern: str = POINTS_LINES_GLOB) -> pd.DataFrame:
    frame = _read_csvs(_files(root, pattern)).copy()
    commence = pd.to_datetime(frame["commence_time"], utc=True)
    frame["_date"] = commence.dt.tz_convert(EASTERN).dt.date
    frame["_snapshot_date"] = pd.to_datetime(
        frame["snapshot_file"].str.extract(r"(\d{4}-\d{2}-\d{2})")[0]
    ).dt.date
    return frame.set_index("_date").sort_index()


def _rows_on(frame: pd.DataFrame, game_date: date) -> pd.DataFrame:
    if game_date not in frame.index:
        return frame.iloc[0:0]
    return frame.loc[[game_date]]


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def replay_fetched_at(game_date: date, endpoint: str) -> datetime:
    """Deterministic fetch times, so replaying a day twice lands the same keys.

    Schedule and lines at 09:00 ET on the day; box scores at 06:00 ET the morning after.
    """
    if endpoint == "leaguegamelog":
        local = datetime.combine(game_date + timedelta(days=1), time(6, 0), EASTERN)
    else:
        local = datetime.combine(game_date, time(9, 0), EASTERN)
    return local.astimezone(timezone.utc)


def leaguegamelog_body(root: Path, game_date: date, pattern: str = BOX_SCORE_GLOB) -> bytes:
    rows = _rows_on(box_scores(root, pattern), game_date)
    headers = [c for c in rows.columns if c != "SEASON_LABEL"]
    season = str(rows["SEASON_LABEL"].iloc[0]) if len(rows) else ""
    body = {
        "resource": "leaguegamelog",
        "parameters": {
            "LeagueID": "00", "Season": season, "SeasonType": "Regular Season",
            "PlayerOrTeam": "P", "DateFrom": game_date.isoformat(),
            "DateTo": game_date.isoformat(),
        },
        "resultSets": [{
            "name": "LeagueGameLog",
            "headers": headers,
            "rowSet": [[_clean(v) for v in row] for row in rows[headers].itertuples(index=False)],
        }],
    }
    return json.dumps(body).encode()


def schedule_body(root: Path, game_date: date, team_pattern: str = TEAM_LOG_GLOB,
                  lines_pattern: str = POINTS_LINES_GLOB) -> bytes:
    """One day of the nba.com `scheduleleaguev2` shape, from regular-season team game logs."""
    rows = _rows_on(team_logs(root, team_pattern), game_date)
    rows = rows[rows["GAME_ID"].str.startswith("002")]
    tipoffs = _tipoffs(root, game_date, lines_pattern)
    games = []
    for game_id, game in rows.groupby("GAME_ID", sort=True):
        home = game[game["MATCHUP"].str.contains(" vs. ", regex=False)]
        away = game[game["MATCHUP"].str.contains(" @ ", regex=False)]
        if home.empty or away.empty:
            continue
        h, a = home.iloc[0], away.iloc[0]
        entry: dict[str, Any] = {
            "gameId": game_id,
            "gameStatus": 3,
            "gameStatusText": "Final",
            "gameDateEst": f"{game_date.isoformat()}T00:00:00Z",
            "homeTeam": _team(h),
            "awayTeam": _team(a),
        }
        tip = tipoffs.get(str(h["TEAM_ABBREVIATION"]))
        if tip:
            entry["gameDateTimeUTC"] = tip
        games.append(entry)
    season = str(rows["SEASON"].iloc[0]) if len(rows) else ""
    body = {
        "meta": {"version": 1, "request": "replay://scheduleleaguev2", "time": ""},
        "leagueSchedule": {
            "seasonYear": season,
            "leagueId": "00",
            "gameDates": [{"gameDate": game_date.strftime("%m/%d/%Y 00:00:00"), "games": games}],
        },
    }
    return json.dumps(body).encode()


def _team(row: pd.Series) -> dict[str, Any]:
    tricode = str(row["TEAM_ABBREVIATION"])
    team = BY_TRICODE.get(tricode)
    return {
        "teamId": int(row["TEAM_ID"]),
        "teamName": team.name if team else str(row["TEAM_NAME"]),
        "teamCity": team.city if team else "",
        "teamTricode": tricode,
        "score": int(row["PTS"]),
    }


def _tipoffs(root: Path, game_date: date, pattern: str) -> dict[str, str]:
    try:
        lines = _rows_on(points_lines(root, pattern), game_date)
    except FileNotFoundError:
        return {}
    out = {}
    for home, commence in lines[["home_team", "commence_time"]].drop_duplicates().itertuples(
        index=False
    ):
        tricode = tricode_for_name(home)
        if tricode:
            out[tricode] = commence
    return out


def event_odds_bodies(root: Path, game_date: date,
                      pattern: str = POINTS_LINES_GLOB) -> list[tuple[str, bytes]]:
    """The Odds API `/events/{id}/odds?markets=player_points` bodies for a date's events.

    An event can appear in several daily snapshots; the latest snapshot taken on or before the
    game date is served, as a morning pull on game day would have seen it.
    """
    try:
        rows = _rows_on(points_lines(root, pattern), game_date)
    except FileNotFoundError:
        return []
    rows = rows[rows["_snapshot_date"] <= game_date]
    bodies = []
    for event_id, event in rows.groupby("event_id", sort=True):
        event = event[event["_snapshot_date"] == event["_snapshot_date"].max()]
        first = event.iloc[0]
        bookmakers = []
        for book, book_rows in event.groupby("bookmaker", sort=True):
            outcomes = []
            for r in book_rows.itertuples(index=False):
                if pd.isna(r.over_price) or pd.isna(r.under_price) or pd.isna(r.line):
                    continue
                for side, price in (("Over", r.over_price), ("Under", r.under_price)):
                    outcomes.append({"name": side, "description": r.player,
                                     "price": _clean(price), "point": _clean(r.line)})
            bookmakers.append({
                "key": book,
                "title": BOOK_TITLES.get(book, book),
                "markets": [{"key": "player_points",
                             "last_update": _clean(book_rows["market_last_update"].max()),
                             "outcomes": outcomes}],
            })
        body = {
            "id": event_id, "sport_key": "basketball_nba", "sport_title": "NBA",
            "commence_time": first["commence_time"], "home_team": first["home_team"],
            "away_team": first["away_team"], "bookmakers": bookmakers,
        }
        bodies.append((str(event_id), json.dumps(body).encode()))
    return bodies
