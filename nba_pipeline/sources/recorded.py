"""Recorded real data (../shared/data) re-served in the live APIs' payload shapes.

Plain pandas; no Dagster. Files are found by glob pattern, so more seasons in the same shapes
are picked up without code changes. Each file is read once per process.
"""

from __future__ import annotations

import gzip
import json
import math
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from nba_pipeline import paths
from nba_pipeline.constants import EASTERN
from nba_pipeline.domain.matchups import matchup_sides
from nba_pipeline.domain.teams import BY_TRICODE, tricode_for_name
from nba_pipeline.ingest.endpoints import NBA_COM_LEAGUEGAMELOG
from nba_pipeline.ingest.parsers.injury_report import read_injury_pdf, report_time_utc
from nba_pipeline.ingest.parsers.nba_com import KEPT_GAME_TYPES, SEASON_TYPE_GAME_TYPE, game_type

BOX_SCORE_GLOB = "box_scores/player_logs_*.csv.gz"
TEAM_LOG_GLOB = "team_game_logs/*.csv.gz"
POINTS_LINES_GLOB = "prop_lines/oddsapi_props_player_points_*.csv.gz"
# Recorded nba.com `scheduleleaguev2` season files (the 2024-25 one carries `isNeutral`).
SCHEDULE_API_GLOB = "api_samples/nbac_schedule_api/*.json*"
# Closing spread/total/moneyline per game (§8), and the recorded official injury report PDFs.
GAME_LINES_GLOB = "game_lines/*.csv.gz"
INJURY_REPORT_GLOB = "api_samples/nbac_injury_report/*.pdf"

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


class RecordedDataError(ValueError):
    """A recorded file that cannot be served: the message names the file, the row and why."""


