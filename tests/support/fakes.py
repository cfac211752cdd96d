"""Test doubles: a counting detector, and in-memory stores that fail on demand."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from facedetect.adapters.memory import InMemoryDetectionRepository, InMemoryImageStore
from facedetect.domain.model import BoundingBox, Detection, Face
from facedetect.errors import StorageError, StorageUnavailable


class CountingDetector:
    """A ``FaceDetector`` fake: returns one fixed face and counts its calls (thread-safe)."""

    name = "counting"

    def __init__(self, tag: str = "a", faces: list[Face] | None = None) -> None:
        self._tag = tag
        self._faces = faces if faces is not None else [Face(BoundingBox(1, 2, 3, 4), 0.5)]
        self.calls = 0
        self.shapes: list[tuple[int, ...]] = []
        self._lock = threading.Lock()

    @property
    def parameters(self) -> dict[str, Any]:
        return {"tag": self._tag}

    def detect(self, image: np.ndarray) -> list[Face]:
        with self._lock:
            self.calls += 1
            self.shapes.append(tuple(image.shape))
        return list(self._faces)


class FailingImageStore(InMemoryImageStore):
    """An in-memory image store whose ``put`` fails while ``fail_put`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_put = True

    def put(self, key: str, data: bytes, *, media_type: str) -> bool:
        if self.fail_put:
            raise StorageUnavailable("image store is down (test fake)")
        return super().put(key, data, media_type=media_type)


class FailingRepository(InMemoryDetectionRepository):
    """An in-memory repository whose ``add`` fails while ``fail_add`` is set."""

    def __init__(self, fail_add: bool = True) -> None:
        super().__init__()
        self.fail_add = fail_add
        self.attempts: list[Detection] = []

    def add(self, detection: Detection) -> bool:
        self.attempts.append(detection)
        if self.fail_add:
            raise StorageError("detection table is broken (test fake)")
        return super().add(detection)
