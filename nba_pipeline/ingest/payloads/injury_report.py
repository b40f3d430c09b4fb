"""The official NBA injury report, read out of its PDF into rows (`parsers/injury_report.py`).

The PDF has no machine-readable structure; these models validate what the reader extracted,
so a report whose layout changed fails naming the field instead of landing half-read rows.
"""

from __future__ import annotations

from pydantic import Field

from nba_pipeline.ingest.payloads.common import PayloadModel


class InjuryReportEntry(PayloadModel):
    game_date: str = Field(pattern=r"^\d{2}/\d{2}/\d{4}$")  # US-Eastern, as printed
    game_time: str | None = None  # "07:30 (ET)"
    matchup: str | None = Field(default=None, pattern=r"^[A-Z]{2,4}@[A-Z]{2,4}$")
    team: str = Field(min_length=2)  # full name, "San Antonio Spurs"
    player_name: str = Field(min_length=2)  # "Last, First" as printed
    status: str = Field(min_length=1)
    reason: str | None = None


class InjuryReportDocument(PayloadModel):
    report_time: str  # "01/04/24 12:30 PM", US-Eastern, from the page title
    entries: list[InjuryReportEntry]
    not_submitted: list[str] = []  # "MIL@SAS Milwaukee Bucks": teams that had not reported
