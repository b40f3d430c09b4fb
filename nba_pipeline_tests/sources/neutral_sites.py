"""A data folder in the shared shapes for 2024-25 dates with neutral-site games.

Games, teams, ids and final scores come from the recorded 2024-25 `scheduleleaguev2`
(`../shared/data/api_samples/nbac_schedule_api/`, linked in place, never copied). Box-score and
team-log rows are built here in the leaguegamelog shape and written the way nba.com writes them:
`AWAY @ HOME` / `HOME vs. AWAY`, except a neutral-site game (`isNeutral`), which is `AWAY @ HOME`
on *both* teams' rows. Player lines are made up but add up (points = 2 FGM + FG3M + FTM, player
points sum to the team's final score).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from nba_pipeline.sources import recorded

SCHEDULE_SAMPLES = recorded.data_dir() / "api_samples" / "nbac_schedule_api"
PLAYERS_PER_TEAM = 8
# The five regular-season neutral-site games of 2024-25 (the Cup final 0062400001 is type 6).
NEUTRAL_GAMES = {
    "0022400147": ("MIA", "WAS"),  # Mexico City
    "0022401229": ("ATL", "MIL"),  # Cup semifinal, Las Vegas
    "0022401230": ("HOU", "OKC"),  # Cup semifinal, Las Vegas
    "0022400621": ("SAS", "IND"),  # Paris
    "0022400633": ("IND", "SAS"),  # Paris
}  # game id -> (away, home) as the schedule has them
NEUTRAL_DATES = (date(2024, 11, 2), date(2024, 12, 14), date(2025, 1, 23), date(2025, 1, 25))


def scheduled_games(day: date) -> list[dict[str, Any]]:
    """The recorded schedule's regular-season games on `day`."""
    by_date, _ = recorded.recorded_schedule(recorded.data_dir())
    return [g for g in by_date.get(day, []) if str(g["gameId"]).startswith("002")]


def _matchups(game: dict[str, Any]) -> tuple[str, str]:
    """(away row's MATCHUP, home row's MATCHUP) as nba.com writes them."""
    away, home = game["awayTeam"]["teamTricode"], game["homeTeam"]["teamTricode"]
    at = f"{away} @ {home}"
    return at, (at if game.get("isNeutral") else f"{home} vs. {away}")


def _player_rows(game: dict[str, Any], day: date) -> list[dict[str, Any]]:
    rows = []
    away_text, home_text = _matchups(game)
    sides = ((game["awayTeam"], game["homeTeam"], away_text),
             (game["homeTeam"], game["awayTeam"], home_text))
    for team, other, text in sides:
        score = int(team["score"])
        per, extra = divmod(score, PLAYERS_PER_TEAM)
        for i in range(PLAYERS_PER_TEAM):
            pts = per + (extra if i == 0 else 0)
            fgm, ftm = divmod(pts, 2)
            rows.append({
                "SEASON_ID": "22024", "PLAYER_ID": int(team["teamId"]) * 100 + i,
                "PLAYER_NAME": f"{team['teamTricode']} Player {i + 1}",
                "TEAM_ID": int(team["teamId"]), "TEAM_ABBREVIATION": team["teamTricode"],
                "TEAM_NAME": f"{team['teamCity']} {team['teamName']}",
                "GAME_ID": game["gameId"], "GAME_DATE": day.isoformat(), "MATCHUP": text,
                "WL": "W" if score > int(other["score"]) else "L", "MIN": 30, "PTS": pts,
                "FGM": fgm, "FGA": fgm + 4, "FG_PCT": None, "FG3M": 0, "FG3A": 1,
                "FG3_PCT": None, "FTM": ftm, "FTA": ftm + 1, "FT_PCT": None, "OREB": 1,
                "DREB": 4, "REB": 5, "AST": 3, "STL": 1, "BLK": 0, "TOV": 2, "PF": 2,
                "PLUS_MINUS": score - int(other["score"]), "SEASON_LABEL": "2024-25",
            })
    return rows


def _team_rows(game: dict[str, Any], day: date) -> list[dict[str, Any]]:
    away_text, home_text = _matchups(game)
    return [{
        "SEASON_ID": "22024", "TEAM_ID": int(team["teamId"]),
        "TEAM_ABBREVIATION": team["teamTricode"],
        "TEAM_NAME": f"{team['teamCity']} {team['teamName']}", "GAME_ID": game["gameId"],
        "GAME_DATE": day.isoformat(), "MATCHUP": text, "PTS": int(team["score"]),
        "SEASON": "2024-25",
    } for team, text in ((game["awayTeam"], away_text), (game["homeTeam"], home_text))]


def write_data_dir(root: Path, days: tuple[date, ...] = NEUTRAL_DATES, *,
                   schedule_samples: bool = True) -> Path:
    """Box scores and team logs for `days` under `root`; the recorded schedule linked in."""
    players: list[dict[str, Any]] = []
    teams: list[dict[str, Any]] = []
    for day in days:
        for game in scheduled_games(day):
            players += _player_rows(game, day)
            teams += _team_rows(game, day)
    (root / "box_scores").mkdir(parents=True)
    (root / "team_game_logs").mkdir()
    pd.DataFrame(players).to_csv(root / "box_scores" / "player_logs_2024-25.csv.gz", index=False)
    pd.DataFrame(teams).to_csv(root / "team_game_logs" / "nba_api_team_game_logs_2024_25.csv.gz",
                               index=False)
    if schedule_samples:
        (root / "api_samples").mkdir()
        (root / "api_samples" / "nbac_schedule_api").symlink_to(SCHEDULE_SAMPLES)
    return root
