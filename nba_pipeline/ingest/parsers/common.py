"""What the parsers share: the parser signature, game status codes, the season label, and the
fallback sources' game ids and team mapping.

ESPN and Ball Don't Lie do not know nba.com game ids (BDL box scores carry no game id at all), so
their rows use nba.com's *game code* layout as `game_id`: `YYYYMMDD/AWAYHOME` (e.g.
`20240115/HOUPHI`). It is deterministic and identical across the fallback sources, so a day
served by ESPN (schedule) and Ball Don't Lie (box scores) still joins on `game_id`; it never
collides with a 10-digit nba.com id. Team codes are mapped to nba.com tricodes; preseason
(ESPN season type 1) and games between two non-NBA sides (All-Star, exhibitions) are left out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd

from nba_pipeline.domain.teams import BY_TRICODE
from nba_pipeline.ingest.payloads.common import PayloadError

Parser = Callable[[bytes, date, str], pd.DataFrame]

# ESPN abbreviations that differ from nba.com tricodes.
ESPN_TRICODES = {"GS": "GSW", "NO": "NOP", "NY": "NYK", "SA": "SAS", "UTAH": "UTA",
                 "WSH": "WAS", "PHO": "PHX", "BRK": "BKN", "CHO": "CHA"}
FINAL, LIVE, SCHEDULED = 3, 2, 1

# The columns a schedule endpoint's game listing has (`games_complete_vs_schedule`).
SOURCE_GAME_COLUMNS = ["game_date", "game_id", "game_status", "home_team_abbr", "away_team_abbr",
                       "home_team_id", "away_team_id", "home_score", "away_score"]


# A payload listing at most this many days of games is a day (or few-day) payload; a season
# schedule lists months, and legitimately has no game on an off day inside it.
MAX_DAY_PAYLOAD_SPAN_DAYS = 31


def require_date_listed(listed: list[date], game_date: date, source: str, endpoint: str,
                        key: str) -> None:
    """Fail a schedule payload whose games are all for other dates than its folder's.

    Its games would otherwise be dropped as "not this date" and the day look like an off day
    (0 games, every check green). A season schedule (spanning more than a month) without a
    game on `game_date` is an off day or the off-season, and passes.
    """
    if not listed or game_date in listed:
        return
    if (max(listed) - min(listed)).days > MAX_DAY_PAYLOAD_SPAN_DAYS:
        return
    days = sorted({d.isoformat() for d in listed})
    shown = ", ".join(days[:5]) + (f" ... ({len(days)} dates)" if len(days) > 5 else "")
    raise PayloadError(source, endpoint, game_date, key,
                       f"every game it lists is for another date ({shown}): a payload for "
                       "another date in this date's folder")


def season_label(game_date: date) -> str:
    """nba.com season label: games from August on belong to the season starting that year."""
    start = game_date.year if game_date.month >= 8 else game_date.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def game_code(game_date: date, away: str, home: str) -> str:
    return f"{game_date.strftime('%Y%m%d')}/{away}{home}"


def matchup(home_code: str, away_code: str, source: str, endpoint: str, game_date: date,
            key: str) -> tuple[str, str] | None:
    """(home, away) nba.com tricodes; None for a game between two non-NBA sides (All-Star,
    exhibitions); a PayloadError when only one side is unknown (a code we fail to map)."""
    home = ESPN_TRICODES.get(home_code, home_code)
    away = ESPN_TRICODES.get(away_code, away_code)
    known = (home in BY_TRICODE, away in BY_TRICODE)
    if known == (False, False):
        return None
    if not all(known):
        bad = home_code if not known[0] else away_code
        raise PayloadError(source, endpoint, game_date, key, f"unknown team code {bad!r}")
    return home, away


def team_id(tricode: str) -> int:
    return BY_TRICODE[tricode].team_id


def schedule_row(game_date: date, game_id: str, status: int, status_text: str | None,
                 tipoff_utc: str | None, home: str, away: str, home_score: int | None,
                 away_score: int | None, source: str, key: str) -> dict[str, object]:
    """One nba_raw.schedule row of a fallback source (ESPN, Ball Don't Lie)."""
    final = status == FINAL
    return {
        "game_date": game_date, "game_id": game_id, "season": season_label(game_date),
        "game_status": status, "game_status_text": status_text, "tipoff_utc": tipoff_utc,
        "home_team_abbr": home, "away_team_abbr": away,
        "home_team_id": team_id(home), "away_team_id": team_id(away),
        "home_score": home_score if final else None, "away_score": away_score if final else None,
        "source": source, "landing_key": key,
    }


def minutes_value(value: object) -> float | None:
    """Minutes as a number: 28, 28.5, "28", "28:14" (minutes:seconds, as box scores write
    them) or None / "" (did not play). Anything else is a ValueError naming the value."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if not text:
        return None
    minutes, _, seconds = text.partition(":")
    try:
        whole = float(minutes)
        fraction = int(seconds) / 60 if seconds else 0.0
    except ValueError:
        raise ValueError(f"minutes {value!r} is neither a number nor MM:SS") from None
    return round(whole + fraction, 2)


def numeric_cells(frame: pd.DataFrame, columns: list[str], describe: Callable[[int], str],
                  source: str, endpoint: str, game_date: date, key: str) -> pd.DataFrame:
    """`columns` as numbers (minutes also from MM:SS); a cell that is not a number fails the
    payload naming its row, column and value instead of reaching the warehouse as text."""
    out = frame.copy()
    bad: list[str] = []
    for column in columns:
        if column == "minutes":
            values = []
            for i, cell in enumerate(frame[column]):
                try:
                    values.append(minutes_value(cell))
                except ValueError:
                    values.append(None)
                    bad.append(f"{describe(i)}: {column}={cell!r}")
            out[column] = pd.Series(values, index=frame.index, dtype="float64")
            continue
        converted = pd.to_numeric(frame[column], errors="coerce")
        for i in (converted.isna() & frame[column].notna()).to_numpy().nonzero()[0]:
            bad.append(f"{describe(int(i))}: {column}={frame[column].iloc[i]!r}")
        out[column] = converted
    if bad:
        raise PayloadError(source, endpoint, game_date, key,
                           f"{len(bad)} cell(s) are not numbers: {'; '.join(bad[:5])}")
    return out


def stack_rows(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Several parsers' rows as one frame, every column kept in first-seen order.

    A column that is all missing in one payload (no book quoted a price that day) does not
    decide the stacked column's type: it is left out of that frame before the concat and comes
    back as missing, which is what pandas did implicitly before deprecating it (FutureWarning).
    """
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame()
    columns = list(dict.fromkeys(c for f in frames for c in f.columns))
    return pd.concat([f.dropna(axis=1, how="all") for f in frames], ignore_index=True
                     ).reindex(columns=columns)
