"""The official NBA injury report PDF -> one row per listed player of the partition's date.

The PDF is a printed table with no structure a parser can ask for, so cells are read by where
their words stand (pdfplumber): each word belongs to the column whose header starts left of
it. Game date, time, matchup and team are printed once per group and carried down; a reason
wrapped onto lines of its own belongs to the nearest player row (preferring one printed
without a reason). Teams that had not reported ("NOT YET SUBMITTED") have no player rows.
Later pages repeat no header: the first page's columns apply.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import pandas as pd
from pydantic import ValidationError

from nba_pipeline.constants import EASTERN
from nba_pipeline.domain.injuries import normalise_status, report_name
from nba_pipeline.domain.players import player_lookup_series
from nba_pipeline.domain.teams import tricode_for_name
from nba_pipeline.ingest.payloads.common import PayloadError
from nba_pipeline.ingest.payloads.injury_report import InjuryReportDocument

SOURCE, ENDPOINT = "nba_com", "injury_report"
COLUMNS = ("game_date", "game_time", "matchup", "team", "player_name", "status", "reason")
# The header's words that start each column, in order ("Game Date", "Game Time", ...).
_HEADER_STARTS = ("Game", "Game", "Matchup", "Team", "Player", "Current", "Reason")
_SAME_LINE = 3.0  # points: words whose tops differ by less are one printed line
_NEAR = 34.0  # points (1.5 rows): how far a wrapped reason line may sit from its player
NOT_SUBMITTED = "NOT YET SUBMITTED"
ROW_COLUMNS = ["game_date", "report_time_utc", "game_time_et", "matchup", "team_abbr",
               "player_name", "player_lookup", "status", "status_raw", "reason", "source",
               "landing_key"]


@dataclass
class _Line:
    page: int
    top: float
    cells: dict[str, str]


@dataclass
class _Entry:
    line: _Line
    carried: dict[str, str]
    reasons: list[tuple[float, str]] = field(default_factory=list)


def read_injury_pdf(body: bytes) -> InjuryReportDocument:
    """The report's time and rows; ValueError saying what is missing when the layout is not
    the report's (not a PDF, no title, no column header)."""
    import pdfplumber  # imported here: only this reader needs it
    from pdfminer.psexceptions import PSException
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        with pdfplumber.open(io.BytesIO(body)) as pdf:
            pages = [page.extract_words(x_tolerance=1.5) for page in pdf.pages]
    except (PdfminerException, PSException, ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"not a readable PDF ({type(exc).__name__}: {exc})"[:300]) from None
    lines: list[_Line] = []
    title = ""
    starts: list[float] | None = None
    for number, words_of_page in enumerate(pages):
        for words in _printed_lines(words_of_page):
            texts = [w["text"] for w in words]
            if texts[:2] == ["Injury", "Report:"]:
                title = " ".join(texts[2:])
                continue
            if texts[:1] == ["Page"] and "of" in texts:
                continue
            header = _header_starts(words)
            if header is not None:
                starts = header
                continue
            if starts is None:
                raise ValueError(f"page {number + 1}: a row before any column header")
            lines.append(_Line(number, float(words[0]["top"]), _cells(words, starts)))
    if not title:
        raise ValueError("no 'Injury Report: <time>' title")
    entries, not_submitted = _entries(lines)
    try:
        return InjuryReportDocument(report_time=title, not_submitted=not_submitted, entries=[
            {**e.carried, "player_name": e.line.cells["player_name"],
             "status": e.line.cells.get("status", ""),
             "reason": " ".join(t for _, t in sorted(e.reasons)) or None} for e in entries])
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"row field '{where}': {first['msg']} (got {first['input']!r})") from None


def _printed_lines(words: list[dict]) -> list[list[dict]]:
    lines: list[list[dict]] = []
    for word in sorted(words, key=lambda w: (round(float(w["top"]), 1), float(w["x0"]))):
        if lines and abs(float(word["top"]) - float(lines[-1][0]["top"])) < _SAME_LINE:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [sorted(line, key=lambda w: float(w["x0"])) for line in lines]


