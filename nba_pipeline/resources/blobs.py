"""Blob stores for raw payloads (landing) and the JSON feed (exports): a local folder or GCS.

Paths are `/`-separated and relative to the store's root; a folder is a path prefix.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Protocol

import dagster as dg


class BlobStore(Protocol):
    def write(self, path: str, data: bytes) -> None: ...

    def read(self, path: str) -> bytes: ...

    def exists(self, path: str) -> bool: ...

    def list(self, folder: str) -> list[str]: ...

    def replace_folder(self, folder: str, files: dict[str, bytes]) -> int: ...

    def uri(self, path: str) -> str: ...


class LocalBlobStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, path: str) -> Path:
        resolved = (self.root / path).resolve()
        if not resolved.is_relative_to(self.root.resolve()):
            raise ValueError(f"path {path!r} escapes the store")
        return resolved

    def write(self, path: str, data: bytes) -> None:
        target = self._path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)  # atomic: a reader never sees half a file

    def read(self, path: str) -> bytes:
        return self._path(path).read_bytes()

    def exists(self, path: str) -> bool:
        return self._path(path).is_file()

    def list(self, folder: str) -> list[str]:
        base = self._path(folder)
        if not base.is_dir():
            return []
        return sorted(
            str(p.relative_to(self.root.resolve()))
            for p in base.rglob("*")
            if p.is_file() and not p.name.endswith(".tmp")
        )

    def replace_folder(self, folder: str, files: dict[str, bytes]) -> int:
        """The folder afterwards holds exactly `files` (none: it is gone, with any parent it leaves
        empty, as on GCS, where folders are only names); returns bytes written."""
        shutil.rmtree(self._path(folder), ignore_errors=True)
        for name, data in files.items():
            self.write(f"{folder}/{name}", data)
        if not files:
            root, parent = self.root.resolve(), self._path(folder).parent
            while parent != root and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
        return sum(len(d) for d in files.values())

    def uri(self, path: str) -> str:
        return str(self._path(path))


def make_storage_client(project: str | None, endpoint: str | None = None):
    """The one place a GCS client is built: against `endpoint` (the GCS emulator, anonymous) or
    Google's API with the ambient credentials."""
    from google.cloud import storage

    if not endpoint:
        return storage.Client(project=project)
    from google.auth.credentials import AnonymousCredentials

    url = endpoint if "://" in endpoint else f"http://{endpoint}"
    return storage.Client(
        project=project or "emulator",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": url},
    )


class GcsBlobStore:
    def __init__(self, bucket: str, prefix: str, project: str | None = None, endpoint: str | None = None):
        self.bucket_name = bucket
        self.prefix = prefix.strip("/")
        self.project = project
        self.endpoint = endpoint or None
        self._bucket = None

    @property
    def bucket(self):
        if self._bucket is None:
            self._bucket = make_storage_client(self.project, self.endpoint).bucket(self.bucket_name)
        return self._bucket

    def _name(self, path: str) -> str:
        return f"{self.prefix}/{path}" if self.prefix else path

    def write(self, path: str, data: bytes) -> None:
        self.bucket.blob(self._name(path)).upload_from_string(data, content_type="application/json")

    def read(self, path: str) -> bytes:
        return self.bucket.blob(self._name(path)).download_as_bytes()

    def exists(self, path: str) -> bool:
        return self.bucket.blob(self._name(path)).exists()

    def list(self, folder: str) -> list[str]:
        start = len(self.prefix) + 1 if self.prefix else 0
        return sorted(b.name[start:] for b in self.bucket.list_blobs(prefix=self._name(folder) + "/"))

    def replace_folder(self, folder: str, files: dict[str, bytes]) -> int:
        stale = set(self.list(folder)) - {f"{folder}/{name}" for name in files}
        for path in stale:
            self.bucket.blob(self._name(path)).delete()
        for name, data in files.items():
            self.write(f"{folder}/{name}", data)
        return sum(len(d) for d in files.values())

    def uri(self, path: str) -> str:
        return f"gs://{self.bucket_name}/{self._name(path)}"


class BlobStoreResource(dg.ConfigurableResource):
    """A local folder (`local_root`) or a GCS bucket and prefix (`gcs_bucket`, `gcs_prefix`;
    `gcs_endpoint` for the GCS emulator)."""

    local_root: str = ""
    gcs_bucket: str = ""
    gcs_prefix: str = ""
    gcs_project: str = ""
    gcs_endpoint: str = ""

    def get(self) -> BlobStore:
        if self.gcs_bucket:
            return GcsBlobStore(
                self.gcs_bucket, self.gcs_prefix, self.gcs_project or None, self.gcs_endpoint or None
            )
        if not self.local_root:
            raise ValueError("a blob store needs local_root or gcs_bucket")
        return LocalBlobStore(Path(self.local_root))
