"""Coverage against the lines: every player-game with a consensus line, and why one has no
prediction.

Counting predictions against the expected players (the old `prediction_coverage`) reports 100%
while players the books price are missing from the expected players altogether. This module
starts from the lines instead: one row per (game date, player) with a consensus line, the
systems that predicted him, and, for a gap, the reason. Plain pandas, no Dagster.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nba_pipeline.domain.analytics import consensus_lines, eastern_game_date, resolve_line_names
from nba_pipeline.ml.systems import SYSTEMS

# Why a line player-game has no prediction from every system.
NO_SCHEDULE_GAME = "no_schedule_game"  # the line's two teams have no scheduled game that date
UNKNOWN_NAME = "unknown_name"  # the spelling fits two known players (the matcher's "ambiguous")
NOT_ON_A_ROSTER = "not_on_a_roster"  # scheduled, name resolved, still no context row
UNEXPLAINED = "unexplained"  # in the context, yet a system has no row: a bug, never a reason
REASONS = (NO_SCHEDULE_GAME, UNKNOWN_NAME, NOT_ON_A_ROSTER, UNEXPLAINED)
COVERAGE_COLUMNS = ["game_date", "player_lookup", "player_name", "event_id", "home_team_abbr",
                    "away_team_abbr", "points_line", "line_books", "in_context", "cold_start",
                    "systems_predicted", "missing_systems", "box_score_lookup", "played",
                    "reason", "detail"]


def _dates(frame: pd.DataFrame, col: str = "game_date") -> pd.Series:
    return pd.to_datetime(frame[col]).astype("datetime64[ns]")


def _resolved(lines: pd.DataFrame, players: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Consensus lines keyed like `players` (context or box-score rows of the same dates)."""
    known = set(players["player_lookup"].astype(str))
    cands = players[["game_date", "team_abbr", "player_lookup", "player_name"]].assign(
        game_date=_dates(players))
    resolved, matches = resolve_line_names(lines, cands, known, cands["game_date"].unique())
    return resolved, matches