def _header_starts(words: list[dict]) -> list[float] | None:
    texts = [w["text"] for w in words]
    if "Matchup" not in texts or "Reason" not in texts:
        return None
    starts, i = [], 0
    for word in words:
        if i < len(_HEADER_STARTS) and word["text"] == _HEADER_STARTS[i]:
            starts.append(float(word["x0"]))
            i += 1
    return starts if len(starts) == len(_HEADER_STARTS) else None


def _cells(words: list[dict], starts: list[float]) -> dict[str, str]:
    cells: dict[str, list[str]] = {}
    for word in words:
        column = max((i for i, x in enumerate(starts) if float(word["x0"]) >= x - 3), default=0)
        cells.setdefault(COLUMNS[column], []).append(word["text"])
    return {k: " ".join(v) for k, v in cells.items()}


def _entries(lines: list[_Line]) -> tuple[list[_Entry], list[str]]:
    carried: dict[str, str] = {}
    entries: list[_Entry] = []
    fragments: list[_Line] = []
    not_submitted: list[str] = []
    for line in lines:
        for column in ("game_date", "game_time", "matchup", "team"):
            if column in line.cells:
                carried[column] = line.cells[column]
        if line.cells.get("reason") == NOT_SUBMITTED and "player_name" not in line.cells:
            not_submitted.append(f"{carried.get('matchup', '?')} {carried.get('team', '?')}")
        elif "player_name" in line.cells:
            entry = _Entry(line, dict(carried))
            if "reason" in line.cells:
                entry.reasons.append((line.top, line.cells["reason"]))
            entries.append(entry)
        elif set(line.cells) == {"reason"}:
            fragments.append(line)
    for fragment in fragments:
        near = [e for e in entries if e.line.page == fragment.page]
        if not near:
            continue
        close = [e for e in near if abs(e.line.top - fragment.top) <= _NEAR] or near
        best = min(close, key=lambda e: ("reason" in e.line.cells,
                                         abs(e.line.top - fragment.top)))
        best.reasons.append((fragment.top, fragment.cells["reason"]))
    return entries, not_submitted


def report_time_utc(text: str) -> datetime:
    """'01/04/24 12:30 PM' (US-Eastern, the title's) -> an aware UTC time."""
    local = datetime.strptime(" ".join(text.split()), "%m/%d/%y %I:%M %p")
    return local.replace(tzinfo=EASTERN).astimezone(timezone.utc)


def parse_injury_report(body: bytes, game_date: date, key: str) -> pd.DataFrame:
    """The rows for `game_date` (a report also lists the next days' games; those days' own
    reports are fetched in their own partitions)."""
    try:
        document = read_injury_pdf(body)
        reported = report_time_utc(document.report_time)
    except ValueError as exc:
        raise PayloadError(SOURCE, ENDPOINT, game_date, key, str(exc)) from None
    rows = []
    for entry in document.entries:
        if datetime.strptime(entry.game_date, "%m/%d/%Y").date() != game_date:
            continue
        team = tricode_for_name(entry.team)
        if team is None:
            raise PayloadError(SOURCE, ENDPOINT, game_date, key,
                               f"unknown team {entry.team!r} for {entry.player_name!r}")
        rows.append({
            "game_date": game_date, "report_time_utc": reported,
            "game_time_et": entry.game_time, "matchup": entry.matchup, "team_abbr": team,
            "player_name": report_name(entry.player_name),
            "status": normalise_status(entry.status), "status_raw": entry.status,
            "reason": entry.reason, "source": SOURCE, "landing_key": key})
    return _frame(rows)


def _frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[c for c in ROW_COLUMNS if c != "player_lookup"])
    frame.insert(6, "player_lookup", player_lookup_series(frame["player_name"])
                 if len(frame) else pd.Series(dtype="object"))
    return frame
