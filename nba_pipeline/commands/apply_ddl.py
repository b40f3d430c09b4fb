"""Create the BigQuery datasets and tables from sql/."""

from nba_pipeline.storage.apply_ddl import add_arguments, run  # noqa: F401
