"""In-memory adapters: thread-safe, and the harness to use in your own tests.

Example
-------
>>> from facedetect import bootstrap
>>> service = bootstrap(backend="memory")
"""

from __future__ import annotations

import threading

from facedetect.adapters.paging import paginate
from facedetect.domain.model import Detection
from facedetect.domain.ports import Page
from facedetect.errors import DetectionNotFound, ImageNotFound, InvalidInput


def _checked(key: str) -> str:
    """``key`` if it can be an image key in every store (not empty, no NUL); ``InvalidInput`` if not."""
    if not isinstance(key, str) or not key or "\x00" in key:
        raise InvalidInput("The image key is not valid.", detail=f"Image key {key!r} is not valid.")
    return key


class InMemoryImageStore:
    """An ``ImageStore`` in a dict. ``objects`` maps key to ``(bytes, media_type)`` for inspection."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}
        self._lock = threading.Lock()

    def put(self, key: str, data: bytes, *, media_type: str) -> bool:
        _checked(key)
        with self._lock:
            if key in self.objects:
                return False
            self.objects[key] = (bytes(data), media_type)
            return True

    def get(self, key: str) -> bytes:
        _checked(key)
        with self._lock:
            try:
                return self.objects[key][0]
            except KeyError:
                raise ImageNotFound(detail=f"No image is stored under {key!r}.") from None

    def exists(self, key: str) -> bool:
        _checked(key)
        with self._lock:
            return key in self.objects

    def url_for(self, key: str, ttl: int) -> str | None:
        """``None``: memory has no URLs (the API serves the bytes)."""
        return None

    def delete(self, key: str) -> None:
        _checked(key)
        with self._lock:
            self.objects.pop(key, None)


class InMemoryDetectionRepository:
    """A ``DetectionRepository`` in a dict. ``items`` maps id to detection for inspection."""

    def __init__(self) -> None:
        self.items: dict[str, Detection] = {}
        self._lock = threading.Lock()

    def add(self, detection: Detection) -> bool:
        with self._lock:
            if detection.id in self.items:
                return False
            self.items[detection.id] = detection
            return True

    def get(self, detection_id: str) -> Detection:
        with self._lock:
            try:
                return self.items[detection_id]
            except KeyError:
                raise DetectionNotFound(f"No detection with id {detection_id!r}.") from None

    def list(self, *, limit: int = 20, cursor: str | None = None) -> Page:
        with self._lock:
            snapshot = list(self.items.values())
        return paginate(snapshot, limit=limit, cursor=cursor)

    def delete(self, detection_id: str) -> None:
        with self._lock:
            self.items.pop(detection_id, None)
