"""Warehouse values as terminal text: one function, so no NULL of any type can crash a command.

DuckDB hands back NULL as None (`fetchall`) or as None/NaN/NaT/pd.NA (`fetchdf`, by column
type); a FLOAT column may also hold NaN. Truth-testing pd.NA raises, and formatting None with a
numeric spec raises, so every printed cell goes through `cell`.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

MISSING = "-"


def is_null(value: Any) -> bool:
    """True for None, NaN, NaT and pd.NA; False for every real value (0, False, "")."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # containers: not a scalar NULL
        return False


def cell(value: Any, spec: str = "", width: int = 0) -> str:
    """`value` formatted with `spec` (e.g. ".1f"), NULL as "-", right-aligned to `width`."""
    if is_null(value):
        text = MISSING
    elif isinstance(value, (bool, np.bool_)):
        text = "yes" if value else "no"
    elif isinstance(value, datetime):  # pd.Timestamp included
        text = value.strftime("%Y-%m-%d %H:%M") if spec == "" else format(value, spec)
    elif isinstance(value, date):
        text = value.isoformat() if spec == "" else format(value, spec)
    else:
        try:
            text = format(value, spec)
        except (TypeError, ValueError):  # e.g. a Decimal or string where a float spec was asked
            text = str(value)
    return text.rjust(width) if width else text


def text(value: Any, width: int) -> str:
    """A left-aligned, truncated string cell; NULL as "-"."""
    return (MISSING if is_null(value) else str(value))[:width].ljust(width)
