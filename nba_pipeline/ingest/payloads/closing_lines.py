"""The recorded closing game lines (shared data §8) as the replay source serves them: the day's
CSV rows as JSON, values as recorded (the file's own team codes, American moneylines)."""

from __future__ import annotations

from pydantic import Field

from nba_pipeline.ingest.payloads.common import PayloadModel


class ClosingLineRow(PayloadModel):
    season: int
    date: str  # US-Eastern, m/d/yy as recorded
    regular: bool
    playoffs: bool
    away: str = Field(min_length=1)
    home: str = Field(min_length=1)
    whos_favored: str | None = None  # "home" | "away"
    spread: float | None = None  # the favourite's margin, a magnitude
    total: float | None = None
    moneyline_away: float | None = None
    moneyline_home: float | None = None


class ClosingLinesPayload(PayloadModel):
    game_date: str
    source_file: str
    rows: list[ClosingLineRow]
