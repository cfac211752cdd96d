"""In-memory upload records: thread-safe, lost when the process ends (tests, ``backend=memory``)."""

from __future__ import annotations

import threading

from facedetect.domain.uploads import Upload
from facedetect.errors import StorageError, UploadNotFound


class InMemoryUploadRepository:
    """An ``UploadRepository`` in a dict. ``items`` maps id to upload for inspection."""

    def __init__(self) -> None:
        self.items: dict[str, Upload] = {}
        self._lock = threading.Lock()

    def create(self, upload: Upload) -> None:
        with self._lock:
            if upload.upload_id in self.items:
                raise StorageError(f"Upload {upload.upload_id!r} exists already.")
            self.items[upload.upload_id] = upload

    def get(self, upload_id: str) -> Upload:
        with self._lock:
            try:
                return self.items[upload_id]
            except KeyError:
                raise UploadNotFound(f"No upload with id {upload_id[:64]!r}.") from None

    def finish(self, upload: Upload) -> bool:
        with self._lock:
            current = self.items.get(upload.upload_id)
            if current is None or current.status != "pending":
                return False
            self.items[upload.upload_id] = upload
            return True
