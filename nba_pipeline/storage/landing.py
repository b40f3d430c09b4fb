"""Landing stores: where raw payloads are kept exactly as fetched, before anything parses them.

Keys are deterministic: ``{source}/{endpoint}/{game_date}/{fetched_at}/{name}`` (see
`landing_key`), built only from segments that pass an allow-list (`key_problem`): no value from
upstream data can name a path. Which fetch of a date is parsed is `select_fetches`: the newest
complete one not dated in the future; stray, nested or linked entries are skipped and reported.

A local folder and a GCS bucket implement the same small interface, so the landing assets, the
raw parsers and the landing sensor never know which one they use.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from abc import abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from dagster import ConfigurableResource

FETCHED_AT_FORMAT = "%Y%m%dT%H%M%SZ"
# Every segment of every key: an allow-list, so no segment is '.', '..', empty, hidden or holds
# a separator. A leading '_' is reserved for files the pipeline writes itself (manifests).
SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
# Names that come from upstream data (event ids, game ids) are kept only if they fit this;
# otherwise `safe_name` encodes them. They can never start with '_' (reserved).
UPSTREAM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
MANIFEST_NAME = "_manifest.json"
# Clock skew tolerated between the machine that fetched and the one that reads: a key dated
# later than now + this is not trusted (it would otherwise win "newest fetch" for ever).
FUTURE_TOLERANCE = timedelta(minutes=5)


class UnsafeKeyError(ValueError):
    """A key that could name a path outside its place in the layout; the message names it."""


def key_problem(key: str) -> str | None:
    """Why `key` is not a valid landing key (None if it is): checked on every write and read."""
    if not key:
        return "empty key"
    for segment in key.split("/"):
        if segment in (".", ".."):
            return f"segment {segment!r} would escape the landing folder"
        if not SEGMENT.fullmatch(segment):
            return (f"segment {segment!r} is empty, hidden, too long or has characters outside "
                    "[A-Za-z0-9_.-]")
    return None


def validate_key(key: str) -> str:
    problem = key_problem(key)
    if problem:
        raise UnsafeKeyError(f"landing key {key!r}: {problem}")
    return key


def safe_name(name: str) -> str:
    """`name` if it is a safe file name, else a readable slug plus a digest of the original.

    Deterministic (re-landing gives the same key) and collision-resistant (16 hex digits), so
    an id such as `../../nba_com/x` or `a/b` lands as one file in its own fetch folder.
    """
    if UPSTREAM_NAME.fullmatch(name):
        return name
    match = re.search(r"\.[A-Za-z0-9]{1,8}$", name)
    ext = match.group(0) if match and len(name) > len(match.group(0)) else ""
    stem = name[: len(name) - len(ext)]
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_-")[:40] or "id"
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    return f"{slug}-{digest}{ext}"


def _segment(value: str, what: str) -> str:
    if not SEGMENT.fullmatch(value):
        raise UnsafeKeyError(f"landing {what} {value!r} is not a safe key segment")
    return value


def fetched_at_text(fetched_at: datetime) -> str:
    return fetched_at.astimezone(timezone.utc).strftime(FETCHED_AT_FORMAT)


def landing_key(source: str, endpoint: str, game_date: date, fetched_at: datetime,
                name: str) -> str:
    """The key of one payload; upstream `name`s are encoded when unsafe (see `safe_name`)."""
    return (f"{_segment(source, 'source')}/{_segment(endpoint, 'endpoint')}/"
            f"{game_date.isoformat()}/{fetched_at_text(fetched_at)}/{safe_name(name)}")


def manifest_key(source: str, endpoint: str, game_date: date, fetched_at: str) -> str:
    """Where a fetch's manifest lives: beside its payloads, under a name no upstream can take."""
    return validate_key(f"{source}/{endpoint}/{game_date.isoformat()}/{fetched_at}/"
                        f"{MANIFEST_NAME}")