def _read_csv(path: Path, date_column: str | None, date_format: str | None = None
              ) -> pd.DataFrame:
    """One recorded CSV; unreadable (empty, truncated, not CSV) or with a date that is not a
    date, it fails naming the file and line, since a row of unknown date could be any day's."""
    try:
        frame = pd.read_csv(path, dtype={"GAME_ID": str, "event_id": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, EOFError, OSError,
            UnicodeDecodeError) as exc:
        raise RecordedDataError(f"recorded file {path} cannot be read: {type(exc).__name__}: "
                                f"{exc}. Restore it from the shared data.") from None
    if date_column is None:
        return frame
    if date_column not in frame.columns:
        raise RecordedDataError(f"recorded file {path} has no {date_column} column")
    utc = date_column == "commence_time"
    parsed = pd.to_datetime(frame[date_column], errors="coerce", utc=utc, format=date_format)
    if parsed.isna().any():
        rows = frame.index[parsed.isna()][:5]
        bad = ", ".join(f"line {i + 2}: {frame[date_column].iloc[i]!r}" for i in rows)
        raise RecordedDataError(f"recorded file {path}: {int(parsed.isna().sum())} row(s) with "
                                f"a {date_column} that is not a date ({bad})")
    frame["_date"] = (parsed.dt.tz_convert(EASTERN) if utc else parsed).dt.date
    return frame


@cache
def _read_csvs(files: tuple[Path, ...], date_column: str | None = None,
               date_format: str | None = None) -> pd.DataFrame:
    return pd.concat([_read_csv(f, date_column, date_format) for f in files], ignore_index=True)


def box_scores(root: Path, pattern: str = BOX_SCORE_GLOB) -> pd.DataFrame:
    return _by_date(_files(root, pattern), "GAME_DATE")


def team_logs(root: Path, pattern: str = TEAM_LOG_GLOB) -> pd.DataFrame:
    return _by_date(_files(root, pattern), "GAME_DATE")


@cache
def _by_date(files: tuple[Path, ...], column: str) -> pd.DataFrame:
    return _read_csvs(files, column).set_index("_date").sort_index()


@cache
def points_lines(root: Path, pattern: str = POINTS_LINES_GLOB) -> pd.DataFrame:
    frame = _read_csvs(_files(root, pattern), "commence_time").copy()
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
    if endpoint == NBA_COM_LEAGUEGAMELOG.endpoint:
        local = datetime.combine(game_date + timedelta(days=1), time(6, 0), EASTERN)
    else:
        local = datetime.combine(game_date, time(9, 0), EASTERN)
    return local.astimezone(timezone.utc)


def leaguegamelog_body(root: Path, game_date: date, pattern: str = BOX_SCORE_GLOB,
                       season_type: str = "Regular Season") -> bytes:
    """One date's leaguegamelog for one `SeasonType`: the recorded rows of its game type."""
    rows = _rows_on(box_scores(root, pattern), game_date)
    digit = SEASON_TYPE_GAME_TYPE[season_type]
    rows = rows[rows["GAME_ID"].astype(str).map(game_type) == digit]
    headers = [c for c in rows.columns if c != "SEASON_LABEL"]
    season = str(rows["SEASON_LABEL"].iloc[0]) if len(rows) else ""
    body = {
        "resource": "leaguegamelog",
        "parameters": {
            "LeagueID": "00", "Season": season, "SeasonType": season_type,
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


def recorded_season_types(root: Path, game_date: date, pattern: str = BOX_SCORE_GLOB
                          ) -> list[str]:
    """The `SeasonType` calls a replayed date answers: Regular Season (possibly empty, as the
    live call is), plus each other kept type the recorded box scores have rows of that day."""
    rows = _rows_on(box_scores(root, pattern), game_date)
    present = set(rows["GAME_ID"].astype(str).map(game_type))
    return [t for t, digit in SEASON_TYPE_GAME_TYPE.items()
            if t == "Regular Season" or digit in present]


def recorded_schedule(root: Path, pattern: str = SCHEDULE_API_GLOB
                      ) -> tuple[dict[date, list[dict[str, Any]]], dict[str, dict[str, Any]]]:
    """Games of the recorded `scheduleleaguev2` files: by US-Eastern date, and by game id."""
    files = tuple(sorted(root.glob(pattern))) if pattern else ()
    return _recorded_schedule(files)


@cache
def _recorded_schedule(files: tuple[Path, ...]
                       ) -> tuple[dict[date, list[dict[str, Any]]], dict[str, dict[str, Any]]]:
    by_date: dict[date, list[dict[str, Any]]] = {}
    by_id: dict[str, dict[str, Any]] = {}
    for f in files:
        raw = gzip.decompress(f.read_bytes()) if f.suffix == ".gz" else f.read_bytes()
        schedule = json.loads(raw)["leagueSchedule"]
        for game_date in schedule["gameDates"]:
            for game in game_date["games"]:
                game = {**game, "_seasonYear": schedule["seasonYear"]}
                by_id[str(game["gameId"])] = game
                day = date.fromisoformat(str(game["gameDateEst"])[:10])
                by_date.setdefault(day, []).append(game)
    return by_date, by_id


def schedule_body(root: Path, game_date: date, team_pattern: str = TEAM_LOG_GLOB,
                  lines_pattern: str = POINTS_LINES_GLOB,
                  schedule_pattern: str = SCHEDULE_API_GLOB,
                  box_pattern: str = BOX_SCORE_GLOB) -> bytes:
    """One day of the nba.com `scheduleleaguev2` shape.

    A date a recorded `scheduleleaguev2` file lists is served from it as recorded (every game
    type; the parser keeps its own). Otherwise games come from the team game logs, every kept
    type (regular season, playoffs, play-in, Cup final), with home and away taken from the
    recorded schedule by game id when it has the game, else from MATCHUP text
    (domain/matchups.py: the team written after `@` is home, so a neutral-site game written
    `AWAY @ HOME` on both rows is kept). A game that cannot be oriented raises instead of
    silently leaving the schedule.

    The recorded box scores are regular season only: a playoff, play-in or Cup-final game they
    have no row for is served as not yet played (`gameStatus` 1, no score), as a morning fetch
    sees it. It is predicted (its lines match the schedule) and left ungraded, instead of
    failing `games_complete_vs_schedule` for box scores no recording has. `unplayed_games`
    lists them for the payload's metadata.
    """
    by_date, by_id = recorded_schedule(root, schedule_pattern)
    if game_date in by_date:
        games = [{k: v for k, v in g.items() if k != "_seasonYear"} for g in by_date[game_date]]
        return _schedule_json(str(by_date[game_date][0]["_seasonYear"]), game_date, games)
    rows = _rows_on(team_logs(root, team_pattern), game_date)
    rows = rows[rows["GAME_ID"].astype(str).map(game_type).isin(list(KEPT_GAME_TYPES))]
    tipoffs = _tipoffs(root, game_date, lines_pattern)
    unplayed = set(unplayed_games(root, game_date, team_pattern, box_pattern))
    games = []
    for game_id, game in rows.groupby("GAME_ID", sort=True):
        h, a = _home_away(str(game_id), game, by_id.get(str(game_id)))
        final = str(game_id) not in unplayed
        entry: dict[str, Any] = {
            "gameId": game_id,
            "gameStatus": 3 if final else 1,
            "gameStatusText": "Final" if final else "Scheduled",
            "gameDateEst": f"{game_date.isoformat()}T00:00:00Z",
            "homeTeam": _team(h, final),
            "awayTeam": _team(a, final),
        }
        tip = tipoffs.get(str(h["TEAM_ABBREVIATION"]))
        if tip:
            entry["gameDateTimeUTC"] = tip
        games.append(entry)
    season = str(rows["SEASON"].iloc[0]) if len(rows) else ""
    return _schedule_json(season, game_date, games)


def _home_away(game_id: str, game: pd.DataFrame, recorded: dict[str, Any] | None
               ) -> tuple[pd.Series, pd.Series]:
    """The (home, away) team-log rows of one game: the recorded schedule's sides, else MATCHUP."""
    rows = game.drop_duplicates("TEAM_ID")
    if recorded is not None:
        home_id, away_id = recorded["homeTeam"]["teamId"], recorded["awayTeam"]["teamId"]
        home = rows[rows["TEAM_ID"].astype(int) == int(home_id)]
        away = rows[rows["TEAM_ID"].astype(int) == int(away_id)]
        if len(home) == 1 and len(away) == 1:
            return home.iloc[0], away.iloc[0]
    home_rows = rows["MATCHUP"].str.contains(" vs. ", regex=False).to_numpy()
    if len(rows) == 2 and home_rows.sum() == 1:  # the usual case, without the text rule
        return rows[home_rows].iloc[0], rows[~home_rows].iloc[0]
    is_home, _ = matchup_sides(rows["TEAM_ABBREVIATION"], rows["MATCHUP"])
    if len(rows) != 2 or int(is_home.sum()) != 1:
        raise ValueError(
            f"game {game_id}: cannot tell home from away in the team logs "
            f"({rows['MATCHUP'].tolist()}) and no recorded schedule lists it")
    return rows[is_home.to_numpy()].iloc[0], rows[~is_home.to_numpy()].iloc[0]


def _schedule_json(season: str, game_date: date, games: list[dict[str, Any]]) -> bytes:
    body = {
        "meta": {"version": 1, "request": "replay://scheduleleaguev2", "time": ""},
        "leagueSchedule": {
            "seasonYear": season,
            "leagueId": "00",
            "gameDates": [{"gameDate": game_date.strftime("%m/%d/%Y 00:00:00"), "games": games}],
        },
    }
    return json.dumps(body).encode()


def _team(row: pd.Series, final: bool = True) -> dict[str, Any]:
    tricode = str(row["TEAM_ABBREVIATION"])
    team = BY_TRICODE.get(tricode)
    return {
        "teamId": int(row["TEAM_ID"]),
        "teamName": team.name if team else str(row["TEAM_NAME"]),
        "teamCity": team.city if team else "",
        "teamTricode": tricode,
        "score": int(row["PTS"]) if final else None,
    }


def unplayed_games(root: Path, game_date: date, team_pattern: str = TEAM_LOG_GLOB,
                   box_pattern: str = BOX_SCORE_GLOB) -> list[str]:
    """Playoff, play-in and Cup-final games of the team logs on `game_date` that the recorded
    box scores have no row for (the shared box scores are regular season only)."""
    rows = _rows_on(team_logs(root, team_pattern), game_date)
    types = rows["GAME_ID"].astype(str).map(game_type)
    ids = set(rows.loc[types.isin(list(KEPT_GAME_TYPES.replace("2", ""))), "GAME_ID"].astype(str))
    if not ids:
        return []
    try:
        boxed = set(_rows_on(box_scores(root, box_pattern), game_date)["GAME_ID"].astype(str))
    except FileNotFoundError:
        boxed = set()
    return sorted(ids - boxed)


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
                # As the API sends them: a side the book did not price is absent; a row with
                # no line is served as it is (point null), so parsing fails naming the file.
                for side, price in (("Over", r.over_price), ("Under", r.under_price)):
                    if not pd.isna(price):
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


@cache
def closing_lines(root: Path, pattern: str = GAME_LINES_GLOB) -> pd.DataFrame:
    """The recorded closing lines by US-Eastern date (`date` is m/d/yy as recorded)."""
    return _read_csvs(_files(root, pattern), "date", "%m/%d/%y").set_index("_date").sort_index()


def closing_lines_body(root: Path, game_date: date, pattern: str = GAME_LINES_GLOB) -> bytes:
    """The date's recorded closing lines as JSON rows, values and team codes as recorded (the
    parser maps the codes); a date without games (or a data folder without the file) is an
    empty list."""
    try:
        rows = _rows_on(closing_lines(root, pattern), game_date)
    except FileNotFoundError:  # a data folder without recorded lines: no lines, as for props
        rows = pd.DataFrame()
    files = sorted(p.name for p in root.glob(pattern))
    records = [{k: _clean(v) for k, v in r.items()}
               for r in rows.reset_index(drop=True).to_dict("records")]
    return json.dumps({"game_date": game_date.isoformat(), "source_file": ",".join(files),
                       "rows": records}).encode()


def injury_reports(root: Path, pattern: str = INJURY_REPORT_GLOB
                   ) -> dict[date, list[tuple[Path, datetime]]]:
    """Recorded injury report PDFs by the US-Eastern date of their title's report time."""
    return _injury_reports(tuple(sorted(root.glob(pattern))) if pattern else ())


@cache
def _injury_reports(files: tuple[Path, ...]) -> dict[date, list[tuple[Path, datetime]]]:
    out: dict[date, list[tuple[Path, datetime]]] = {}
    for path in files:
        try:
            reported = report_time_utc(read_injury_pdf(path.read_bytes()).report_time)
        except (ValueError, OSError) as exc:
            raise RecordedDataError(f"recorded injury report {path} cannot be read: {exc}. "
                                    "Restore it from the shared data.") from None
        out.setdefault(reported.astimezone(EASTERN).date(), []).append((path, reported))
    return out