def line_coverage(lines: pd.DataFrame, schedule: pd.DataFrame, context: pd.DataFrame,
                  predictions: pd.DataFrame, box: pd.DataFrame,
                  systems: tuple[str, ...] = SYSTEMS) -> pd.DataFrame:
    """One row per consensus-line player-game of the dates in `lines`.

    `lines` are raw prop lines, `context` the dates' upcoming_player_game_context (its names
    resolve the lines' spellings exactly as the context did), `predictions` the dates' rows,
    `box` player_game_summary for the dates (empty before the games: `played` is then NULL).
    `box_score_lookup` is the player the box score matched the line to after the game.
    """
    if lines.empty:
        return pd.DataFrame(columns=COVERAGE_COLUMNS)
    ctx = context.assign(game_date=_dates(context), player_lookup=context[
        "player_lookup"].astype(str)) if len(context) else pd.DataFrame(
        columns=["game_date", "team_abbr", "player_lookup", "player_name", "cold_start"])
    # A rookie row's lookup is the line's own spelling, not a known player: counted as known,
    # it would stop that spelling from meeting the box-score name on his later dates within one
    # range run (a day-by-day run never saw it). Unresolved, the spelling keeps its lookup and
    # meets the rookie row's predictions on his first day, as in the context.
    players = (ctx[~ctx["cold_start"].eq("rookie").fillna(False).astype(bool)]
               if len(ctx) and "cold_start" in ctx else ctx)
    resolved, matches = _resolved(lines, players) if len(players) else (lines, pd.DataFrame())
    cons = consensus_lines(resolved)
    cons = cons.assign(game_date=_dates(cons), player_lookup=cons["player_lookup"].astype(str))
    names = resolved.assign(game_date=eastern_game_date(resolved).to_numpy(),
                            player_lookup=resolved["player_lookup"].astype(str)).drop_duplicates(
        ["game_date", "player_lookup"])[["game_date", "player_lookup", "player_name"]]
    out = cons.merge(names, on=["game_date", "player_lookup"], how="left")

    placed = ctx[["game_date", "player_lookup", "cold_start"]].drop_duplicates(
        ["game_date", "player_lookup"]).assign(in_context=True) if len(ctx) else pd.DataFrame(
        columns=["game_date", "player_lookup", "cold_start", "in_context"])
    out = out.merge(placed, on=["game_date", "player_lookup"], how="left")
    out["in_context"] = out["in_context"].eq(True)

    active = predictions[predictions["is_active"].astype(bool)] if len(predictions) else \
        predictions
    have = {s: set() for s in systems}
    if len(active):
        for s, rows in active.assign(game_date=_dates(active)).groupby("system_id"):
            if s in have:
                have[s] = set(zip(rows["game_date"], rows["player_lookup"].astype(str),
                                  strict=True))
    keys = list(zip(out["game_date"], out["player_lookup"], strict=True))
    missing = [[s for s in systems if k not in have[s]] for k in keys]
    out["systems_predicted"] = [len(systems) - len(m) for m in missing]
    out["missing_systems"] = [",".join(m) for m in missing]

    games = schedule.assign(game_date=_dates(schedule))[
        ["game_date", "home_team_abbr", "away_team_abbr"]].astype(
        {"home_team_abbr": str, "away_team_abbr": str}).assign(_game=True) if len(
        schedule) else pd.DataFrame(columns=["game_date", "home_team_abbr", "away_team_abbr",
                                             "_game"])
    out = out.astype({"home_team_abbr": str, "away_team_abbr": str}).merge(
        games.drop_duplicates(["game_date", "home_team_abbr", "away_team_abbr"]),
        on=["game_date", "home_team_abbr", "away_team_abbr"], how="left")
    scheduled = out.pop("_game").eq(True)
    why = pd.Series(None, index=out.index, dtype=object)
    if len(matches):
        unmatched = matches[matches["rule"].isna()].drop(columns=["player_lookup"]).assign(
            game_date=lambda f: _dates(f)).rename(
            columns={"line_lookup": "player_lookup", "reason": "_why"}).drop_duplicates(
            ["game_date", "player_lookup"])[["game_date", "player_lookup", "_why"]]
        why = out[["game_date", "player_lookup"]].merge(
            unmatched, on=["game_date", "player_lookup"], how="left")["_why"]
        why.index = out.index
    gap = out["systems_predicted"] < len(systems)
    out["reason"] = np.select(
        [~gap, out["in_context"], ~scheduled, why.notna()],
        [None, UNEXPLAINED, NO_SCHEDULE_GAME, UNKNOWN_NAME], default=NOT_ON_A_ROSTER)
    out["reason"] = out["reason"].where(gap, None)
    out["detail"] = np.where(out["reason"] == UNKNOWN_NAME, why.astype(object), None)
    out.loc[out["reason"] == NO_SCHEDULE_GAME, "detail"] = (
        "no " + out["away_team_abbr"] + " @ " + out["home_team_abbr"] + " game in nba_raw.schedule")
    out.loc[out["reason"] == UNEXPLAINED, "detail"] = "a context row but no prediction from: " + \
        out["missing_systems"]

    out["box_score_lookup"] = None
    out["played"] = pd.Series(pd.NA, index=out.index, dtype="boolean")
    if len(box):
        bx = box.assign(game_date=_dates(box), player_lookup=box["player_lookup"].astype(str))
        graded = out["game_date"].isin(set(bx["game_date"]))
        after, _ = _resolved(lines, bx)
        # resolve_line_names keeps the rows: the same raw line before and after the game.
        raw_to_post = pd.DataFrame({
            "game_date": eastern_game_date(lines).to_numpy(),
            "player_lookup": resolved["player_lookup"].astype(str).to_numpy(),
            "_box_key": after["player_lookup"].astype(str).to_numpy()}).drop_duplicates(
            ["game_date", "player_lookup"])
        out = out.merge(raw_to_post, on=["game_date", "player_lookup"], how="left")
        played_keys = set(zip(bx["game_date"], bx["player_lookup"], strict=True))
        box_key = out["_box_key"].fillna(out["player_lookup"])
        out["box_score_lookup"] = np.where(graded, box_key, None)
        out["played"] = pd.Series([(d, k) in played_keys for d, k in zip(
            out["game_date"], box_key, strict=True)], index=out.index, dtype="boolean").where(
            graded, pd.NA)
        out = out.drop(columns=["_box_key"])
    out["player_name"] = out["player_name"].fillna(out["player_lookup"])
    return out[COVERAGE_COLUMNS].sort_values(["game_date", "player_lookup"]).reset_index(
        drop=True)


def prediction_gaps(coverage: pd.DataFrame, created_at: pd.Timestamp) -> pd.DataFrame:
    """The rows of `line_coverage` without a prediction from every system: the gaps table."""
    gaps = coverage[coverage["reason"].notna()].copy()
    gaps["created_at"] = created_at
    return gaps.drop(columns=["in_context", "systems_predicted"]).reset_index(drop=True)
