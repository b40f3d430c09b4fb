"""The Odds API payloads -> raw rows: event odds for the player_points market, live or as a
historical snapshot (the same event odds inside a `timestamp`/`data` envelope)."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from nba_pipeline.constants import EASTERN
from nba_pipeline.domain.players import player_lookup_series
from nba_pipeline.domain.teams import tricode_for_name
from nba_pipeline.ingest.payloads.common import PayloadError, validate_payload
from nba_pipeline.ingest.payloads.odds_api import EventOddsPayload, HistoricalEventOddsPayload


def parse_event_odds(body: bytes, game_date: date, key: str) -> pd.DataFrame:
    endpoint = "event_odds_player_points"
    payload = validate_payload(EventOddsPayload, body, source="odds_api", endpoint=endpoint,
                               game_date=game_date, key=key)
    commence = pd.Timestamp(payload.commence_time)
    et_date = commence.tz_convert(EASTERN).date()
    if et_date != game_date:
        raise PayloadError("odds_api", endpoint, game_date, key,
                           f"event {payload.id} tips off on {et_date} (US/Eastern)")
    rows = []
    for book in payload.bookmakers:
        for market in book.markets:
            if market.key != "player_points":
                continue
            sides: dict[tuple[str, float], dict[str, float]] = {}
            for o in market.outcomes:
                sides.setdefault((o.description, o.point), {})[o.name.lower()] = o.price
            for (player, point), prices in sides.items():
                rows.append({
                    "game_date": game_date,
                    "event_id": payload.id,
                    "commence_time_utc": payload.commence_time,
                    "home_team_abbr": tricode_for_name(payload.home_team),
                    "away_team_abbr": tricode_for_name(payload.away_team),
                    "bookmaker": book.key,
                    "market": market.key,
                    "player_name": player,
                    "line_value": point,
                    "over_price": prices.get("over"),
                    "under_price": prices.get("under"),
                    "last_update_utc": market.last_update,
                    "source": "odds_api",
                    "landing_key": key,
                })
    frame = pd.DataFrame(rows)
    if len(frame):
        frame["player_lookup"] = player_lookup_series(frame["player_name"])
    return frame


def parse_historical_event_odds(body: bytes, game_date: date, key: str) -> pd.DataFrame:
    """Historical event odds: validate the snapshot envelope, then parse its `data` as live."""
    payload = validate_payload(HistoricalEventOddsPayload, body, source="odds_api",
                               endpoint="event_odds_player_points_historical",
                               game_date=game_date, key=key)
    return parse_event_odds(json.dumps(payload.data.model_dump(by_alias=True)).encode(),
                            game_date, key)
