"""Pipeline health over a game-date range: the replacement for the old execution-log table.

Plain data in, plain data out: `commands/health.py` reads the Dagster instance into `AssetFacts`,
and `summarize` decides, per asset, which partitions are materialized, missing, failed or late,
and which checks passed, warned or failed on the dates asked about.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from nba_pipeline.partitions import game_days_between

PASSED, WARNED, FAILED, NOT_RUN = "passed", "warned", "failed", "not run"
# A first materialization within this long after its deadline is "late"; later ones are backfills
# of history (loading last season today is not a missed deadline).
LATE_WINDOW = timedelta(days=2)


@dataclass(frozen=True)
class CheckRun:
    """One evaluation of a check; `window` is the game day it covered (its partition), or
    D1..D2 for a result recorded before checks were evaluated per day."""

    check: str
    passed: bool
    warn_only: bool
    window: str
    at: datetime

    @property
    def status(self) -> str:
        return PASSED if self.passed else WARNED if self.warn_only else FAILED

    def covers(self, day: date) -> bool:
        first, _, last = self.window.partition("..")
        try:
            return date.fromisoformat(first) <= day <= date.fromisoformat(last or first)
        except ValueError:
            return False


@dataclass
class AssetFacts:
    """What the instance knows about one asset for the range."""

    asset: str
    materialized_at: dict[date, datetime] = field(default_factory=dict)  # first time per date
    failed: set[date] = field(default_factory=set)  # dates whose latest attempt failed
    checks: Sequence[str] = ()
    check_runs: Sequence[CheckRun] = ()
    deadline: Callable[[date], datetime] | None = None  # when each date was due, if ever
    # Line player-games without a prediction from every system, per date (prediction_gaps'
    # latest materialization metadata `gaps_by_date`); empty for other assets.
    gaps: dict[date, int] = field(default_factory=dict)


@dataclass
class AssetHealth:
    asset: str
    materialized: int
    missing: list[str]
    failed: list[str]
    late: list[str]
    checks: dict[str, str]  # check -> worst status over the range
    check_failures: dict[str, list[str]]  # check -> dates where it failed or warned
    gaps: dict[str, int] = field(default_factory=dict)  # date -> prediction gaps (if recorded)

    @property
    def healthy(self) -> bool:
        return not (self.missing or self.failed or FAILED in self.checks.values())

    def counts(self) -> dict[str, int]:
        statuses = list(self.checks.values())
        return {s: statuses.count(s) for s in (PASSED, WARNED, FAILED, NOT_RUN)}


def dates(start: date, end: date) -> list[date]:
    """The game days of [start, end]: the partitions health reports on (partitions.py)."""
    return game_days_between(start, end)


def summarize(facts: Iterable[AssetFacts], start: date, end: date) -> list[AssetHealth]:
    days = dates(start, end)
    return [_asset_health(f, days) for f in facts]


def _asset_health(facts: AssetFacts, days: list[date]) -> AssetHealth:
    failed = [d for d in days if d in facts.failed]  # the latest attempt failed
    materialized = [d for d in days if d in facts.materialized_at and d not in facts.failed]
    missing = [d for d in days if d not in facts.materialized_at and d not in facts.failed]
    late = [d for d in materialized if facts.deadline
            and facts.deadline(d) < facts.materialized_at[d] <= facts.deadline(d) + LATE_WINDOW]
    checks: dict[str, str] = {}
    failures: dict[str, list[str]] = {}
    for check in facts.checks:
        statuses = []
        for day in days:
            runs = [r for r in facts.check_runs if r.check == check and r.covers(day)]
            if runs:
                latest = max(runs, key=lambda r: r.at)
                statuses.append(latest.status)
                if latest.status != PASSED:
                    failures.setdefault(check, []).append(day.isoformat())
        checks[check] = _worst(statuses)
    return AssetHealth(facts.asset, len(materialized), _iso(missing), _iso(failed), _iso(late),
                       checks, failures,
                       {d.isoformat(): facts.gaps[d] for d in days if d in facts.gaps})


def _worst(statuses: list[str]) -> str:
    for status in (FAILED, WARNED, PASSED):
        if status in statuses:
            return status
    return NOT_RUN


def _iso(days: list[date]) -> list[str]:
    return [d.isoformat() for d in days]


def to_json(report: list[AssetHealth], start: date, end: date) -> dict:
    return {
        "start": start.isoformat(), "end": end.isoformat(),
        "healthy": all(a.healthy for a in report),
        "assets": [{**asdict(a), "check_counts": a.counts(), "healthy": a.healthy}
                   for a in report],
    }


def render(report: list[AssetHealth], start: date, end: date) -> str:
    """A fixed-width table a person reads in a terminal, then the problems by date."""
    n = len(dates(start, end))
    head = (f"{'asset':45} {'materialized':>12} {'missing':>7} {'failed':>6} {'late':>4}  "
            f"{'checks ok':>9} {'warn':>4} {'fail':>4} {'not run':>7}")
    lines = [f"health {start}..{end} ({n} game dates)", head, "-" * len(head)]
    for a in report:
        c = a.counts()
        lines.append(f"{a.asset:45} {a.materialized:>7}/{n:<4} {len(a.missing):>7} "
                     f"{len(a.failed):>6} {len(a.late):>4}  {c[PASSED]:>9} {c[WARNED]:>4} "
                     f"{c[FAILED]:>4} {c[NOT_RUN]:>7}")
    problems = []
    for a in report:
        if a.failed:
            problems.append(f"  {a.asset}: failed partitions {_span(a.failed)}")
        if a.missing:
            problems.append(f"  {a.asset}: missing partitions {_span(a.missing)}")
        if a.late:
            problems.append(f"  {a.asset}: landed after its deadline {_span(a.late)}")
        for check, days in a.check_failures.items():
            problems.append(f"  {a.asset}: check {check} {a.checks[check]} on {_span(days)}")
    for a in report:
        if a.gaps:
            lines.append("")
            lines.append(f"{a.asset} per day (line player-games without every system's "
                         "prediction): " + ", ".join(f"{d} {n}" for d, n in a.gaps.items()))
    lines.append("")
    lines.append("problems:" if problems else "no problems found")
    return "\n".join(lines + problems)


def _span(days: list[str]) -> str:
    return days[0] if len(days) == 1 else f"{len(days)} dates ({days[0]} .. {days[-1]})"