@dataclass(frozen=True)
class LandedKey:
    """A landing key split into its parts (the sensor and the parsers read them)."""

    key: str
    source: str
    endpoint: str
    game_date: date
    fetched_at: str
    name: str

    @property
    def is_manifest(self) -> bool:
        return self.name == MANIFEST_NAME

    @classmethod
    def parse(cls, key: str) -> LandedKey:
        """Raise ValueError with the key in the message if it does not follow the layout."""
        parts = key.split("/")
        if len(parts) != 5:
            raise ValueError(f"landing key {key!r} is not source/endpoint/date/fetched_at/name")
        problem = key_problem(key)
        if problem:
            raise ValueError(f"landing key {key!r}: {problem}")
        try:
            game_date = date.fromisoformat(parts[2])
            datetime.strptime(parts[3], FETCHED_AT_FORMAT)
        except ValueError as exc:
            raise ValueError(
                f"landing key {key!r}: cannot parse date or fetch time ({exc})"
            ) from None
        return cls(key, parts[0], parts[1], game_date, parts[3], parts[4])


@dataclass(frozen=True)
class Fetch:
    """One fetch of one endpoint for one date: its payload keys and, if landed, its manifest."""

    source: str
    endpoint: str
    game_date: date
    fetched_at: str
    keys: tuple[str, ...]
    partial: str | None = None  # why this fetch is partial; None: complete (or not known not)

    @property
    def prefix(self) -> str:
        return f"{self.source}/{self.endpoint}/{self.game_date.isoformat()}/{self.fetched_at}/"


@dataclass
class FetchSelection:
    """Which fetch each date parses, and every entry or fetch passed over, with the cause."""

    chosen: dict[date, Fetch] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # entry -> why it was not read
    partial: list[str] = field(default_factory=list)  # "prefix: why" for each partial fetch


def _entry_date(entry: str) -> date | None:
    parts = entry.split("/")
    try:
        return date.fromisoformat(parts[2]) if len(parts) > 2 else None
    except ValueError:
        return None


