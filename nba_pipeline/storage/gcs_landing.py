"""GCS landing store. GCS object writes are atomic: an object is listed only once complete.

Production uses the stock `storage.Client(project)` with application-default credentials. When
`emulator_endpoint` is set (tests against fake-gcs-server only), the client talks to it with
anonymous credentials; every call below is the same on both.

Symmetric with the local folder: every key is checked by `key_problem` on write and read, and
listings never return an object whose name fails it (`scan` reports those instead). GCS has no
folders or links, but an object name can hold `..`, `//` or a trailing `/` all the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from google.cloud import storage
from pydantic import PrivateAttr

from nba_pipeline.storage.landing import LandingStore, key_problem, validate_key


class GCSLandingStore(LandingStore):
    bucket: str
    prefix: str = ""
    project: str | None = None
    emulator_endpoint: str | None = None

    _client: Any = PrivateAttr(default=None)

    def client(self) -> storage.Client:
        """One client per resource instance (creating one resolves credentials: not per call)."""
        if self._client is None:
            if self.emulator_endpoint:
                from google.api_core.client_options import ClientOptions
                from google.auth.credentials import AnonymousCredentials

                self._client = storage.Client(
                    project=self.project or "emulated", credentials=AnonymousCredentials(),
                    client_options=ClientOptions(api_endpoint=self.emulator_endpoint))
            else:
                self._client = storage.Client(project=self.project)
        return self._client

    def _bucket(self) -> storage.Bucket:
        return self.client().bucket(self.bucket)

    def _name(self, key: str) -> str:
        return f"{self.prefix.rstrip('/')}/{key}" if self.prefix else key

    def _key(self, name: str) -> str:
        return name[len(self._name("")):]

    def write_bytes(self, key: str, data: bytes) -> str:
        self._bucket().blob(self._name(validate_key(key))).upload_from_string(data)
        return key

    def read_bytes(self, key: str) -> bytes:
        return self._bucket().blob(self._name(validate_key(key))).download_as_bytes()

    def scan(self, prefix: str = "") -> tuple[list[str], dict[str, str]]:
        blobs = self.client().list_blobs(self.bucket, prefix=self._name(prefix))
        return split_names(self._key(b.name) for b in blobs)

    def list_since(self, prefix: str, cursor: str | None, limit: int
                   ) -> tuple[list[str], str | None]:
        """GCS lists names in lexicographic order: `start_offset` seeks to the cursor and
        `max_results` bounds the call (one page, one request)."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        blobs = self.client().list_blobs(
            self.bucket, prefix=self._name(prefix),
            start_offset=self._name(cursor) if cursor else None,
            max_results=limit + 1,  # start_offset is inclusive: the cursor itself may come back
        )
        names = sorted(k for k in (self._key(b.name) for b in blobs)
                       if cursor is None or k > cursor)[:limit]
        # The cursor moves past refused names too, or a page of them would stall the caller.
        keys = split_names(names)[0]
        return keys, (names[-1] if names else cursor)

    def key_version(self, key: str) -> str:
        """The object's generation: GCS assigns a new one on every overwrite."""
        blob = self._bucket().get_blob(self._name(validate_key(key)))
        if blob is None:
            raise FileNotFoundError(f"landing key {key!r} not in bucket {self.bucket!r}")
        return str(blob.generation)


def split_names(names: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """Object names (prefix removed) -> valid keys, sorted, and refused names with the reason."""
    keys: list[str] = []
    refused: dict[str, str] = {}
    for name in names:
        problem = key_problem(name)
        if problem is None:
            keys.append(name)
        else:
            refused[name] = problem
    return sorted(keys), refused
