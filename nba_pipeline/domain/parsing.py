"""Transitional: the parsers moved to `nba_pipeline.ingest` (endpoints.py is their registry).

Kept only for `nba_pipeline/ml/evaluation.py`, which is being edited elsewhere; once it imports
`parse_landed` from `nba_pipeline.ingest.endpoints`, delete this module (and its exemption in
nba_pipeline_tests/ingest/test_endpoints.py). Nothing else may import it: `domain` does not
depend on `ingest` or `sources`.
"""

from nba_pipeline.ingest.endpoints import parse_landed

__all__ = ["parse_landed"]
