"""Checks on the parsed raw tables."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from nba_pipeline.constants import BOX_SCORE_STATS, MAX_LINE, MIN_LINE
from nba_pipeline.domain.injuries import STATUSES
from nba_pipeline.lib.checks import Check, Outcome, out_of_range, sample, unique_rows

MIN_PLAYERS_PER_TEAM = 5
MAX_PLAYERS_PER_TEAM = 20
STATS = list(BOX_SCORE_STATS)
# A regulation game is 48 minutes; four overtimes make 68 (the record, 1951, was six). More
# than 70 is a unit error (seconds, or a team's 240 minutes), and usage divides by minutes.
MAX_MINUTES = 70
# The record is 100 (1962); the modern high is 81. More is a bad row, never a performance.
MAX_POINTS = 100


def _points_arithmetic(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    if frame.empty:
        return Outcome(True, {"bad_rows": 0})
    expected = 2 * frame["fgm"] + frame["fg3m"] + frame["ftm"]
    bad = frame[expected != frame["points"]]
    return Outcome(len(bad) == 0, {
        "bad_rows": len(bad),
        "sample": sample(bad, ["game_date", "game_id", "player_name", "points", "fgm", "fg3m",
                               "ftm"]) if len(bad) else []})


def _no_negative_stats(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    if frame.empty:
        return Outcome(True, {"bad_rows": 0})
    bad = frame[(frame[STATS] < 0).any(axis=1)]
    return Outcome(len(bad) == 0, {"bad_rows": len(bad), "sample": sample(
        bad, ["game_date", "game_id", "player_name", *STATS]) if len(bad) else []})


def _stat_ranges(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    """Minutes in 0..70 and points in 0..100: beyond them the row is wrong, not remarkable."""
    return out_of_range(frame, {"minutes": (0, MAX_MINUTES), "points": (0, MAX_POINTS)},
                        ["game_date", "game_id", "player_name"])


def _games_in_schedule(frame: pd.DataFrame, inputs: Mapping[str, pd.DataFrame]) -> Outcome:
    """Every box-score game id is a game of nba_raw.schedule on the same date.

    A game the schedule does not list has no home/away, no final score to check and no
    predictions; its players' rows would be graded against the wrong game.
    """
    if frame.empty:
        return Outcome(True, {"games": 0, "games_not_in_schedule": 0, "game_ids": []})
    schedule = inputs.get("schedule", pd.DataFrame())
    games = frame.groupby(["game_date", "game_id"], as_index=False).agg(
        teams=("team_abbr", lambda t: ",".join(sorted(set(map(str, t))))),
        players=("player_id", "size"))
    games["game_date"] = pd.to_datetime(games["game_date"])
    listed = (schedule[["game_date", "game_id"]].assign(
        game_date=lambda f: pd.to_datetime(f["game_date"]), _listed=True)
        if len(schedule) else pd.DataFrame(columns=["game_date", "game_id", "_listed"]))
    merged = games.merge(listed, on=["game_date", "game_id"], how="left")
    absent = merged[merged["_listed"].isna()].assign(
        game_date=lambda f: f["game_date"].dt.date)
    return Outcome(len(absent) == 0, {
        "games": len(games), "games_not_in_schedule": len(absent),
        "game_ids": sorted(map(str, absent["game_id"]))[:50],
        "sample": sample(absent, ["game_date", "game_id", "teams", "players"], 20)})


def _games_complete(frame: pd.DataFrame, inputs: Mapping[str, pd.DataFrame]) -> Outcome:
    """Every final game the schedule *source* lists has box-score rows for both teams.

    `schedule_source` holds every game the landed schedule payloads list (not what the parser
    kept), so a game the schedule parse drops fails here twice over: it is missing from
    nba_raw.schedule (`dropped_from_schedule`) and, had its box scores been dropped with it,
    missing team-games. Without `schedule_source` the parsed schedule is the reference.
    """
    schedule = inputs.get("schedule", pd.DataFrame())
    source = inputs.get("schedule_source")
    listed = schedule
    dropped = pd.DataFrame(columns=["game_date", "game_id"])
    if source is not None and len(source):
        known = set(schedule["game_id"].astype(str)) if len(schedule) else set()
        dropped = source[~source["game_id"].astype(str).isin(known)]
        parsed = schedule.reindex(columns=source.columns) if len(schedule) else source.iloc[0:0]
        listed = pd.concat([source, parsed], ignore_index=True).drop_duplicates(
            "game_id", keep="first")
    if listed.empty:
        return Outcome(True, {"final_games": 0, "missing_team_games": 0,
                              "dropped_from_schedule": 0})
    expected = _final_sides(listed)[["game_date", "game_id", "team_abbr"]]
    have = frame[["game_id", "team_abbr"]].drop_duplicates() if len(frame) else pd.DataFrame(
        columns=["game_id", "team_abbr"])
    merged = expected.merge(have, on=["game_id", "team_abbr"], how="left", indicator=True)
    missing = merged[merged["_merge"] == "left_only"]
    return Outcome(len(missing) == 0 and len(dropped) == 0, {
        "final_games": len(expected) // 2, "missing_team_games": len(missing),
        "missing": sample(missing, ["game_date", "game_id", "team_abbr"], 20),
        "dropped_from_schedule": len(dropped),
        "dropped": sample(dropped, ["game_date", "game_id", "home_team_abbr", "away_team_abbr"],
                          20) if len(dropped) else []})


def _final_sides(schedule: pd.DataFrame) -> pd.DataFrame:
    """One row per (game, team) of the schedule's final games, with that team's final score."""
    final = schedule[schedule["game_status"] == 3]
    return pd.concat([
        final[["game_date", "game_id", "home_team_abbr", "home_score"]].rename(
            columns={"home_team_abbr": "team_abbr", "home_score": "final_score"}),
        final[["game_date", "game_id", "away_team_abbr", "away_score"]].rename(
            columns={"away_team_abbr": "team_abbr", "away_score": "final_score"}),
    ], ignore_index=True)


def _players_per_team(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    """A team-game with fewer than 5 or more than 20 player rows is a truncated or merged feed."""
    if frame.empty:
        return Outcome(True, {"team_games": 0, "out_of_range": 0})
    counts = frame.groupby(["game_date", "game_id", "team_abbr"], as_index=False).size()
    bad = counts[~counts["size"].between(MIN_PLAYERS_PER_TEAM, MAX_PLAYERS_PER_TEAM)]
    return Outcome(len(bad) == 0, {
        "team_games": len(counts), "out_of_range": len(bad),
        "min_players": int(counts["size"].min()), "max_players": int(counts["size"].max()),
        "sample": sample(bad.rename(columns={"size": "players"}),
                         ["game_date", "game_id", "team_abbr", "players"], 20)})


def _team_points_match(frame: pd.DataFrame, inputs: Mapping[str, pd.DataFrame]) -> Outcome:
    """Sum of player points per (game, team) equals that team's final score in the schedule."""
    schedule = inputs.get("schedule", pd.DataFrame())
    if schedule.empty or frame.empty:
        return Outcome(True, {"team_games_compared": 0, "mismatched": 0})
    sides = _final_sides(schedule)
    sums = frame.groupby(["game_id", "team_abbr"], as_index=False)["points"].sum()
    merged = sides.merge(sums, on=["game_id", "team_abbr"], how="inner")
    bad = merged[merged["points"] != merged["final_score"]].rename(
        columns={"points": "player_points_sum"})
    return Outcome(len(bad) == 0, {
        "team_games_compared": len(merged), "mismatched": len(bad),
        "sample": sample(bad, ["game_date", "game_id", "team_abbr", "player_points_sum",
                               "final_score"], 20)})


