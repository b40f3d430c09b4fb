"""Landed payloads -> typed raw rows, one module per API. Validation first; nothing is
half-parsed. Every parser is `(body, game_date, landing_key) -> DataFrame`; which parser reads
which endpoint is `nba_pipeline.ingest.endpoints`."""
