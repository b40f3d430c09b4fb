"""The declarative-automation sensor: raw -> analytics -> ... -> publishing, date by date.

The policy each asset follows is decided in lib/automation.py from tables.py (same-day inputs,
pre-tip refresh) and attached to the assets in definitions.py.
"""

from dagster import AssetSelection, AutomationConditionSensorDefinition, DefaultSensorStatus

from nba_pipeline.constants import SENSOR_INTERVAL_SECONDS, TRIGGER_TAG
from nba_pipeline.lib.automation import AUTOMATED_KEYS

# Runs by default so `dagster dev` carries landed data downstream without a click. Evaluated in
# the code server because the policy uses a Python condition (SameDayInputsMissing).
automation_sensor = AutomationConditionSensorDefinition(
    "nba_automation",
    target=AssetSelection.keys(*AUTOMATED_KEYS),
    default_status=DefaultSensorStatus.RUNNING,
    use_user_code_server=True,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    run_tags={TRIGGER_TAG: "automation"},
    description="Declarative automation: raw -> analytics -> features -> model -> predictions "
                "-> grading -> publishing, for every date whose inputs updated.",
)
