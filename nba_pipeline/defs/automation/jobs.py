"""The main job: every asset for a game date, landing to published predictions."""

from dagster import define_asset_job

from nba_pipeline.partitions import daily_partitions

daily_pipeline_job = define_asset_job(
    "daily_pipeline", selection="*", partitions_def=daily_partitions,
    description="Every asset for a game date: landing -> raw -> analytics -> features -> "
    "predictions -> grading -> publishing.",
)
