"""GCS landing store. GCS object writes are atomic: an object is listed only once complete.

Production uses the stock `storage.Client(project)` with application-default credentials. When
`emulator_endpoint` is set (tests against fake-gcs-server only), the client talks to it with
anonymous credentials; every call below is the same on both.
"""

from __future__ import annotations

from typing import Any

from google.cloud import storage
from pydantic import PrivateAttr

from nba_pipeline.storage.landing import LandingStore


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
        self._bucket().blob(self._name(key)).upload_from_string(data)
        return key

    def read_bytes(self, key: str) -> bytes:
        return self._bucket().blob(self._name(key)).download_as_bytes()

    def list_keys(self, prefix: str = "") -> list[str]:
        blobs = self.client().list_blobs(self.bucket, prefix=self._name(prefix))
        return sorted(self._key(b.name) for b in blobs)

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
        keys = [k for k in (self._key(b.name) for b in blobs) if cursor is None or k > cursor]
        keys = sorted(keys)[:limit]
        return keys, (keys[-1] if keys else cursor)

    def key_version(self, key: str) -> str:
        """The object's generation: GCS assigns a new one on every overwrite."""
        blob = self._bucket().get_blob(self._name(key))
        if blob is None:
            raise FileNotFoundError(f"landing key {key!r} not in bucket {self.bucket!r}")
        return str(blob.generation)
