"""What a raw table parses for a date, shared by the raw assets and the landing sensor.

The raw asset records a digest of the files it parsed per date (`parsed_inputs` in its
materialization metadata); the landing sensor computes the same digest over the same choice of
fetches, so files a run (a backfill, a CLI range, an earlier sensor run) already parsed are never
requested again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timezone

from nba_pipeline.ingest.endpoints import Endpoint
from nba_pipeline.storage.landing import Fetch, LandingStore


def chosen_fetches(store: LandingStore, endpoints: Sequence[Endpoint],
                   dates: Sequence[date]) -> tuple[dict[date, Fetch], dict[str, str], list[str]]:
    """Per date, the one fetch to parse, plus what was passed over (skipped entries, partials).

    One source's fetch per date: a complete one before a partial one, then the newest (on a
    tie, the endpoint earlier in `endpoints`, i.e. the primary). A fallback lands after the
    failed primary, and a stale primary fetch must not stack its games on the fallback's.
    """
    now = datetime.now(timezone.utc)
    skipped: dict[str, str] = {}
    partial: list[str] = []
    chosen: dict[date, Fetch] = {}
    for entry in endpoints:
        selection = store.select_fetches(entry.source, entry.endpoint, dates, now)
        skipped.update(selection.skipped)
        partial += selection.partial
        for game_date, fetch in selection.chosen.items():
            current = chosen.get(game_date)
            if current is None or _rank(fetch) > _rank(current):
                chosen[game_date] = fetch
    return chosen, skipped, partial


def _rank(fetch: Fetch) -> tuple[bool, str]:
    return fetch.partial is None, fetch.fetched_at


def file_identities(store: LandingStore, keys: Sequence[str]) -> list[str]:
    """key@version of each file (key@gone for one deleted since it was listed)."""
    identities = []
    for key in keys:
        try:
            identities.append(f"{key}@{store.key_version(key)}")
        except (FileNotFoundError, LookupError, ValueError):
            identities.append(f"{key}@gone")
    return identities


def inputs_digest(store: LandingStore, fetch: Fetch | None) -> str:
    """key@version of every file of the fetch, hashed ("" when nothing landed)."""
    if fetch is None:
        return ""
    identities = file_identities(store, fetch.keys)
    return hashlib.sha256("\n".join(sorted(identities)).encode()).hexdigest()[:16]


def parsed_inputs(store: LandingStore, chosen: Mapping[date, Fetch]) -> dict[str, str]:
    """Per game date (ISO), the digest of the files parsed for it."""
    return {d.isoformat(): inputs_digest(store, fetch) for d, fetch in sorted(chosen.items())}
