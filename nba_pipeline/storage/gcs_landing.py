"""GCS landing store. GCS object writes are atomic: an object is listed only once complete."""

from __future__ import annotations

from google.cloud import storage

from nba_pipeline.storage.landing import LandingStore


class GCSLandingStore(LandingStore):
    bucket: str
    prefix: str = ""

    def _bucket(self) -> storage.Bucket:
        return storage.Client().bucket(self.bucket)

    def _name(self, key: str) -> str:
        return f"{self.prefix.rstrip('/')}/{key}" if self.prefix else key

    def write_bytes(self, key: str, data: bytes) -> str:
        self._bucket().blob(self._name(key)).upload_from_string(data)
        return key

    def read_bytes(self, key: str) -> bytes:
        return self._bucket().blob(self._name(key)).download_as_bytes()

    def list_keys(self, prefix: str = "") -> list[str]:
        strip = len(self._name(""))
        blobs = self._bucket().client.list_blobs(self.bucket, prefix=self._name(prefix))
        return sorted(b.name[strip:] for b in blobs)
