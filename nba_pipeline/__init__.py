"""nba_pipeline: NBA box scores and player-prop lines to graded points predictions, on Dagster."""

import warnings

from dagster import BetaWarning, PreviewWarning

# We use single-run backfill policies, blocking checks and time-window mappings on purpose
# (see README); their beta/preview warnings would otherwise drown every log line.
warnings.filterwarnings("ignore", category=BetaWarning)
warnings.filterwarnings("ignore", category=PreviewWarning)

__version__ = "0.1.0"
