"""The official NBA injury report: a PDF published several times a day per game date.

Files are named by the hour they were published (US-Eastern), e.g.
`referee/injury/Injury-Report_2024-01-04_12PM.pdf`, with no index to list them: the client asks
for the latest hours first (for today, from the current hour down) and keeps the first that
exists. A missing hour answers 403 or 404 (the bucket's "no such key"), which is not a failure
of the source; any other error is. No hour found -> the caller falls back to Ball Don't Lie.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import ClassVar

from pydantic import Field

from nba_pipeline.constants import EASTERN
from nba_pipeline.ingest.endpoints import NBA_COM_INJURY_REPORT
from nba_pipeline.ingest.parsers.injury_report import read_injury_pdf
from nba_pipeline.ingest.payloads import PayloadError
from nba_pipeline.sources.base import Payload
from nba_pipeline.sources.clients.base import ApiClient, RejectedPayload, url_from_env
from nba_pipeline.sources.http import HttpFetchError, HttpPolicy

NOT_PUBLISHED = (403, 404)


class NbaInjuryReportClient(ApiClient):
    """ak-static.cms.nba.com (a public CDN bucket): no key."""

    SOURCE: ClassVar[str] = "nba_com"
    base_url: str = url_from_env("NBA_INJURY_REPORT_BASE_URL", "https://ak-static.cms.nba.com")
    policy: HttpPolicy = Field(default_factory=lambda: HttpPolicy(min_interval=0.5))
    # Hours tried per date, latest first; the last report of a game day is out by 11 PM ET.
    max_probes: int = 8
    last_hour_et: int = 23

    def headers(self) -> dict[str, str]:
        return {**super().headers(), "Accept": "application/pdf"}

    def hours(self, game_date: date, now: datetime | None = None) -> list[datetime]:
        """Publication hours to try for `game_date`, latest first, none in the future."""
        now = (now or datetime.now(EASTERN)).astimezone(EASTERN)
        latest = datetime.combine(game_date, time(self.last_hour_et), EASTERN)
        if now < latest:
            latest = now.replace(minute=0, second=0, microsecond=0)
        first = datetime.combine(game_date, time(0), EASTERN)
        return [h for h in (latest - timedelta(hours=i) for i in range(self.max_probes))
                if h >= first]

    def report(self, game_date: date, fetched_at: datetime) -> Payload:
        """The latest published report of `game_date`, validated as a report PDF."""
        tried: list[str] = []
        for hour in self.hours(game_date):
            name = f"Injury-Report_{game_date.isoformat()}_{hour:%I%p}.pdf"
            url = self.url(f"referee/injury/{name}")
            try:
                payload = self.get_payload(url, NBA_COM_INJURY_REPORT.endpoint, game_date,
                                           fetched_at, name, {"report_hour_et": f"{hour:%H}"})
            except HttpFetchError as exc:
                if exc.status in NOT_PUBLISHED:
                    tried.append(f"{hour:%I%p}")
                    continue
                raise
            try:
                read_injury_pdf(payload.body)
            except ValueError as exc:
                rejected = self.quarantined(payload)
                raise RejectedPayload(rejected, PayloadError(
                    payload.source, payload.endpoint, game_date, rejected.landing_key,
                    str(exc))) from None
            return payload
        raise HttpFetchError(self.SOURCE, self.url("referee/injury/"), game_date,
                             f"no injury report published for the hours tried "
                             f"({', '.join(tried) or 'none before now'})", len(tried))
