"""Landing stores: where raw payloads are kept exactly as fetched, before anything parses them.

Keys are deterministic: ``{source}/{endpoint}/{game_date}/{fetched_at}/{name}`` (see
`landing_key`). A local folder and a GCS bucket implement the same small interface, so the
landing assets, the raw parsers and the landing sensor never know which one they use.
"""

from __future__ import annotations

import os
import tempfile
from abc import abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from dagster import ConfigurableResource

FETCHED_AT_FORMAT = "%Y%m%dT%H%M%SZ"


def landing_key(source: str, endpoint: str, game_date: date, fetched_at: datetime, name: str) -> str:
    fetched = fetched_at.astimezone(timezone.utc).strftime(FETCHED_AT_FORMAT)
    return f"{source}/{endpoint}/{game_date.isoformat()}/{fetched}/{name}"


@dataclass(frozen=True)
class LandedKey:
    """A landing key split into its parts (the sensor and the parsers read them)."""

    key: str
    source: str
    endpoint: str
    game_date: date
    fetched_at: str
    name: str

    @classmethod
    def parse(cls, key: str) -> LandedKey:
        """Raise ValueError with the key in the message if it does not follow the layout."""
        parts = key.split("/")
        if len(parts) != 5:
            raise ValueError(f"landing key {key!r} is not source/endpoint/date/fetched_at/name")
        try:
            game_date = date.fromisoformat(parts[2])
            datetime.strptime(parts[3], FETCHED_AT_FORMAT)
        except ValueError as exc:
            raise ValueError(f"landing key {key!r}: cannot parse date or fetch time ({exc})") from None
        return cls(key, parts[0], parts[1], game_date, parts[3], parts[4])


class LandingStore(ConfigurableResource):
    """Interface: write, read, list. Implementations must make writes atomic."""

    @abstractmethod
    def write_bytes(self, key: str, data: bytes) -> str: ...

    @abstractmethod
    def read_bytes(self, key: str) -> bytes: ...

    @abstractmethod
    def list_keys(self, prefix: str = "") -> list[str]:
        """All keys under `prefix`, sorted."""

    def exists(self, key: str) -> bool:
        return key in self.list_keys(key)

    def latest_fetch(self, source: str, endpoint: str, game_date: date) -> list[str]:
        """Keys of the most recent fetch of one endpoint for one game date ([] if none)."""
        keys = self.list_keys(f"{source}/{endpoint}/{game_date.isoformat()}/")
        if not keys:
            return []
        latest = max(LandedKey.parse(k).fetched_at for k in keys)
        return [k for k in keys if LandedKey.parse(k).fetched_at == latest]

    def latest_fetches(
        self, source: str, endpoint: str, game_dates: Iterable[date]
    ) -> dict[date, list[str]]:
        """`latest_fetch` for many dates with one listing of the endpoint's prefix."""
        wanted = set(game_dates)
        by_date: dict[date, dict[str, list[str]]] = {}
        for key in self.list_keys(f"{source}/{endpoint}/"):
            parsed = LandedKey.parse(key)
            if parsed.game_date in wanted:
                by_date.setdefault(parsed.game_date, {}).setdefault(parsed.fetched_at, []).append(key)
        return {d: fetches[max(fetches)] for d, fetches in by_date.items()}


class LocalLandingStore(LandingStore):
    """A folder on disk. Writes go to a temp file and are renamed, so readers never see half a file."""

    base_dir: str

    def _path(self, key: str) -> Path:
        path = (Path(self.base_dir) / key).resolve()
        if not str(path).startswith(str(Path(self.base_dir).resolve())):
            raise ValueError(f"landing key {key!r} escapes the landing folder")
        return path

    def write_bytes(self, key: str, data: bytes) -> str:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def read_bytes(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def list_keys(self, prefix: str = "") -> list[str]:
        base = Path(self.base_dir)
        if not base.exists():
            return []
        # Walk only the deepest existing folder of the prefix, not the whole store.
        folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        root = base / folder
        if not root.exists():
            return []
        keys = []
        for path in root.rglob("*"):
            if path.is_file() and not path.name.startswith(".tmp-"):
                key = path.relative_to(base).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        return sorted(keys)

    def modified_ns(self, key: str) -> int:
        return self._path(key).stat().st_mtime_ns
