"""A small season-shaped data folder in the shared data's shapes, rewritten from real rows.

Real box scores, team game logs and points lines of a few weeks (all teams) are copied into a
temporary folder and rewritten so that it holds the cases a real season brings (issue 14):

- a regular-season game at a neutral site, written the nba.com way: `AWAY @ HOME` on both rows;
- a Cup final: a real game whose id is rewritten to `0062300001` (type 006);
- a rookie with a line and no NBA game yet: a real player whose earlier games are relabelled
  to a stand-in (so team totals still add up);
- a player traded mid-fixture: two real players' identities swapped from the trade date on (box
  scores and lines), so each one's later games are for the other's team;
- a player back after 250+ days: a real player of late 2022-23 whose games of the 250 days
  before his return date are relabelled to a stand-in.

Nothing is invented but ids, names and the two rewritten MATCHUP/GAME_ID cells. Built in the
test's tmp dir from `../shared/data` (never copied into the repository).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from nba_pipeline.domain.players import player_lookup_series
from nba_pipeline.domain.teams import tricode_for_name
from nba_pipeline.sources import recorded

OLD_SEASON = (date(2023, 3, 25), date(2023, 3, 31))  # the returner's last games
HISTORY = (date(2024, 1, 22), date(2024, 3, 3))
PREDICT = (date(2024, 3, 4), date(2024, 3, 6))
TRADE_DATE = date(2024, 2, 15)
ROOKIE_DAY = RETURN_DAY = NEUTRAL_DAY = date(2024, 3, 5)
CUP_DAY = date(2024, 3, 6)
CUP_FINAL = "0062300001"
STANDIN_ID = 1_990_000


@dataclass(frozen=True)
class Fixture:
    root: Path
    rookie: str  # player_lookup
    returner: str
    traded: str
    traded_from: str  # team abbr before TRADE_DATE
    traded_to: str
    neutral_game: str  # game id
    neutral_home: str  # the home team (written after `@` on both rows)
    cup_teams: tuple[str, str]


def _between(frame: pd.DataFrame, span: tuple[date, date]) -> pd.Series:
    days = pd.to_datetime(frame["GAME_DATE"]).dt.date
    return (days >= span[0]) & (days <= span[1])


def _line_players(lines: pd.DataFrame, box: pd.DataFrame, day: date) -> pd.DataFrame:
    """Box-score rows of `day` whose player has a line that day under the same spelling."""
    on_day = lines[lines["_date"] == day]
    names = set(player_lookup_series(on_day["player"]))
    rows = box[pd.to_datetime(box["GAME_DATE"]).dt.date == day]
    return rows[player_lookup_series(rows["PLAYER_NAME"]).isin(names)
                & (rows["PTS"] >= 8)]


def _relabel(box: pd.DataFrame, mask: pd.Series, n: int) -> None:
    """Give the masked rows a stand-in identity (their points stay, so totals still add up)."""
    box.loc[mask, "PLAYER_ID"] = STANDIN_ID + n
    box.loc[mask, "PLAYER_NAME"] = f"Fixture Standin {'ABCDEFG'[n]}"


def build(root: Path) -> Fixture:
    shared = recorded.data_dir()
    box_all = pd.concat([pd.read_csv(f, dtype={"GAME_ID": str}) for f in
                         sorted((shared / "box_scores").glob("player_logs_*.csv.gz"))])
    teams_all = pd.concat([pd.read_csv(f, dtype={"GAME_ID": str}) for f in
                           sorted((shared / "team_game_logs").glob("*.csv.gz"))])
    spans = (OLD_SEASON, HISTORY, PREDICT)
    box = box_all[_between(box_all, spans[0]) | _between(box_all, spans[1])
                  | _between(box_all, spans[2])].reset_index(drop=True)
    teams = teams_all[(_between(teams_all, spans[0]) | _between(teams_all, spans[1])
                       | _between(teams_all, spans[2]))
                      & teams_all["GAME_ID"].str.startswith("002")].reset_index(drop=True)
    (lines_file,) = sorted((shared / "prop_lines").glob("oddsapi_props_player_points_*.csv.gz"))
    lines = pd.read_csv(lines_file, dtype={"event_id": str})
    lines["_date"] = pd.to_datetime(lines["commence_time"], utc=True).dt.tz_convert(
        "America/New_York").dt.date
    lines = lines[(lines["_date"] >= PREDICT[0]) & (lines["_date"] <= PREDICT[1])].copy()
    day = pd.to_datetime(box["GAME_DATE"]).dt.date
    used: set[int] = set()

    def pick(candidates: pd.DataFrame) -> pd.Series:
        row = candidates[~candidates["PLAYER_ID"].isin(used)].sort_values(
            ["PTS", "PLAYER_ID"], ascending=[False, True]).iloc[0]
        used.add(int(row["PLAYER_ID"]))
        return row

    # Neutral site and Cup final: whole games, kept apart from the players below.
    games_on = box[day == NEUTRAL_DAY].groupby("GAME_ID")["TEAM_ABBREVIATION"].unique()
    neutral_game = sorted(games_on.index)[0]
    cup_games = sorted(box.loc[day == CUP_DAY, "GAME_ID"].unique())
    cup_source = cup_games[0]
    special_games = {neutral_game, cup_source}
    used |= set(box.loc[box["GAME_ID"].isin(special_games), "PLAYER_ID"].astype(int))

    # The returner: played late 2022-23 for the team he has a line with on RETURN_DAY.
    old = box[_between(box, OLD_SEASON)]
    candidates = _line_players(lines, box, RETURN_DAY)
    candidates = candidates[[
        bool(((old["PLAYER_ID"] == r.PLAYER_ID)
              & (old["TEAM_ABBREVIATION"] == r.TEAM_ABBREVIATION)).any())
        for r in candidates.itertuples()]]
    returner = pick(candidates)
    gap = (day >= RETURN_DAY - timedelta(days=250)) & (day < RETURN_DAY)
    _relabel(box, gap & (box["PLAYER_ID"] == returner["PLAYER_ID"]), 0)

    # The rookie: no game before ROOKIE_DAY (earlier ones relabelled), a line on it.
    rookie = pick(_line_players(lines, box, ROOKIE_DAY).pipe(
        lambda f: f[f["TEAM_ABBREVIATION"] != returner["TEAM_ABBREVIATION"]]))
    _relabel(box, (day < ROOKIE_DAY) & (box["PLAYER_ID"] == rookie["PLAYER_ID"]), 1)

    # The trade: two players with a line on the first prediction day, identities swapped from
    # TRADE_DATE on, in the box scores and in the lines.
    lined = set(_line_players(lines, box, PREDICT[0])["PLAYER_ID"])
    before = box[day < TRADE_DATE]
    pool = box[box["PLAYER_ID"].isin(lined) & (day == PREDICT[0])
               & box["PLAYER_ID"].isin(set(before["PLAYER_ID"]))]

    def team_before(player_id: int) -> str:
        rows = before[before["PLAYER_ID"] == player_id].sort_values("GAME_DATE")
        return str(rows["TEAM_ABBREVIATION"].iloc[-1])

    a = pick(pool)
    # b: on another team than a, before the trade and after it (a new team for both).
    b = pick(pool[(pool["TEAM_ABBREVIATION"] != a["TEAM_ABBREVIATION"])
                  & (pool["TEAM_ABBREVIATION"] != team_before(int(a["PLAYER_ID"])))
                  & pool["PLAYER_ID"].map(lambda p: team_before(int(p))
                                          != a["TEAM_ABBREVIATION"])])
    traded_from = team_before(int(a["PLAYER_ID"]))
    after = day >= TRADE_DATE
    is_a, is_b = after & (box["PLAYER_ID"] == a["PLAYER_ID"]), after & (
        box["PLAYER_ID"] == b["PLAYER_ID"])
    for col in ("PLAYER_ID", "PLAYER_NAME"):
        box.loc[is_a, col], box.loc[is_b, col] = b[col], a[col]
    line_lookup = player_lookup_series(lines["player"])
    lookup_a, lookup_b = player_lookup_series(pd.Series([a["PLAYER_NAME"], b["PLAYER_NAME"]]))
    spelled_a = lines.loc[line_lookup == lookup_a, "player"].iloc[0]
    spelled_b = lines.loc[line_lookup == lookup_b, "player"].iloc[0]
    lines.loc[line_lookup == lookup_a, "player"] = spelled_b
    lines.loc[line_lookup == lookup_b, "player"] = spelled_a

    # Lines before their cold start day are dropped (those games were relabelled).
    line_lookup = player_lookup_series(lines["player"])
    for player, first in ((returner, RETURN_DAY), (rookie, ROOKIE_DAY)):
        (lookup,) = player_lookup_series(pd.Series([player["PLAYER_NAME"]]))
        lines = lines[~((line_lookup == lookup) & (lines["_date"] < first))]
        line_lookup = line_lookup[lines.index]

    # Neutral site: the home row written `AWAY @ HOME` too, in box scores and team logs.
    for frame in (box, teams):
        rows = frame["GAME_ID"] == neutral_game
        at = frame.loc[rows & frame["MATCHUP"].str.contains(" @ ", regex=False), "MATCHUP"]
        frame.loc[rows, "MATCHUP"] = at.iloc[0]
    neutral_home = box.loc[box["GAME_ID"] == neutral_game, "MATCHUP"].iloc[0].split(" @ ")[1]
    # The Cup final: type 006.
    for frame in (box, teams):
        frame.loc[frame["GAME_ID"] == cup_source, "GAME_ID"] = CUP_FINAL
    cup_teams = tuple(sorted(box.loc[box["GAME_ID"] == CUP_FINAL, "TEAM_ABBREVIATION"].unique()))

    (root / "box_scores").mkdir(parents=True)
    (root / "team_game_logs").mkdir()
    (root / "prop_lines").mkdir()
    box.to_csv(root / "box_scores" / "player_logs_fixture.csv.gz", index=False)
    teams.to_csv(root / "team_game_logs" / "team_game_logs_fixture.csv.gz", index=False)
    lines.drop(columns=["_date"]).to_csv(
        root / "prop_lines" / "oddsapi_props_player_points_fixture.csv.gz", index=False)
    assert {tricode_for_name(n) for n in lines["home_team"]} - {None}
    lookup = player_lookup_series(pd.Series([rookie["PLAYER_NAME"], returner["PLAYER_NAME"],
                                             a["PLAYER_NAME"]])).tolist()
    return Fixture(root=root, rookie=lookup[0], returner=lookup[1], traded=lookup[2],
                   traded_from=traded_from,
                   traded_to=str(b["TEAM_ABBREVIATION"]), neutral_game=neutral_game,
                   neutral_home=neutral_home, cup_teams=cup_teams)  # type: ignore[arg-type]
