"""Injury statuses in one vocabulary, and report names matched to nba.com player ids."""

from __future__ import annotations

import pandas as pd

STATUSES = ("Out", "Doubtful", "Questionable", "Probable", "Available")
# Spellings the sources use for the same five (lower case). Ball Don't Lie's "Day-To-Day" is
# a player who may or may not play: Questionable. Anything else stays as written, so the
# `injury_status_known` check names it instead of a guess hiding it.
_STATUS_WORDS = {
    **{s.lower(): s for s in STATUSES},
    "day-to-day": "Questionable", "day to day": "Questionable", "gtd": "Questionable",
    "game time decision": "Questionable", "game-time decision": "Questionable",
    "active": "Available",
}


def normalise_status(raw: str) -> str:
    """One of STATUSES, or `raw` stripped when it is none of the known spellings."""
    text = " ".join(str(raw).split())
    return _STATUS_WORDS.get(text.lower(), text)


def report_name(printed: str) -> str:
    """The report's "Last, First" (``Duke Jr., David``) as a display name (``David Duke Jr.``);
    a name without a comma is returned as printed."""
    last, comma, first = " ".join(printed.split()).partition(",")
    return f"{first.strip()} {last.strip()}".strip() if comma else last.strip()


def with_player_ids(report: pd.DataFrame, players: pd.DataFrame) -> pd.DataFrame:
    """`report` with `player_id` from `players` (box-score rows: player_lookup, player_id,
    team_abbr, game_date) by normalised name (aliases included, `domain/players.py`).

    A lookup shared by two players is resolved by the report's team; still ambiguous or
    unknown, `player_id` stays null (the `injury_players_matched` check lists those rows).
    """
    out = report.copy()
    if out.empty:
        out["player_id"] = pd.Series(dtype="Int64")
        return out
    if players.empty:
        out["player_id"] = pd.NA
        return out
    latest = (players.assign(game_date=pd.to_datetime(players["game_date"]))
              .sort_values("game_date").drop_duplicates(["player_lookup", "player_id"],
                                                        keep="last"))
    by_lookup = latest.groupby("player_lookup")["player_id"].agg(lambda s: sorted(set(s)))
    by_team = latest.drop_duplicates(["player_lookup", "team_abbr"], keep="last").set_index(
        ["player_lookup", "team_abbr"])["player_id"]
    ids = []
    for lookup, team in zip(out["player_lookup"], out["team_abbr"], strict=True):
        found = by_lookup.get(lookup, [])
        if len(found) == 1:
            ids.append(found[0])
        elif (lookup, team) in by_team.index:
            ids.append(by_team[(lookup, team)])
        else:
            ids.append(pd.NA)
    out["player_id"] = pd.array(ids, dtype="Int64")
    return out


def teams_playing(report: pd.DataFrame, schedule: pd.DataFrame
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows kept, rows of teams not playing that date).

    A row with a matchup came from a report of that game and is always kept. A row without
    one comes from a league-wide injury list (Ball Don't Lie): kept only when the schedule has
    the team playing that date, so the table holds the day's games and nothing else.
    """
    if report.empty:
        return report, report.iloc[0:0]
    playing = set()
    for r in schedule.itertuples(index=False):
        day = pd.Timestamp(r.game_date).date()
        playing.update({(day, r.home_team_abbr), (day, r.away_team_abbr)})
    keep = [pd.notna(m) or (pd.Timestamp(d).date(), t) in playing
            for d, t, m in zip(report["game_date"], report["team_abbr"], report["matchup"],
                               strict=True)]
    mask = pd.Series(keep, index=report.index)
    return report[mask], report[~mask]


# The tip-off assumed for a game whose schedule row has none (US/Eastern, on its date).
FALLBACK_TIPOFF_ET = pd.Timedelta(hours=19)


def schedule_tipoffs(schedule: pd.DataFrame) -> pd.DataFrame:
    """(game_date, team_abbr, tipoff_utc) for both teams of every scheduled game."""
    columns = ["game_date", "team_abbr", "tipoff_utc"]
    if schedule.empty:
        return pd.DataFrame(columns=columns)
    sched = schedule.assign(tipoff_utc=schedule["tipoff_utc"] if "tipoff_utc" in schedule
                            else None)
    return pd.concat([sched[["game_date", side, "tipoff_utc"]].rename(
        columns={side: "team_abbr"}) for side in ("home_team_abbr", "away_team_abbr")],
        ignore_index=True)


def pre_game_statuses(report: pd.DataFrame, tipoffs: pd.DataFrame) -> pd.DataFrame:
    """Each reported player's latest status from a report published before his game's tip-off.

    One row per (game_date, team_abbr, player_lookup) with `status` and `report_time_utc`.
    `tipoffs` is (game_date, team_abbr, tipoff_utc): `schedule_tipoffs`, or the context rows. A
    report published at or after tip-off is not pre-game knowledge and is never read. A game
    without a known tip-off (replayed schedules carry none) is taken to tip at
    FALLBACK_TIPOFF_ET on its date, the usual first evening tip: an afternoon game's late
    reports are then read, which the live schedule's tip-off times prevent. A later report
    supersedes an earlier one (an Out cleared to Available is Available).
    """
    columns = ["game_date", "team_abbr", "player_lookup", "status", "report_time_utc"]
    if report.empty:
        return pd.DataFrame(columns=columns)
    rows = report.assign(game_date=pd.to_datetime(report["game_date"]).astype("datetime64[ns]"),
                         report_time_utc=pd.to_datetime(report["report_time_utc"], utc=True))
    cutoff = (rows["game_date"] + FALLBACK_TIPOFF_ET).dt.tz_localize(
        "US/Eastern").dt.tz_convert("UTC")
    if not tipoffs.empty:
        tips = tipoffs.assign(
            game_date=pd.to_datetime(tipoffs["game_date"]).astype("datetime64[ns]"),
            tipoff_utc=pd.to_datetime(tipoffs["tipoff_utc"], utc=True)).groupby(
            ["game_date", "team_abbr"], as_index=False)["tipoff_utc"].min()
        known = rows[["game_date", "team_abbr"]].merge(
            tips, on=["game_date", "team_abbr"], how="left")["tipoff_utc"].set_axis(rows.index)
        cutoff = known.fillna(cutoff)
    rows = rows[rows["report_time_utc"] < cutoff]
    latest = rows.sort_values("report_time_utc", kind="stable").drop_duplicates(
        ["game_date", "team_abbr", "player_lookup"], keep="last")
    return latest[columns].reset_index(drop=True)


def reported_out(report: pd.DataFrame, tipoffs: pd.DataFrame) -> pd.DataFrame:
    """Players whose latest pre-game report (`pre_game_statuses`) lists them Out: game_date,
    team_abbr, player_lookup and the report_time_utc that said so."""
    statuses = pre_game_statuses(report, tipoffs)
    return statuses.loc[statuses["status"] == "Out", ["game_date", "team_abbr", "player_lookup",
                                                      "report_time_utc"]].reset_index(drop=True)
