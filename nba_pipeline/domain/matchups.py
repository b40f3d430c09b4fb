"""Home and away: from the schedule per game id, never from MATCHUP text where a schedule exists.

nba.com writes a normal game as `AWAY @ HOME` on the away row and `HOME vs. AWAY` on the home
row, but a neutral-site game (NBA Cup knockouts in Las Vegas, Mexico City, Paris, Abu Dhabi) as
`AWAY @ HOME` on *both* rows. Reading "the token after the separator" as the opponent then makes
the home side its own opponent.

Rules, in order:
1. The schedule (nba.com `scheduleleaguev2` `homeTeam`/`awayTeam`, matched on game id and team
   id, or tricode where a source has no team id) decides.
2. With no schedule row, MATCHUP text decides, read so that both ways nba.com writes a game
   agree: in `X vs. Y` X is home; in `X @ Y` Y is home, on either team's row. A row whose own
   team is written after `@` is therefore the home side, and its opponent is the team before it.

Plain pandas; no Dagster.
"""

from __future__ import annotations

import pandas as pd

VS, AT = " vs. ", " @ "


def matchup_sides(team_abbr: pd.Series, matchup: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(is_home, opponent_abbr) per row from MATCHUP text (rule 2 above).

    `'GSW @ LAL'` on GSW's row -> (False, 'LAL'); on LAL's row (a neutral site) -> (True, 'GSW');
    `'LAL vs. GSW'` -> (True, 'GSW'). A row whose text names neither side keeps the token after
    the separator as the opponent (the checks downstream flag such a game).
    """
    team = team_abbr.astype(str).str.strip()
    text = matchup.astype(str)
    is_vs = text.str.contains(VS, regex=False)
    parts = text.str.split(r" vs\. | @ ", n=1, regex=True)
    first = parts.str[0].str.strip()
    second = parts.str[-1].str.strip()
    own_after_at = ~is_vs & (team == second) & (team != first)
    is_home = is_vs | own_after_at
    opponent = second.where(~own_after_at, first)
    return is_home.astype(bool), opponent


def schedule_sides(schedule: pd.DataFrame) -> pd.DataFrame:
    """One row per (game, team) of a schedule: team id and tricode, opponent, is_home."""
    cols = ["game_id", "team_id", "team_abbr", "opponent_abbr", "is_home"]
    if schedule.empty:
        return pd.DataFrame(columns=cols)
    home = schedule.assign(team_id=schedule["home_team_id"], team_abbr=schedule["home_team_abbr"],
                           opponent_abbr=schedule["away_team_abbr"], is_home=True)
    away = schedule.assign(team_id=schedule["away_team_id"], team_abbr=schedule["away_team_abbr"],
                           opponent_abbr=schedule["home_team_abbr"], is_home=False)
    sides = pd.concat([home[cols], away[cols]], ignore_index=True)
    sides["game_id"] = sides["game_id"].astype(str)
    sides["team_abbr"] = sides["team_abbr"].astype(str)
    sides["opponent_abbr"] = sides["opponent_abbr"].astype(str)
    sides["team_id"] = pd.to_numeric(sides["team_id"], errors="coerce").astype("Int64")
    return sides


def orient_to_schedule(box: pd.DataFrame, schedule: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Box-score rows with MATCHUP rewritten in the schedule's orientation (rule 1).

    A row whose game is in the schedule gets `TEAM vs. OPP` (home) or `TEAM @ OPP` (away), so
    every reader of `matchup` sees the schedule's home/away. Rows are matched on (game_id,
    team_id), or (game_id, team_abbr) where the row has no team id; rows of a game the schedule
    lacks keep their text (rule 2 reads it). Returns the frame and how many rows changed text.
    """
    if box.empty or schedule.empty or "matchup" not in box.columns:
        return box, 0
    sides = schedule_sides(schedule)
    keys = pd.DataFrame({
        "game_id": box["game_id"].astype(str).to_numpy(),
        "team_id": pd.to_numeric(box["team_id"], errors="coerce").astype("Int64").to_numpy()
        if "team_id" in box.columns else pd.array([pd.NA] * len(box), dtype="Int64"),
        "team_abbr": box["team_abbr"].astype(str).to_numpy(),
    })
    wanted = ["opponent_abbr", "is_home"]
    on_id = keys.merge(sides.dropna(subset=["team_id"]).drop_duplicates(["game_id", "team_id"])
                       [["game_id", "team_id", *wanted]], on=["game_id", "team_id"], how="left")
    on_abbr = keys.merge(sides.drop_duplicates(["game_id", "team_abbr"])
                         [["game_id", "team_abbr", *wanted]], on=["game_id", "team_abbr"],
                         how="left")
    side = on_id[wanted].where(on_id["opponent_abbr"].notna(), on_abbr[wanted])
    found = side["opponent_abbr"].notna().to_numpy()
    text = (keys["team_abbr"] + side["is_home"].map({True: VS, False: AT}).fillna("")
            + side["opponent_abbr"].fillna("")).to_numpy()
    old = box["matchup"].astype("object").to_numpy()
    out = box.copy()
    out["matchup"] = pd.Series(old, index=box.index).where(~found, pd.Series(text, index=box.index))
    changed = int((out["matchup"].to_numpy()[found] != old[found]).sum())
    return out, changed
