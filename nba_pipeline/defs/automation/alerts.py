"""Alerts: failed runs and failed asset checks, posted as Slack-style JSON to a webhook.

The webhook URL comes from `NBA_PIPELINE_ALERT_WEBHOOK` (a Dagster `EnvVar`, read when a sensor
ticks). It is itself a secret: it is never logged, and the posted text is scrubbed of it and of
every value of a secret-looking environment variable (`*KEY*`, `*TOKEN*`, `*SECRET*`,
`*PASSWORD*`, `*WEBHOOK*`) and of `apiKey=`-style URL parameters. Unset, alerts are skipped
with a SkipReason (no failure, no noise).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import requests
from dagster import (
    AssetCheckEvaluation,
    DagsterEventType,
    DagsterRun,
    DagsterRunStatus,
    DefaultSensorStatus,
    EnvVar,
    RunFailureSensorContext,
    RunsFilter,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    run_failure_sensor,
    sensor,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

WEBHOOK = EnvVar("NBA_PIPELINE_ALERT_WEBHOOK")
TIMEOUT_SECONDS = 10
MAX_TEXT = 2500
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|WEBHOOK|CREDENTIAL", re.IGNORECASE)
SECRET_PARAM = re.compile(r"(?i)\b(api[_-]?key|apikey|key|token|access_token|secret)=([^&\s\"']+)")
REDACTED = "[redacted]"
FINISHED = [DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED]


def scrub(text: str, extra_secrets: Sequence[str] = ()) -> str:
    """Remove secret values (env vars with secret-looking names, URL key params, the webhook)."""
    secrets = [v for k, v in os.environ.items() if SECRET_NAME.search(k) and len(v) >= 6]
    for secret in sorted({*secrets, *(s for s in extra_secrets if s)}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return SECRET_PARAM.sub(lambda m: f"{m.group(1)}={REDACTED}", text)


def slack_message(title: str, fields: Mapping[str, str], detail: str = "") -> dict[str, Any]:
    """Slack incoming-webhook JSON: `text` for notifications, `blocks` for the layout."""
    field_text = "\n".join(f"*{k}:* {v}" for k, v in fields.items())
    text = f"{title}\n{field_text}" + (f"\n{detail}" if detail else "")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"}
                                       for k, v in fields.items()][:10]},
    ]
    if detail:
        blocks.append({"type": "section",
                       "text": {"type": "mrkdwn", "text": f"```{detail[:MAX_TEXT]}```"}})
    return {"text": text[:MAX_TEXT], "blocks": blocks}


def post(message: dict[str, Any], log: Any) -> bool:
    """POST the message to the webhook; False (logged without the URL) if unset or it fails."""
    url = WEBHOOK.get_value()
    if not url:
        log.info("alerts: NBA_PIPELINE_ALERT_WEBHOOK is not set; alert not sent")
        return False
    message = _scrub_tree(message, url)
    try:
        response = requests.post(url, json=message, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        log.error(f"alerts: webhook post failed ({type(exc).__name__}); URL not shown")
        return False
    if response.status_code >= 300:
        log.error(f"alerts: webhook answered HTTP {response.status_code}; URL not shown")
        return False
    return True


def _scrub_tree(value: Any, url: str) -> Any:
    if isinstance(value, str):
        return scrub(value, [url])
    if isinstance(value, list):
        return [_scrub_tree(v, url) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_tree(v, url) for k, v in value.items()}
    return value


def run_partition(run: DagsterRun) -> str:
    """The partition (or range) a run covered, from its tags."""
    tags = run.tags
    if PARTITION_NAME_TAG in tags:
        return tags[PARTITION_NAME_TAG]
    if ASSET_PARTITION_RANGE_START_TAG in tags:
        return f"{tags[ASSET_PARTITION_RANGE_START_TAG]}..{tags[ASSET_PARTITION_RANGE_END_TAG]}"
    return "(unpartitioned)"


def planned_assets(instance: Any, run_id: str) -> dict[str, str]:
    """Step key -> asset key of every asset the run planned (our steps are one asset each)."""
    records = instance.get_records_for_run(
        run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION_PLANNED).records
    keys = [r.event_log_entry.dagster_event.asset_key for r in records]
    return {"__".join(k.path): k.to_user_string() for k in keys if k is not None}


def run_failure_message(context: RunFailureSensorContext) -> dict[str, Any]:
    run = context.dagster_run
    step_assets = planned_assets(context.instance, run.run_id)
    failed_assets = []
    errors = []
    for event in context.get_step_failure_events():
        name = step_assets.get(event.step_key or "", event.step_key or "?")
        failed_assets.append(name)
        if event.step_failure_data and event.step_failure_data.error:
            errors.append(f"{name}: {event.step_failure_data.error.message.strip()}")
    fields = {
        "job": run.job_name,
        "run": run.run_id,
        "partition": run_partition(run),
        "failed assets": ", ".join(failed_assets) or "(run-level failure)",
        "assets in run": ", ".join(sorted(step_assets.values())[:12]) or "(none planned)",
    }
    detail = "\n".join(errors[:5]) or (context.failure_event.message or "")
    return slack_message(f"nba_pipeline run failed: {run.job_name}", fields, detail)


@run_failure_sensor(name="run_failure_alert", default_status=DefaultSensorStatus.RUNNING,
                    minimum_interval_seconds=30, monitor_all_code_locations=False,
                    description="Posts every failed run (asset, partition, error) to the "
                                "NBA_PIPELINE_ALERT_WEBHOOK webhook.")
def run_failure_alert(context: RunFailureSensorContext) -> None:
    post(run_failure_message(context), context.log)


def check_failure_message(evaluation: AssetCheckEvaluation, run_id: str) -> dict[str, Any]:
    metadata = {k: getattr(v, "value", v) for k, v in (evaluation.metadata or {}).items()}
    partition = evaluation.partition or metadata.get("partition") or "(unpartitioned)"
    fields = {
        "asset": evaluation.asset_key.to_user_string(),
        "check": evaluation.check_name,
        "partition": str(partition),
        "severity": evaluation.severity.value,
        "run": run_id,
    }
    detail_keys = [k for k in metadata if k not in {"partition"}][:8]
    detail = "\n".join(f"{k}: {str(metadata[k])[:300]}" for k in detail_keys)
    return slack_message(f"nba_pipeline check failed: {evaluation.asset_key.to_user_string()}"
                         f" / {evaluation.check_name}", fields, detail)


def failed_checks_since(instance: Any, cursor: float, limit: int = 50
                        ) -> tuple[list[tuple[AssetCheckEvaluation, str]], float]:
    """Failed check evaluations of runs finished after `cursor` (an update timestamp).

    Read run by run (`get_records_for_run`): a cursor over the whole event log is not
    supported by the default run-sharded SQLite storage.
    """
    records = instance.get_run_records(
        filters=RunsFilter(statuses=FINISHED,
                           updated_after=datetime.fromtimestamp(cursor, tz=timezone.utc)),
        limit=limit, order_by="update_timestamp", ascending=True)
    failed = []
    for record in records:
        cursor = max(cursor, record.update_timestamp.timestamp())
        events = instance.get_records_for_run(
            record.dagster_run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION).records
        for event in events:
            evaluation = event.event_log_entry.dagster_event.event_specific_data
            if isinstance(evaluation, AssetCheckEvaluation) and not evaluation.passed:
                failed.append((evaluation, record.dagster_run.run_id))
    return failed, cursor


@sensor(name="check_failure_alert", default_status=DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=30,
        description="Posts every failed asset check (asset, partition, check) to the "
                    "NBA_PIPELINE_ALERT_WEBHOOK webhook.")
def check_failure_alert(context: SensorEvaluationContext) -> SensorResult:
    if not context.cursor:
        # First tick: start from now, do not replay the whole history of check results.
        return SensorResult(skip_reason=SkipReason("started watching check results"),
                            cursor=str(time.time()))
    failed, cursor = failed_checks_since(context.instance, float(context.cursor))
    sent = sum(post(check_failure_message(ev, run_id), context.log) for ev, run_id in failed)
    reason = f"{len(failed)} failed check(s), {sent} alert(s) sent"
    return SensorResult(skip_reason=SkipReason(reason), cursor=str(cursor))


sensors = [run_failure_alert, check_failure_alert]
