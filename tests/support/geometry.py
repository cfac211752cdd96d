"""Box geometry for detector tests: overlap, and boxes as sorted corner tuples."""

from __future__ import annotations

from typing import Any

from facedetect.domain.model import BoundingBox, Face


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