BOXSCORE_CHECKS = [
    unique_rows("no_duplicate_player_games", ["game_id", "player_id"],
                "Duplicates would double-count points downstream."),
    Check("games_complete_vs_schedule",
          "Every final game the landed schedule payloads list is in nba_raw.schedule and has "
          "box-score rows for both teams (0 dropped games, 0 missing team-games).",
          _games_complete, blocking=True,
          threshold="0 games dropped from the schedule, 0 missing team-games"),
    Check("players_per_team",
          f"Every team-game has {MIN_PLAYERS_PER_TEAM}..{MAX_PLAYERS_PER_TEAM} player rows.",
          _players_per_team, threshold=f"{MIN_PLAYERS_PER_TEAM} <= players <= "
          f"{MAX_PLAYERS_PER_TEAM} per team-game"),
    Check("team_points_match_schedule",
          "Player points summed per (game, team) equal the schedule's final score (0 "
          "mismatches); a gap means missing or extra player rows.",
          _team_points_match, blocking=True, threshold="0 mismatched team-games"),
    Check("boxscore_games_in_schedule",
          "Every box-score game id is a game of nba_raw.schedule on that date (0 unlisted "
          "games); an unlisted game would be graded against the wrong game.",
          _games_in_schedule, blocking=True, threshold="0 games not in the schedule"),
    Check("points_arithmetic", "points = 2*FGM + FG3M + FTM on every row (0 bad rows).",
          _points_arithmetic, threshold="0 bad rows"),
    Check("no_negative_stats",
          "No counting stat is negative (0 bad rows); a negative count corrupts every "
          "average built on it.", _no_negative_stats, blocking=True, threshold="0 bad rows"),
    Check("stat_ranges",
          f"minutes in 0..{MAX_MINUTES} and points in 0..{MAX_POINTS} on every row (0 bad "
          "rows); minutes feed usage and per-minute rates.",
          _stat_ranges, blocking=True,
          threshold=f"0 rows with minutes outside 0..{MAX_MINUTES} or points outside "
          f"0..{MAX_POINTS}"),
]


