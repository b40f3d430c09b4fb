"""Small slices of the recorded real data, replayed through the pipeline's parsers once per run.

Shared by the analytics, feature and model tests (cached: the slices are read-only; tests that
change data copy first).
"""

from __future__ import annotations

from datetime import date
from functools import cache

import pandas as pd

from nba_pipeline.ml.evaluation import Tables, build_tables, replayed_raw

# Mid-season history, then the first fortnight of the points lines (2024-03-02..).
SLICE_START = date(2023, 12, 1)
SLICE_END = date(2024, 3, 17)


@cache
def real_raw(start: date = SLICE_START, end: date = SLICE_END) -> dict[str, pd.DataFrame]:
    return replayed_raw(start, end)


@cache
def real_tables(start: date = SLICE_START, end: date = SLICE_END) -> Tables:
    return build_tables(real_raw(start, end), start, end)


def copy_raw(start: date = SLICE_START, end: date = SLICE_END) -> dict[str, pd.DataFrame]:
    return {k: v.copy() for k, v in real_raw(start, end).items()}
