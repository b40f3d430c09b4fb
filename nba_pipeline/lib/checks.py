"""Checks are plain functions over the frame an asset just produced; Dagster sees AssetCheckSpecs.

Evaluating inside the asset means a single-run backfill checks every day it wrote without
reloading the table. Every check is partitioned like its asset (the preview
`AssetCheckSpec(partitions_def=...)`) and is evaluated once per game day of the run: each day's
result is an `AssetCheckEvaluation` for that partition, so the UI, `health`, alerts and
automation see which day failed and the other days of a range pass (docs/checks.md).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetRecordsFilter,
    MetadataValue,
    Output,
    PreviewWarning,
)
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)

from nba_pipeline.partitions import daily_partitions


@dataclass(frozen=True)
class Outcome:
    passed: bool
    metadata: dict[str, Any] = field(default_factory=dict)


CheckFn = Callable[[pd.DataFrame, Mapping[str, pd.DataFrame]], Outcome]


@dataclass(frozen=True)
class Check:
    """A named rule. `blocking` stops downstream assets when it fails; `warn` only warns.

    `threshold` is the pass/fail bound in words (also in the description), shown in the UI's
    check metadata and in docs/checks.md. The function sees one game day at a time: that day's
    rows and the day's rows of each input, except the `window_inputs` (history read over the
    days before each date), which it gets whole. `per_day=False` evaluates it once on the
    run's whole frame and records that result for every day (the schema check: a drifted frame
    writes no day).
    """

    name: str
    description: str
    fn: CheckFn
    blocking: bool = False
    warn: bool = False
    threshold: str = ""
    window_inputs: tuple[str, ...] = ()
    per_day: bool = True

    def spec(self, asset_key: AssetKey) -> AssetCheckSpec:
        with warnings.catch_warnings():  # partitioned checks are a preview in Dagster 1.13
            warnings.simplefilter("ignore", PreviewWarning)
            return AssetCheckSpec(self.name, asset=asset_key, description=self.description,
                                  blocking=self.blocking, metadata=self.spec_metadata(),
                                  partitions_def=daily_partitions)

    def spec_metadata(self) -> dict[str, str]:
        return {"threshold": self.threshold or "see description",
                "severity": "WARN" if self.warn else "ERROR",
                "blocking": str(self.blocking).lower()}


def specs(asset_key: AssetKey, checks: Sequence[Check]) -> list[AssetCheckSpec]:
    return [c.spec(asset_key) for c in checks]


def evaluate(
    context: AssetExecutionContext,
    asset_key: AssetKey,
    checks: Sequence[Check],
    frame: pd.DataFrame,
    inputs: Mapping[str, pd.DataFrame] | None = None,
) -> Iterator[Any]:
    """One evaluation per check and game day of the run, each for its own partition.

    Each evaluation targets that day's materialization of this run (so Dagster counts it as
    current for the partition); a failed blocking one fails the step after every day was
    reported. The check's own output is yielded once, as `AssetCheckResult` would.
    """
    days = list(context.partition_keys) if context.has_partition_key_range or \
        context.has_partition_key else []
    selected = context.selected_asset_check_keys
    todo = [c for c in checks if AssetCheckKey(asset_key, c.name) in selected]
    if not todo:
        return
    targets = _materializations(context, asset_key, days)
    for check in todo:
        key = AssetCheckKey(asset_key, check.name)
        yield Output(None, output_name=context.assets_def.get_output_name_for_asset_check_key(key))
        yield from evaluate_days(asset_key, [check], frame, days, inputs, targets)


def evaluate_days(
    asset_key: AssetKey,
    checks: Sequence[Check],
    frame: pd.DataFrame,
    days: Sequence[str],
    inputs: Mapping[str, pd.DataFrame] | None = None,
    targets: Mapping[str, AssetCheckEvaluationTargetMaterializationData] | None = None,
) -> Iterator[AssetCheckEvaluation]:
    """Each check's evaluation for each of `days` (ISO game days), on that day's rows."""
    window = days[0] if len(days) == 1 else f"{days[0]}..{days[-1]}" if days else ""
    frames = _by_day(frame, days)
    sliced = {name: _by_day(f, days) for name, f in (inputs or {}).items()}
    for check in checks:
        whole = _outcome(check, frame, inputs or {}) if not check.per_day else None
        for day in days:
            day_frame = frames.get(day, frame.iloc[0:0]) if frames is not None else frame
            if whole is None:
                day_inputs = {name: inputs[name] if name in check.window_inputs or by is None
                              else by.get(day, inputs[name].iloc[0:0])
                              for name, by in sliced.items()} if inputs else {}
                outcome = _outcome(check, day_frame, day_inputs)
            else:
                outcome = whole
            metadata = {"partition": day, "run_window": window, "rows_checked": len(day_frame),
                        "threshold": check.threshold or check.description, **outcome.metadata}
            yield AssetCheckEvaluation(
                asset_key=asset_key, check_name=check.name, passed=outcome.passed,
                metadata={k: _meta(v) for k, v in metadata.items()},
                target_materialization_data=(targets or {}).get(day),
                severity=AssetCheckSeverity.WARN if check.warn else AssetCheckSeverity.ERROR,
                description=check.description, blocking=check.blocking, partition=day)


def _outcome(check: Check, frame: pd.DataFrame, inputs: Mapping[str, pd.DataFrame]) -> Outcome:
    try:
        return check.fn(frame, inputs)
    except Exception as exc:  # a check that crashes fails; it never passes on error
        return Outcome(False, {"error": f"{type(exc).__name__}: {exc}"[:500]})


def _by_day(frame: pd.DataFrame, days: Sequence[str]) -> dict[str, pd.DataFrame] | None:
    """The frame's rows per game day (ISO keys); None for a frame without `game_date`."""
    if "game_date" not in frame.columns:
        return None
    if len(days) == 1:  # a daily run: the frame is that day
        return {days[0]: frame}
    keys = pd.to_datetime(frame["game_date"]).dt.strftime("%Y-%m-%d") if len(frame) else []
    return {str(day): part for day, part in frame.groupby(keys, sort=False)} if len(frame) \
        else {}


def _materializations(context: AssetExecutionContext, asset_key: AssetKey, days: Sequence[str]
                      ) -> dict[str, AssetCheckEvaluationTargetMaterializationData]:
    """This run's materialization of each day (written before the checks run), by day."""
    if not days:
        return {}
    records = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=asset_key, asset_partitions=list(days)),
        limit=len(days), ascending=False).records
    return {r.partition_key: AssetCheckEvaluationTargetMaterializationData(
        run_id=r.run_id, storage_id=r.storage_id, timestamp=r.timestamp)
        for r in records if r.run_id == context.run_id and r.partition_key}


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
