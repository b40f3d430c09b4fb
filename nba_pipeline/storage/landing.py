"""Landing stores: where raw payloads are kept exactly as fetched, before anything parses them.

Keys are deterministic: ``{source}/{endpoint}/{game_date}/{fetched_at}/{name}`` (see
`landing_key`). A local folder and a GCS bucket implement the same small interface, so the
landing assets, the raw parsers and the landing sensor never know which one they use.
"""

from __future__ import annotations

import os
import tempfile
from abc import abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from dagster import ConfigurableResource

FETCHED_AT_FORMAT = "%Y%m%dT%H%M%SZ"


def landing_key(source: str, endpoint: str, game_date: date, fetched_at: datetime,
                name: str) -> str:
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
            raise ValueError(
                f"landing key {key!r}: cannot parse date or fetch time ({exc})"
            ) from None
        return cls(key, parts[0], parts[1], game_date, parts[3], parts[4])


class LandingStore(ConfigurableResource):
    """Interface: write, read, list, list-since-cursor. Implementations must make writes atomic
    (a key is listed only once its content is complete)."""

    @abstractmethod
    def write_bytes(self, key: str, data: bytes) -> str: ...

    @abstractmethod
    def read_bytes(self, key: str) -> bytes: ...

    @abstractmethod
    def list_keys(self, prefix: str = "") -> list[str]:
        """All keys under `prefix`, sorted."""

    @abstractmethod
    def list_since(self, prefix: str, cursor: str | None, limit: int
                   ) -> tuple[list[str], str | None]:
        """Up to `limit` keys under `prefix` that sort after `cursor`, in key order, and the
        cursor to pass next time (the last key returned, or `cursor` unchanged if none).

        The cursor is opaque to callers but ordered by key, so a sensor can page through a
        large prefix in bounded calls. Keys written later that sort before the cursor are not
        returned. Within one `source/endpoint/date/` prefix new fetches sort after old ones
        (keys embed the fetch time); across dates or endpoints a new key can sort before the
        cursor, so callers needing every new file keep a cursor per date prefix.
        """

    @abstractmethod
    def key_version(self, key: str) -> str:
        """Content identity of `key` (changes when the object is rewritten): lets a sensor tell
        a corrected file from one it has already seen."""

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
                fetches = by_date.setdefault(parsed.game_date, {})
                fetches.setdefault(parsed.fetched_at, []).append(key)
        return {d: fetches[max(fetches)] for d, fetches in by_date.items()}


class LocalLandingStore(LandingStore):
    """A folder on disk. Writes go to a temp file, then are renamed: never half a file listed."""

    base_dir: str

    def _path(self, key: str) -> Path:
        path = (Path(self.base_dir) / key).resolve()
        if not path.is_relative_to(Path(self.base_dir).resolve()):
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

    def list_since(self, prefix: str, cursor: str | None, limit: int
                   ) -> tuple[list[str], str | None]:
        """Walks folders in key order and prunes those wholly at or before the cursor, so a
        call costs about `limit` files plus one path of folders, not the whole store."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        base = Path(self.base_dir)
        folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        root = base / folder
        keys: list[str] = []
        if root.is_dir():
            for key in _walk_sorted(root, folder, prefix, cursor):
                keys.append(key)
                if len(keys) >= limit:
                    break
        return keys, (keys[-1] if keys else cursor)

    def key_version(self, key: str) -> str:
        stat = self._path(key).stat()
        return f"{stat.st_mtime_ns}-{stat.st_size}"

    def modified_ns(self, key: str) -> int:
        return self._path(key).stat().st_mtime_ns


def _walk_sorted(folder: Path, rel: str, prefix: str, cursor: str | None) -> Iterator[str]:
    """Keys under `folder` (relative path `rel`) in lexicographic key order, > cursor, with prefix.

    Entries are ordered as their key text ('dir/' vs 'file'), which is the order of the keys
    they hold; a folder whose every key sorts at or before `cursor` is skipped unopened.
    """
    entries = []
    for path in folder.iterdir():
        name = f"{rel}/{path.name}" if rel else path.name
        if path.is_dir():
            entries.append((name + "/", path, True))
        elif not path.name.startswith(".tmp-"):
            entries.append((name, path, False))
    for name, path, is_dir in sorted(entries):
        if is_dir:
            if not (name.startswith(prefix) or prefix.startswith(name)):
                continue
            if cursor is not None and name < cursor and not cursor.startswith(name):
                continue
            yield from _walk_sorted(path, name[:-1], prefix, cursor)
        elif name.startswith(prefix) and (cursor is None or name > cursor):
            yield name
