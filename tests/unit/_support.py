"""Small test doubles and geometry helpers shared by the unit tests."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from facedetect.adapters.memory import InMemoryDetectionRepository, InMemoryImageStore
from facedetect.core.domain import BoundingBox, Detection, Face
from facedetect.errors import StorageError, StorageUnavailable


def iou(a: BoundingBox, b: BoundingBox) -> float:
    """Intersection over union of two boxes."""
    ax1, ay1, ax2, ay2 = a.to_xyxy()
    bx1, by1, bx2, by2 = b.to_xyxy()
    inter = max(0, min(ax2, bx2) - max(ax1, bx1)) * max(0, min(ay2, by2) - max(ay1, by1))
    union = a.width * a.height + b.width * b.height - inter
    return inter / union if union else 0.0


def xyxy(faces: list[Face]) -> list[tuple[int, int, int, int]]:
    """Face boxes as a sorted list of ``(x1, y1, x2, y2)``."""
    return sorted(f.box.to_xyxy() for f in faces)


def raw_xyxy(boxes: Any) -> list[tuple[int, int, int, int]]:
    """OpenCV ``detectMultiScale`` output as a sorted list of plain-int ``(x1, y1, x2, y2)``."""
    return sorted((int(x), int(y), int(x + w), int(y + h)) for x, y, w, h in boxes)


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
