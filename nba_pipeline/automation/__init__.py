"""Sensors, schedules and the automation policy, exported as plain lists for definitions.py.

- `schedules`: scraping in US/Eastern (landing assets only).
- `sensors`: the landing sensor, the declarative-automation sensor, and the alert sensors.
- `jobs`: the scraping jobs the schedules target.
- `with_automation(assets)`: applies the one automation policy (automation/conditions.py).
"""

from dagster import AssetSelection, AutomationConditionSensorDefinition, DefaultSensorStatus

from nba_pipeline.automation.alerts import check_failure_alert, run_failure_alert
from nba_pipeline.automation.conditions import AUTOMATED_KEYS, with_automation
from nba_pipeline.automation.landing_sensor import landing_sensor
from nba_pipeline.automation.schedules import schedules, scrape_jobs

# Runs by default so `dagster dev` carries landed data downstream without a click. Evaluated in
# the code server because the policy uses a Python condition (SameDayInputsMissing).
automation_sensor = AutomationConditionSensorDefinition(
    "nba_automation",
    target=AssetSelection.keys(*AUTOMATED_KEYS),
    default_status=DefaultSensorStatus.RUNNING,
    use_user_code_server=True,
    minimum_interval_seconds=30,
    run_tags={"nba_pipeline/trigger": "automation"},
    description="Declarative automation: raw -> analytics -> features -> model -> predictions "
                "-> grading -> publishing, for every date whose inputs updated.",
)

sensors = [landing_sensor, automation_sensor, run_failure_alert, check_failure_alert]
jobs = list(scrape_jobs)

__all__ = ["automation_sensor", "jobs", "schedules", "sensors", "with_automation"]
