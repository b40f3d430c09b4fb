"""Checks are plain functions over the frame an asset just produced; Dagster sees AssetCheckSpecs.

Evaluating inside the asset means a single-run backfill checks every day it wrote without
reloading the table, and each result names the partition window it covers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey, MetadataValue


@dataclass(frozen=True)
class Outcome:
    passed: bool
    metadata: dict[str, Any] = field(default_factory=dict)


CheckFn = Callable[[pd.DataFrame, Mapping[str, pd.DataFrame]], Outcome]


@dataclass(frozen=True)
class Check:
    """A named rule. `blocking` stops downstream assets when it fails; `warn` only warns.

    `threshold` is the pass/fail bound in words (also in the description), shown in the UI's
    check metadata and in docs/checks.md.
    """

    name: str
    description: str
    fn: CheckFn
    blocking: bool = False
    warn: bool = False
    threshold: str = ""

    def spec(self, asset_key: AssetKey) -> AssetCheckSpec:
        return AssetCheckSpec(self.name, asset=asset_key, description=self.description,
                              blocking=self.blocking, metadata=self.spec_metadata())

    def spec_metadata(self) -> dict[str, str]:
        return {"threshold": self.threshold or "see description",
                "severity": "WARN" if self.warn else "ERROR",
                "blocking": str(self.blocking).lower()}


def specs(asset_key: AssetKey, checks: Sequence[Check]) -> list[AssetCheckSpec]:
    return [c.spec(asset_key) for c in checks]


def evaluate(
    asset_key: AssetKey,
    checks: Sequence[Check],
    frame: pd.DataFrame,
    partition: str,
    inputs: Mapping[str, pd.DataFrame] | None = None,
) -> Iterator[AssetCheckResult]:
    for check in checks:
        try:
            outcome = check.fn(frame, inputs or {})
        except Exception as exc:  # a check that crashes fails; it never passes on error
            outcome = Outcome(False, {"error": f"{type(exc).__name__}: {exc}"[:500]})
        metadata = {"partition": partition, "rows_checked": len(frame),
                    "threshold": check.threshold or check.description, **outcome.metadata}
        yield AssetCheckResult(
            asset_key=asset_key,
            check_name=check.name,
            passed=outcome.passed,
            severity=AssetCheckSeverity.WARN if check.warn else AssetCheckSeverity.ERROR,
            description=check.description,
            metadata={k: _meta(v) for k, v in metadata.items()},
        )


def _meta(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return MetadataValue.md(value.head(20).to_markdown(index=False) if len(value) else "none")
    if isinstance(value, list | tuple):
        return MetadataValue.json(list(value)[:50])
    if hasattr(value, "item"):
        return value.item()
    return value


def sample(frame: pd.DataFrame, columns: Sequence[str], n: int = 10) -> list[dict[str, Any]]:
    """A few offending rows, JSON-ready, for a person reading a failed check."""
    rows = frame[list(columns)].head(n).astype(object).where(frame[list(columns)].head(n).notna())
    return [{k: (str(v) if v is not None else None) for k, v in r.items()}
            for r in rows.to_dict("records")]


# Shown next to the key columns in duplicate samples, so a person can recognise the rows.
READABLE_COLUMNS = ("game_date", "player_name", "team_abbr")


def duplicate_keys(keys: Sequence[str]) -> CheckFn:
    def fn(frame: pd.DataFrame, _: Mapping[str, pd.DataFrame]) -> Outcome:
        dup = frame[frame.duplicated(list(keys), keep=False)] if len(frame) else frame
        shown = [*keys, *(c for c in READABLE_COLUMNS if c in frame.columns and c not in keys)]
        return Outcome(len(dup) == 0, {"duplicate_rows": len(dup), "key": ", ".join(keys),
                                       "sample": sample(dup, shown) if len(dup) else []})
    return fn


def unique_rows(name: str, keys: Sequence[str], why: str = "", *,
                blocking: bool = True) -> Check:
    """The usual key check: one row per `keys` in what the asset wrote (0 duplicates)."""
    description = f"One row per ({', '.join(keys)}) (0 duplicates)." + (f" {why}" if why else "")
    return Check(name, description, duplicate_keys(keys), blocking=blocking,
                 threshold="0 duplicate rows")


def out_of_range(frame: pd.DataFrame, bounds: Mapping[str, tuple[float, float]],
                 shown: Sequence[str], n: int = 10) -> Outcome:
    """Rows where any column of `bounds` lies outside its closed [low, high] (NULLs pass).

    Per column: how many rows are out and the worst values, plus a sample of offending rows
    (`shown` columns, the checked ones appended) for a person to find them in the source.
    """
    if frame.empty:
        return Outcome(True, {"bad_rows": 0})
    masks = {c: frame[c].notna() & ~frame[c].between(lo, hi) for c, (lo, hi) in bounds.items()}
    bad = frame[pd.concat(list(masks.values()), axis=1).any(axis=1)]
    by_column = {c: {"allowed": f"{lo:g}..{hi:g}", "bad_rows": int(masks[c].sum()),
                     "min": _num(frame.loc[masks[c], c].min()),
                     "max": _num(frame.loc[masks[c], c].max())}
                 for c, (lo, hi) in bounds.items() if masks[c].any()}
    columns = [*shown, *(c for c in bounds if c not in shown)]
    return Outcome(len(bad) == 0, {"bad_rows": len(bad), "by_column": by_column,
                                   "sample": sample(_dates(bad), columns, n) if len(bad) else []})


def _dates(frame: pd.DataFrame) -> pd.DataFrame:
    """`game_date` as 2024-03-05, not 2024-03-05 00:00:00, in what a person reads."""
    if "game_date" not in frame.columns:
        return frame
    return frame.assign(game_date=pd.to_datetime(frame["game_date"]).dt.strftime("%Y-%m-%d"))


def _num(value: Any) -> float | None:
    return None if pd.isna(value) else float(value)
