"""nba_pipeline: NBA box scores and player-prop lines to graded points predictions, on Dagster.

Importing the package does not import Dagster: `ingest`, `domain` and `tables` are plain Python.
Dagster's beta/preview warning filters are set where definitions are built (definitions.py).
"""

__version__ = "0.1.0"
