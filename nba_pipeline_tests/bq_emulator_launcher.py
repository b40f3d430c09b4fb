"""Start the BigQuery emulator (PyPI `bqemulator`) offline. Runs in `.emulators/bq-venv`, not the
project venv (its pins can clash with ours), so it imports nothing from this project.

Two patches, both about the emulator, not about the code under test:
1. DuckDB's `spatial` extension is downloaded at start; offline that fails. Only GEOGRAPHY/ST_*
   need it and no table of ours has such a column, so the load is skipped.
2. The upload route rejects a multipart media part with Content-Type `*/*`, which
   google-cloud-bigquery's load jobs send (real BigQuery accepts it), so `*/*` is permitted.

Usage: python bq_emulator_launcher.py start --rest-host 127.0.0.1 --rest-port P ...
"""

from __future__ import annotations


def _patch() -> None:
    from bqemulator.api.routes import upload
    from bqemulator.storage.engine import DuckDBEngine

    DuckDBEngine._load_spatial = lambda self: None  # type: ignore[method-assign]
    if "*/*" not in upload._PERMITTED_MEDIA_CONTENT_TYPES:
        upload._PERMITTED_MEDIA_CONTENT_TYPES = (*upload._PERMITTED_MEDIA_CONTENT_TYPES, "*/*")


if __name__ == "__main__":
    _patch()
    from bqemulator.cli import main

    main()