def _primary_schedule_source(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    """Warn when games came from a fallback source (ESPN, Ball Don't Lie) instead of nba.com."""
    if frame.empty:
        return Outcome(True, {"fallback_games": 0, "sources": []})
    fallback = frame[frame["source"] != "nba_com"]
    return Outcome(len(fallback) == 0, {
        "fallback_games": len(fallback),
        "sources": sorted(frame["source"].astype(str).unique()),
        "fallback_days": sorted({str(d) for d in fallback["game_date"]}),
        "sample": sample(fallback, ["game_date", "game_id", "source", "landing_key"], 10)})


SCHEDULE_CHECKS = [
    unique_rows("unique_game_id", ["game_id"]),
    Check("schedule_primary_source",
          "Every game came from nba.com; a fallback source (ESPN, Ball Don't Lie) only warns.",
          _primary_schedule_source, warn=True,
          threshold="0 games from a fallback source (warning)"),
]

def _line_range(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    """Every line in 0.5..80; the sample names player, date and book so the book can be told."""
    return out_of_range(frame, {"line_value": (MIN_LINE, MAX_LINE)},
                        ["game_date", "player_name", "bookmaker", "event_id"])


def _lines_match_schedule(frame: pd.DataFrame, inputs: Mapping[str, pd.DataFrame]) -> Outcome:
    """Every date with lines has scheduled games, and every priced event is one of them.

    The books only price real games, so lines are the independent evidence that a date has a
    slate: a schedule payload that never landed (or was parsed to nothing) leaves nba_raw.schedule
    empty, and every table after it is empty and passes its checks. Events match a game on the
    unordered team pair (books and nba.com disagree on home/away at neutral sites).
    """
    if frame.empty:
        return Outcome(True, {"lined_days": 0, "days_without_schedule": [],
                              "events_not_in_schedule": 0})
    schedule = inputs.get("schedule", pd.DataFrame())
    lines = frame.assign(game_date=pd.to_datetime(frame["game_date"]))
    games = (schedule.assign(game_date=pd.to_datetime(schedule["game_date"]))
             if len(schedule) else pd.DataFrame(columns=["game_date", "home_team_abbr",
                                                         "away_team_abbr"]))
    per_day = lines.groupby("game_date").agg(lines=("line_value", "size"),
                                             players=("player_lookup", "nunique"))
    scheduled = games.groupby("game_date").size().rename("scheduled_games")
    per_day = per_day.join(scheduled, how="left").fillna({"scheduled_games": 0})
    empty = per_day[per_day["scheduled_games"] == 0]
    pairs = {(d, frozenset((h, a))) for d, h, a in games[
        ["game_date", "home_team_abbr", "away_team_abbr"]].itertuples(index=False)}
    events = lines.drop_duplicates(["game_date", "event_id"])
    unmatched = events[[
        (d, frozenset((h, a))) not in pairs for d, h, a in events[
            ["game_date", "home_team_abbr", "away_team_abbr"]].itertuples(index=False)]]
    unmatched = unmatched.assign(game_date=unmatched["game_date"].dt.date)
    return Outcome(len(empty) == 0 and len(unmatched) == 0, {
        "lined_days": len(per_day),
        "days_without_schedule": [
            {"game_date": d.date().isoformat(), "lines": int(r["lines"]),
             "players": int(r["players"])} for d, r in empty.iterrows()][:30],
        "events_not_in_schedule": len(unmatched),
        "sample": sample(unmatched, ["game_date", "event_id", "home_team_abbr",
                                     "away_team_abbr", "landing_key"], 20)})


PROP_LINE_CHECKS = [
    unique_rows("unique_line_key", ["event_id", "bookmaker", "player_lookup", "line_value"],
                "Repeated snapshots must not stack.", blocking=False),
    Check("line_value_in_range",
          f"Every line is in {MIN_LINE:g}..{MAX_LINE:g} (0 bad rows); a 999.5 or a 0 would be "
          "published as a pick.", _line_range, blocking=True,
          threshold=f"0 lines outside {MIN_LINE:g}..{MAX_LINE:g}"),
    Check("lines_match_schedule",
          "Every date with points lines has games in nba_raw.schedule and every priced event "
          "is one of them (0 days without a schedule, 0 unmatched events).",
          _lines_match_schedule, blocking=True,
          threshold="0 lined days without scheduled games, 0 events not in the schedule"),
]


# Game lines: modern closing totals run about 195..265 and spreads rarely pass 20; outside
# 170..280 or beyond 30 points the number is a parse slip (a team total, a moneyline, a sign).
MIN_TOTAL, MAX_TOTAL, MAX_SPREAD = 170.0, 280.0, 30.0


def _game_line_values(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    return out_of_range(frame, {"total": (MIN_TOTAL, MAX_TOTAL),
                                "home_spread": (-MAX_SPREAD, MAX_SPREAD)},
                        ["game_date", "game_id", "away_team_abbr", "home_team_abbr", "books"])


def _every_game_has_line(frame: pd.DataFrame, inputs: Mapping[str, pd.DataFrame]) -> Outcome:
    """Every scheduled game of the window has a consensus line (a warning: books may not
    price a game yet in the morning, and replay has no lines for some game types)."""
    schedule = inputs.get("schedule", pd.DataFrame())
    if schedule.empty:
        return Outcome(True, {"scheduled_games": 0, "games_without_line": 0, "missing": []})
    lined = set(frame["game_id"].astype(str)) if len(frame) else set()
    missing = schedule[~schedule["game_id"].astype(str).isin(lined)]
    return Outcome(len(missing) == 0, {
        "scheduled_games": len(schedule), "games_without_line": len(missing),
        "missing": [f"{pd.Timestamp(r.game_date).date()} {r.game_id} "
                    f"{r.away_team_abbr}@{r.home_team_abbr}"
                    for r in missing.itertuples(index=False)][:50]})


def _lines_fell_out(frame: pd.DataFrame, inputs: Mapping[str, pd.DataFrame]) -> Outcome:
    """Every priced event became a row: none fell out for an unknown team or no game."""
    fell_out = inputs.get("fell_out", pd.DataFrame())
    return Outcome(fell_out.empty, {
        "events_fell_out": len(fell_out),
        "fell_out": sample(fell_out, ["game_date", "event_id", "away_team", "home_team",
                                      "books", "reason", "landing_key"], 50)
        if len(fell_out) else []})


GAME_LINE_CHECKS = [
    unique_rows("one_line_per_game", ["game_id"],
                "Two events matched to one game would double its line downstream."),
    Check("game_line_values_plausible",
          f"total in {MIN_TOTAL:g}..{MAX_TOTAL:g} and |home_spread| <= {MAX_SPREAD:g} on "
          "every game (0 bad rows); the sample names the game.",
          _game_line_values, blocking=True,
          threshold=f"0 games with total outside {MIN_TOTAL:g}..{MAX_TOTAL:g} or "
          f"|spread| > {MAX_SPREAD:g}"),
    Check("every_scheduled_game_has_line",
          "Every game of nba_raw.schedule on the date has a line; the missing games are "
          "listed (warning).", _every_game_has_line, warn=True,
          threshold="0 scheduled games without a line (warning)"),
    Check("game_lines_match_schedule",
          "Every priced event matched a scheduled game; each one that fell out is listed "
          "with its reason (unknown team, other date, no such game) (warning).",
          _lines_fell_out, warn=True, threshold="0 events fell out (warning)"),
]


def _injury_status_known(frame: pd.DataFrame, inputs: Mapping[str, pd.DataFrame]) -> Outcome:
    """Every status is one of the five; an unknown one is named (a new word upstream)."""
    no_report = inputs.get("no_report", pd.DataFrame(columns=["game_date"]))
    dates = sorted(str(d) for d in no_report["game_date"])
    note = {"no_report_recorded": dates} if dates else {}
    if frame.empty:
        return Outcome(True, {"bad_rows": 0, **note})
    bad = frame[~frame["status"].isin(STATUSES)]
    return Outcome(len(bad) == 0, {
        "bad_rows": len(bad), "unknown_statuses": sorted(bad["status"].astype(str).unique()),
        "sample": sample(bad, ["game_date", "team_abbr", "player_name", "status", "source"])
        if len(bad) else [], **note})


def _injury_players_matched(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
    """Every listed player has an nba.com id (warning: two-way and G League call-ups may
    have no box score yet)."""
    if frame.empty:
        return Outcome(True, {"unmatched": 0})
    bad = frame[frame["player_id"].isna()]
    return Outcome(len(bad) == 0, {
        "players": len(frame), "unmatched": len(bad),
        "sample": sample(bad, ["game_date", "team_abbr", "player_name", "player_lookup",
                               "status"], 30) if len(bad) else []})


INJURY_CHECKS = [
    unique_rows("one_row_per_report_player",
                ["report_time_utc", "game_date", "team_abbr", "player_lookup"],
                "A player listed twice in one report has two statuses."),
    Check("injury_status_known",
          "Every status is one of Out, Doubtful, Questionable, Probable, Available (0 bad "
          "rows; unknown statuses are named). A date with no report recorded passes and "
          "says so (`no_report_recorded`).", _injury_status_known, blocking=True,
          threshold="0 rows with a status outside the five"),
    Check("injury_players_matched",
          "Every listed player matched an nba.com player id by normalised name (warning).",
          _injury_players_matched, warn=True, threshold="0 unmatched players (warning)"),
]
