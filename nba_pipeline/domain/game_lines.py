"""Per-book game lines -> one consensus line per scheduled game, and the rows that fell out.

The median across books resists one stale or mistyped book; moneylines become a no-vig home
win probability per book (both sides' implied probabilities scaled to sum to 1) before the
median. Home/away and the game id are the schedule's: a book that has the sides the other way
round (neutral sites) is flipped, never trusted over the schedule.
"""

from __future__ import annotations

import pandas as pd

LINE_COLUMNS = [
    "game_date", "game_id", "event_id", "home_team_abbr", "away_team_abbr", "commence_time_utc",
    "home_spread", "total", "home_win_prob", "book_count", "spread_books", "total_books",
    "moneyline_books", "books", "last_update_utc", "source", "landing_key"]
FELL_OUT_COLUMNS = ["game_date", "event_id", "away_team", "home_team", "books", "reason",
                    "landing_key"]


def implied_probability(price: float | None) -> float | None:
    """American (|price| >= 100, +150 / -120) or decimal (1 < price < 100, 2.5) odds -> the
    probability they imply, vig included; None for a missing or impossible price."""
    if price is None or pd.isna(price):
        return None
    if price <= -100:
        return -price / (-price + 100)
    if price >= 100:
        return 100 / (price + 100)
    if 1 < price < 100:
        return 1 / price
    return None


def no_vig_home(home_price: float | None, away_price: float | None) -> float | None:
    home, away = implied_probability(home_price), implied_probability(away_price)
    if home is None or away is None:
        return None
    return home / (home + away)


def consensus_lines(books: pd.DataFrame, schedule: pd.DataFrame
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per (game, event) of the schedule, every event that matched no game + why).

    `books`: `parsers/game_lines.BOOK_ROW_COLUMNS`; `schedule`: nba_raw.schedule rows.
    Two events matching one game both stay (the uniqueness check then names the game).
    """
    if books.empty:
        return pd.DataFrame(columns=LINE_COLUMNS), pd.DataFrame(columns=FELL_OUT_COLUMNS)
    games: dict[tuple[str, str, str], str] = {}
    for r in schedule.itertuples(index=False):
        games[(str(pd.Timestamp(r.game_date).date()), r.home_team_abbr, r.away_team_abbr)] = (
            r.game_id)
    matched, fell_out = [], []
    for (game_date, event_id), event in books.groupby(["game_date", "event_id"], sort=True):
        first = event.iloc[0]
        day = str(pd.Timestamp(game_date).date())
        home, away = first["home_team_abbr"], first["away_team_abbr"]
        reason, flipped, game_id = None, False, None
        if pd.isna(home) or pd.isna(away):
            unknown = first["home_team"] if pd.isna(home) else first["away_team"]
            reason = f"unknown team name {unknown!r}"
        elif str(first["event_date"]) != day:
            reason = f"tips off on {first['event_date']} (US/Eastern), not {day}"
        elif (day, home, away) in games:
            game_id = games[(day, home, away)]
        elif (day, away, home) in games:
            game_id, flipped = games[(day, away, home)], True
        else:
            reason = f"no scheduled game {away}@{home} on {day}"
        if reason is not None:
            fell_out.append({"game_date": day, "event_id": event_id,
                             "away_team": first["away_team"], "home_team": first["home_team"],
                             "books": int(event["bookmaker"].nunique()), "reason": reason,
                             "landing_key": first["landing_key"]})
            continue
        matched.append(_consensus(event, game_id, flipped))
    return (pd.DataFrame(matched, columns=LINE_COLUMNS),
            pd.DataFrame(fell_out, columns=FELL_OUT_COLUMNS))


def _consensus(event: pd.DataFrame, game_id: str, flipped: bool) -> dict[str, object]:
    first = event.iloc[0]
    spread = pd.to_numeric(event["home_spread"], errors="coerce")
    total = pd.to_numeric(event["total"], errors="coerce")
    prob = pd.Series([no_vig_home(h, a) for h, a in zip(
        pd.to_numeric(event["home_price"], errors="coerce"),
        pd.to_numeric(event["away_price"], errors="coerce"), strict=True)], dtype="float64")
    if flipped:
        spread, prob = -spread, 1 - prob
    home, away = first["home_team_abbr"], first["away_team_abbr"]
    updates = event["last_update_utc"].dropna()
    return {
        "game_date": first["game_date"], "game_id": game_id, "event_id": first["event_id"],
        "home_team_abbr": away if flipped else home, "away_team_abbr": home if flipped else away,
        "commence_time_utc": first["commence_time_utc"],
        "home_spread": _median(spread), "total": _median(total), "home_win_prob": _median(prob),
        "book_count": int(event["bookmaker"].nunique()),
        "spread_books": int(spread.notna().sum()), "total_books": int(total.notna().sum()),
        "moneyline_books": int(prob.notna().sum()),
        "books": ",".join(sorted(event["bookmaker"].astype(str).unique())),
        "last_update_utc": max(updates) if len(updates) else None,
        "source": first["source"], "landing_key": first["landing_key"]}


def _median(values: pd.Series) -> float | None:
    values = values.dropna()
    return float(values.median()) if len(values) else None