class LandingStore(ConfigurableResource):
    """Interface: write, read, list, list-since-cursor. Implementations must make writes atomic
    (a key is listed only once its content is complete) and refuse keys that fail
    `key_problem`, on write and on read; listings never return such entries (see `scan`)."""

    @abstractmethod
    def write_bytes(self, key: str, data: bytes) -> str: ...

    @abstractmethod
    def read_bytes(self, key: str) -> bytes: ...

    @abstractmethod
    def scan(self, prefix: str = "") -> tuple[list[str], dict[str, str]]:
        """Valid keys under `prefix` (sorted), and entries refused (entry -> reason): names
        outside the allow-list, symbolic links, anything that is not a plain object."""

    def list_keys(self, prefix: str = "") -> list[str]:
        """All valid keys under `prefix`, sorted."""
        return self.scan(prefix)[0]

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

    def latest_fetch(self, source: str, endpoint: str, game_date: date,
                     now: datetime | None = None) -> list[str]:
        """Payload keys of the fetch `select_fetches` parses for one date ([] if none)."""
        chosen = self.select_fetches(source, endpoint, [game_date], now).chosen.get(game_date)
        return list(chosen.keys) if chosen else []

    def latest_fetches(self, source: str, endpoint: str, game_dates: Iterable[date],
                       now: datetime | None = None) -> dict[date, list[str]]:
        """`latest_fetch` for many dates with one listing of the endpoint's prefix."""
        chosen = self.select_fetches(source, endpoint, game_dates, now).chosen
        return {d: list(f.keys) for d, f in chosen.items()}

    def select_fetches(self, source: str, endpoint: str, game_dates: Iterable[date],
                       now: datetime | None = None) -> FetchSelection:
        """Per date, the newest complete fetch not dated after `now`; never fatal.

        One listing of the endpoint prefix. Entries that are not valid keys of this layout
        (stray files, nested folders, links) and fetches dated in the future are skipped and
        reported. A fetch is partial when its manifest says so (the fetch failed half-way or
        landed fewer payloads than expected) or, manifest or not, when it holds fewer payloads
        than the complete fetch before it: it never replaces that one. A date with only
        partial fetches parses the one with the most payloads (newest on ties), reported.
        """
        wanted = set(game_dates)
        limit = fetched_at_text((now or datetime.now(timezone.utc)) + FUTURE_TOLERANCE)
        selection = FetchSelection()
        keys, refused = self.scan(f"{source}/{endpoint}/")
        for entry, reason in refused.items():
            if _entry_date(entry) in wanted or _entry_date(entry) is None:
                selection.skipped[entry] = reason
        by_date: dict[date, dict[str, list[LandedKey]]] = {}
        for key in keys:
            try:
                landed = LandedKey.parse(key)
            except ValueError as exc:
                if _entry_date(key) in wanted or _entry_date(key) is None:
                    selection.skipped[key] = str(exc)
                continue
            if landed.game_date not in wanted:
                continue
            if landed.fetched_at > limit:
                selection.skipped[key] = (f"fetch time {landed.fetched_at} is in the future "
                                          f"(later than {limit}): ignored")
                continue
            by_date.setdefault(landed.game_date, {}).setdefault(landed.fetched_at,
                                                                []).append(landed)
        for game_date, fetches in sorted(by_date.items()):
            chosen = self._choose(source, endpoint, game_date, fetches, selection)
            if chosen is not None:
                selection.chosen[game_date] = chosen
        return selection

    def _choose(self, source: str, endpoint: str, game_date: date,
                fetches: dict[str, list[LandedKey]], selection: FetchSelection) -> Fetch | None:
        best: Fetch | None = None
        partials: list[Fetch] = []
        for fetched_at in sorted(fetches):
            landed = fetches[fetched_at]
            payloads = tuple(sorted(k.key for k in landed if not k.is_manifest))
            fetch = Fetch(source, endpoint, game_date, fetched_at, payloads)
            manifests = [k.key for k in landed if k.is_manifest]
            why = self._manifest_partial(fetch, manifests, selection)
            if why is None and best is not None and len(payloads) < len(best.keys):
                why = (f"{len(payloads)} payload(s), fewer than the {len(best.keys)} of the "
                       f"fetch {best.fetched_at} it would replace")
            largest = max(partials, key=lambda f: len(f.keys), default=None)
            if (why is None and not manifests and largest is not None
                    and len(payloads) < len(largest.keys)):
                # No manifest: completeness unknown, and it holds less than a known partial.
                why = (f"{len(payloads)} payload(s) and no manifest, fewer than the "
                       f"{len(largest.keys)} of the partial fetch {largest.fetched_at}")
            if why is not None:
                fetch = Fetch(source, endpoint, game_date, fetched_at, payloads, why)
                if payloads:
                    partials.append(fetch)
                selection.partial.append(f"{fetch.prefix}: partial fetch ({why})")
            elif payloads:
                best = fetch
        if best is None and partials:
            best = max(partials, key=lambda f: (len(f.keys), f.fetched_at))
            selection.partial.append(f"{best.prefix}: parsed anyway, no complete fetch of "
                                     f"{game_date.isoformat()}")
        return best

    def _manifest_partial(self, fetch: Fetch, manifests: list[str],
                          selection: FetchSelection) -> str | None:
        """Why the fetch's manifest marks it partial (None: complete, or no manifest)."""
        if not manifests:
            return None
        try:
            manifest = json.loads(self.read_bytes(manifests[0]))
            complete, landed = bool(manifest["complete"]), int(manifest["payloads"])
            expected = manifest.get("expected")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            selection.skipped[manifests[0]] = f"unreadable manifest ({exc})"
            return None
        if not complete:
            return f"{landed} payload(s) landed: {manifest.get('reason') or 'fetch incomplete'}"
        if len(fetch.keys) < landed:
            return f"{len(fetch.keys)} payload(s) present of the {landed} its manifest lists"
        if expected is not None and len(fetch.keys) < int(expected):
            return f"{len(fetch.keys)} payload(s) of {expected} expected"
        return None


