"""Pydantic models of The Odds API v4 payloads (event odds, events, historical snapshots)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import Field, RootModel, ValidationError, field_validator

from nba_pipeline.ingest.payloads.common import PayloadModel

# --- The Odds API v4: event odds, market player_points ----------------------------------------

OutcomeT = TypeVar("OutcomeT", bound=PayloadModel)


class OddsOutcome(PayloadModel):
    name: str
    description: str = Field(min_length=1)
    price: float
    point: float


class OddsMarket(PayloadModel, Generic[OutcomeT]):
    key: str
    last_update: str | None = None
    outcomes: list[OutcomeT]


class OddsBookmaker(PayloadModel, Generic[OutcomeT]):
    key: str
    title: str | None = None
    markets: list[OddsMarket[OutcomeT]]


class EventOdds(PayloadModel, Generic[OutcomeT]):
    """One event's odds; the outcome model differs by market (player props vs game lines)."""

    id: str = Field(min_length=1)
    sport_key: str
    commence_time: str
    home_team: str
    away_team: str
    bookmakers: list[OddsBookmaker[OutcomeT]]


class EventOddsPayload(EventOdds[OddsOutcome]):
    """`/v4/sports/{sport}/events/{id}/odds?markets=player_points`."""

    description: str | None = None
    point: float | None = None


class OddsEvent(PayloadModel):
    """One event of an events list. Validated one by one (`valid_events`), so one bad event
    (`commence_time: "TBD"`) is skipped and reported while the others are fetched."""

    id: str = Field(min_length=1)
    sport_key: str
    commence_time: str
    home_team: str
    away_team: str

    @field_validator("commence_time")
    @classmethod
    def _is_a_zoned_time(cls, value: str) -> str:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("not an ISO 8601 time") from None
        if moment.tzinfo is None:
            raise ValueError("an ISO 8601 time without a zone")
        return value

    @property
    def tip_off(self) -> datetime:
        return datetime.fromisoformat(self.commence_time.replace("Z", "+00:00"))


def valid_events(items: list[Any]) -> tuple[list[OddsEvent], list[str]]:
    """The items that are valid events, and for each other item why it was skipped."""
    events: list[OddsEvent] = []
    skipped: list[str] = []
    for index, item in enumerate(items):
        try:
            events.append(OddsEvent.model_validate(item))
        except ValidationError as exc:
            raw_id = item.get("id") if isinstance(item, dict) else None
            name = repr(raw_id)[:40] if isinstance(raw_id, str) else f"#{index}"
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "<root>"
            if first["type"] == "missing":
                why = f"field '{where}' missing"
            else:
                detail = first["msg"].removeprefix("Value error, ")
                why = f"field '{where}': {detail} (got {repr(first['input'])[:40]})"
            skipped.append(f"event {name} skipped: {why}")
    return events, skipped


class OddsEventsPayload(RootModel[list[Any]]):
    """`/v4/sports/{sport}/events`: a bare JSON list of events (each checked by `valid_events`)."""


class HistoricalEventsPayload(PayloadModel):
    """`/v4/historical/sports/{sport}/events`: a snapshot envelope around the events list."""

    timestamp: str
    previous_timestamp: str | None = None
    next_timestamp: str | None = None
    data: list[Any]  # each item checked by `valid_events`


class HistoricalEventOddsPayload(PayloadModel):
    """`/v4/historical/sports/{sport}/events/{id}/odds?markets=player_points` envelope."""

    timestamp: str
    previous_timestamp: str | None = None
    next_timestamp: str | None = None
    data: EventOddsPayload


class AnyOddsOutcome(PayloadModel):
    name: str
    price: float
    description: str | None = None
    point: float | None = None


# Game lines (h2h, spreads, totals): h2h outcomes have no `description`/`point`.
AnyEventOdds = EventOdds[AnyOddsOutcome]


class HistoricalAnyEventOddsPayload(PayloadModel):
    timestamp: str
    data: AnyEventOdds


class GameOddsPayload(RootModel[list[AnyEventOdds]]):
    """`/v4/sports/{sport}/odds?markets=h2h,spreads,totals`: every event of the day, one call."""


class HistoricalGameOddsPayload(PayloadModel):
    """`/v4/historical/sports/{sport}/odds` (a list of events) or `.../events/{id}/odds` (one
    event, the recorded samples' shape) inside a snapshot envelope."""

    timestamp: str
    previous_timestamp: str | None = None
    next_timestamp: str | None = None
    data: list[AnyEventOdds] | AnyEventOdds

    @property
    def events(self) -> list[AnyEventOdds]:
        return self.data if isinstance(self.data, list) else [self.data]
