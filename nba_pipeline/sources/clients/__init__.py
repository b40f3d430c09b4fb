"""One client per API, each a Dagster resource sharing the HTTP policy in `sources.http`."""

from nba_pipeline.sources.clients.balldontlie import BalldontlieClient
from nba_pipeline.sources.clients.base import ApiClient, RejectedPayload
from nba_pipeline.sources.clients.espn import EspnClient
from nba_pipeline.sources.clients.nba_com import NbaComClient
from nba_pipeline.sources.clients.nba_injury import NbaInjuryReportClient
from nba_pipeline.sources.clients.odds_api import OddsApiClient

__all__ = ["ApiClient", "BalldontlieClient", "EspnClient", "NbaComClient",
           "NbaInjuryReportClient", "OddsApiClient",
           "RejectedPayload"]