class LocalLandingStore(LandingStore):
    """A folder on disk. Writes go to a temp file, then are renamed: never half a file listed.

    Symbolic links are never followed, listed or read: a link can point anywhere, or back at
    a parent folder (a walk that never ends).
    """

    base_dir: str

    def _path(self, key: str) -> Path:
        validate_key(key)
        base = Path(self.base_dir).resolve()
        path = base / key
        if path.resolve() != path:
            raise UnsafeKeyError(f"landing key {key!r} goes through a symbolic link or escapes "
                                 "the landing folder")
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

    def scan(self, prefix: str = "") -> tuple[list[str], dict[str, str]]:
        # Walk only the deepest existing folder of the prefix, not the whole store.
        folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        root = Path(self.base_dir) / folder
        refused: dict[str, str] = {}
        if folder and (key_problem(folder) or not _plain_dir(Path(self.base_dir), folder)):
            return [], refused
        if not root.is_dir():
            return [], refused
        keys = list(_walk_sorted(root, folder, prefix, None, refused))
        return keys, refused

    def list_since(self, prefix: str, cursor: str | None, limit: int
                   ) -> tuple[list[str], str | None]:
        """Walks folders in key order and prunes those wholly at or before the cursor, so a
        call costs about `limit` files plus one path of folders, not the whole store."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        root = Path(self.base_dir) / folder
        keys: list[str] = []
        if (not folder or (not key_problem(folder) and _plain_dir(Path(self.base_dir), folder))
                ) and root.is_dir():
            for key in _walk_sorted(root, folder, prefix, cursor, None):
                keys.append(key)
                if len(keys) >= limit:
                    break
        return keys, (keys[-1] if keys else cursor)

    def key_version(self, key: str) -> str:
        stat = self._path(key).stat()
        return f"{stat.st_mtime_ns}-{stat.st_size}"


def _plain_dir(base: Path, folder: str) -> bool:
    """`folder` (relative to `base`) exists and no part of it is a symbolic link."""
    path = base
    for part in folder.split("/"):
        path = path / part
        if path.is_symlink() or not path.is_dir():
            return False
    return True


def _walk_sorted(folder: Path, rel: str, prefix: str, cursor: str | None,
                 refused: dict[str, str] | None) -> Iterator[str]:
    """Valid keys under `folder` (relative path `rel`) in key order, > cursor, with prefix.

    Entries are ordered as their key text ('dir/' vs 'file'), which is the order of the keys
    they hold; a folder whose every key sorts at or before `cursor` is skipped unopened. Links,
    special files and names outside the allow-list are not yielded; with `refused` given, each
    is recorded there with the reason (temp files of writes in flight are simply hidden).
    """
    entries = []
    with os.scandir(folder) as it:
        for entry in it:
            name = f"{rel}/{entry.name}" if rel else entry.name
            if not (name.startswith(prefix) or prefix.startswith(name + "/")):
                continue
            if entry.is_symlink():
                if refused is not None:
                    refused[name] = "a symbolic link: not followed, not read"
            elif entry.is_dir(follow_symlinks=False):
                entries.append((name + "/", Path(entry.path), True))
            elif entry.name.startswith(".tmp-"):
                continue
            elif not entry.is_file(follow_symlinks=False):
                if refused is not None:
                    refused[name] = "not a regular file"
            elif (problem := key_problem(name)) is not None:
                if refused is not None:
                    refused[name] = problem
            else:
                entries.append((name, Path(entry.path), False))
    for name, path, is_dir in sorted(entries):
        if is_dir:
            if cursor is not None and name < cursor and not cursor.startswith(name):
                continue
            yield from _walk_sorted(path, name[:-1], prefix, cursor, refused)
        elif name.startswith(prefix) and (cursor is None or name > cursor):
            yield name
