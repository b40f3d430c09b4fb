"""What every payload model shares: the error a bad payload raises and the one validator.

A payload that does not fit is never half-parsed: `validate_payload` raises `PayloadError`
naming the source, endpoint, game date, landing key and the field that broke.
"""

from __future__ import annotations

import json
from datetime import date
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError


class PayloadError(ValueError):
    """A landed payload could not be parsed. The file stays in the landing store."""

    def __init__(self, source: str, endpoint: str, game_date: date, key: str, detail: str):
        self.source, self.endpoint, self.game_date, self.key = source, endpoint, game_date, key
        super().__init__(
            f"{source}/{endpoint} payload for {game_date.isoformat()} is invalid: {detail} "
            f"(kept in the landing store at {key})"
        )


class PayloadModel(BaseModel):
    """Base of every payload model: unknown fields kept, fields settable by name or alias; a
    NaN or infinite number is invalid (no API means it, and it would pass into a NOT NULL
    column as a value)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, allow_inf_nan=False)


M = TypeVar("M", bound=BaseModel)


def validate_payload(
    model: type[M], body: bytes, *, source: str, endpoint: str, game_date: date, key: str
) -> M:
    """Decode and validate one body, or raise PayloadError saying which field broke."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(source, endpoint, game_date, key, f"malformed JSON ({exc})") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "<root>"
        detail = first["msg"].removeprefix("Value error, ")
        raise PayloadError(source, endpoint, game_date, key, f"field '{where}': {detail}") from None
