"""Phase 6: the day's active predictions as one JSON document a front end can read."""

import json

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetIn,
    BackfillPolicy,
    MaterializeResult,
    asset,
)

from nba_pipeline.lib.warehouse_asset import OWNERS, partition_dates, table_key
from nba_pipeline.partitions import daily_partitions
from nba_pipeline.storage.landing import LandingStore
from nba_pipeline.tables import PREDICTIONS, PUBLISHED

# 2: p_over, market_p_over, ev (issue 17); recommendations come from EV.
# 3: pass_reason (a player reported Out before tip-off is a PASS that says so).
SCHEMA_VERSION = "3"
PUBLISH_PREFIX = "published/predictions"


def publish_key(game_date: str) -> str:
    return f"{PUBLISH_PREFIX}/{game_date}.json"


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def predictions_document(game_date: str, predictions: pd.DataFrame) -> dict:
    """The published document; its JSON Schema is docs/predictions.schema.json."""
    active = predictions[predictions["is_active"].astype(bool)].sort_values(
        ["system_id", "player_lookup"])
    records = []
    for r in active.itertuples(index=False):
        records.append({
            "game_id": r.game_id, "player_lookup": r.player_lookup, "player_name": r.player_name,
            "team": r.team_abbr, "opponent": r.opponent_abbr, "system_id": r.system_id,
            "predicted_points": float(r.predicted_points),
            "line": None if pd.isna(r.line_value) else float(r.line_value),
            "edge": None if pd.isna(r.edge) else float(r.edge),
            "recommendation": r.recommendation, "confidence": float(r.confidence),
            "model_version": r.model_version,
            "p_over": _number(getattr(r, "p_over", None)),
            "market_p_over": _number(getattr(r, "market_p_over", None)),
            "ev": _number(getattr(r, "ev", None)),
            "pass_reason": None if pd.isna(getattr(r, "pass_reason", None))
            else str(r.pass_reason),
        })
    return {"schema_version": SCHEMA_VERSION, "game_date": game_date,
            "generated_at": pd.Timestamp.now(tz="UTC").isoformat(),
            "count": len(records), "predictions": records}


@asset(
    key=PUBLISHED.path, group_name=PUBLISHED.group,
    description="Per game date, the active predictions as JSON in the landing store.",
    partitions_def=daily_partitions, backfill_policy=BackfillPolicy.single_run(),
    ins={"predictions": AssetIn(table_key(PREDICTIONS))}, kinds={"json"}, owners=OWNERS,
)
def daily_predictions_json(context: AssetExecutionContext, landing_store: LandingStore,
                           predictions: pd.DataFrame) -> MaterializeResult:
    dates = pd.to_datetime(predictions["game_date"]).dt.date if len(predictions) else pd.Series()
    keys = []
    for game_date in partition_dates(context):
        doc = predictions_document(game_date.isoformat(), predictions[dates == game_date])
        keys.append(landing_store.write_bytes(publish_key(game_date.isoformat()),
                                              json.dumps(doc, indent=1).encode()))
    return MaterializeResult(metadata={"documents": len(keys), "keys": keys[:10]})


publishing_assets = [daily_predictions_json]
