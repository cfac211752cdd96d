"""Upload records in the data directory: ``DATA_DIR/uploads/<upload_id>.json``.

Created with the filesystem adapters' write-once link (atomic, never overwrites); an
outcome replaces the file atomically (``os.replace``) under a lock, and only while the
record on disk is still pending, so of two deliveries in this process one records it.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path

from facedetect.adapters.records import upload_from_record, upload_to_record
from facedetect.domain.uploads import Upload, is_upload_id
from facedetect.errors import StorageError, UploadNotFound


class FilesystemUploadRepository:
    """An ``UploadRepository`` of JSON files under ``root/uploads``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.path = Path(root) / "uploads"
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(detail=f"Cannot create the data directory {self.path}: {exc.strerror}.") from None
        self._lock = threading.Lock()

    def _file(self, upload_id: str) -> Path:
        if not is_upload_id(upload_id):
            raise UploadNotFound(f"No upload with id {upload_id[:64]!r}.")
        return self.path / f"{upload_id}.json"

    def _write(self, path: Path, upload: Upload, *, replace: bool) -> bool:
        data = json.dumps(upload_to_record(upload)).encode()
        try:
            fd, tmp = tempfile.mkstemp(dir=self.path, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            try:
                if replace:
                    os.replace(tmp, path)
                    return True
                os.link(tmp, path)
                return True
            except FileExistsError:
                return False
            finally:
                if not replace or os.path.exists(tmp):
                    os.unlink(tmp)
        except OSError as exc:
            raise StorageError(detail=f"Could not write {path.name} in {self.path}: {exc.strerror}.") from None

    def create(self, upload: Upload) -> None:
        if not self._write(self._file(upload.upload_id), upload, replace=False):
            raise StorageError(f"Upload {upload.upload_id!r} exists already.")

    def get(self, upload_id: str) -> Upload:
        path = self._file(upload_id)
        try:
            return upload_from_record(json.loads(path.read_bytes()))
        except FileNotFoundError:
            raise UploadNotFound(f"No upload with id {upload_id[:64]!r}.") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StorageError(detail=f"Upload record {path.name} in {self.path} is unreadable: {exc}.") from None

    def finish(self, upload: Upload) -> bool:
        with self._lock:
            try:
                current = self.get(upload.upload_id)
            except UploadNotFound:
                return False
            if current.status != "pending":
                return False
            return self._write(self._file(upload.upload_id), upload, replace=True)
