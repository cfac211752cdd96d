"""``--annotate``: write copies of images with the face boxes drawn on them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from facedetect.domain.imaging import ImageLimits, decode
from facedetect.domain.model import Detection

_BOX = (0, 255, 0)
_LABEL_TEXT = (0, 0, 0)
_LANDMARK = (0, 0, 255)
#: Label text height as a share of its box's height, and the smallest readable height, in pixels...
LABEL_SHARE = 0.18
MIN_LABEL_PX = 9
#: ... and at most this share of the image's longer side, so that a close-up's label stays a label.
MAX_LABEL_SHARE = 0.03


@dataclass(frozen=True)
class LabelPlace:
    """Where a confidence label goes: its text, scale, and background rectangle (x1, y1, x2, y2)."""

    text: str
    scale: float
    stroke: int
    rect: tuple[int, int, int, int]

    def overlaps(self, other: tuple[int, int, int, int]) -> bool:
        ax1, ay1, ax2, ay2 = self.rect
        bx1, by1, bx2, by2 = other
        return ax1 < bx2 and bx1 < ax2 and ay1 < by2 and by1 < ay2


def place_labels(detection: Detection) -> list[LabelPlace]:
    """Labels sized to their boxes, on a background, above each box (inside it when at the top edge).

    Faces are labelled most confident first; a label that would cover one already placed is left out,
    so every label drawn is readable.
    """
    import cv2

    largest = max(MIN_LABEL_PX, round(max(detection.width, detection.height) * MAX_LABEL_SHARE))
    placed: list[LabelPlace] = []
    for face in sorted(detection.faces, key=lambda f: -f.confidence):
        x1, y1, _, y2 = face.box.to_xyxy()
        text = f"{face.confidence:.2f}"
        height = min(max(MIN_LABEL_PX, round((y2 - y1) * LABEL_SHARE)), largest)
        stroke = max(1, height // 12)
        scale = cv2.getFontScaleFromHeight(cv2.FONT_HERSHEY_SIMPLEX, height, stroke)
        (width, text_height), baseline = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, stroke)
        pad = max(1, text_height // 5)
        label_h = text_height + baseline + 2 * pad
        top = y1 - label_h if y1 - label_h >= 0 else y1  # above the box, or inside it at the image's top
        left = min(max(0, x1), max(0, detection.width - width - 2 * pad))
        candidate = LabelPlace(text, scale, stroke, (left, top, left + width + 2 * pad, top + label_h))
        if any(candidate.overlaps(other.rect) for other in placed):
            continue
        placed.append(candidate)
    return placed


def draw_labels(pixels: Any, labels: Sequence[LabelPlace]) -> None:
    """Draw each label: a filled box in the box colour, dark text on it."""
    import cv2

    for label in labels:
        x1, y1, x2, y2 = label.rect
        cv2.rectangle(pixels, (x1, y1), (x2 - 1, y2 - 1), _BOX, -1)
        (_, text_height), baseline = cv2.getTextSize(label.text, cv2.FONT_HERSHEY_SIMPLEX, label.scale, label.stroke)
        pad = max(1, text_height // 5)
        cv2.putText(pixels, label.text, (x1 + pad, y2 - pad - baseline), cv2.FONT_HERSHEY_SIMPLEX, label.scale,
                    _LABEL_TEXT, label.stroke, cv2.LINE_AA)


def write_annotated(image_bytes: bytes, detection: Detection, target: Path, limits: ImageLimits) -> Path:
    """Draw ``detection``'s boxes (green) and readable confidence labels; save as JPEG at ``target``."""
    import cv2

    pixels = decode(image_bytes, limits).pixels.copy()
    thickness = max(2, round(max(detection.width, detection.height) / 400))
    for face in detection.faces:
        x1, y1, x2, y2 = face.box.to_xyxy()
        cv2.rectangle(pixels, (x1, y1), (x2 - 1, y2 - 1), _BOX, thickness)
        if face.landmarks is not None:
            for p in (face.landmarks.right_eye, face.landmarks.left_eye, face.landmarks.nose,
                      face.landmarks.right_mouth, face.landmarks.left_mouth):
                cv2.circle(pixels, (round(p.x), round(p.y)), thickness + 1, _LANDMARK, -1)
    draw_labels(pixels, place_labels(detection))
    target.parent.mkdir(parents=True, exist_ok=True)
    ok, encoded = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:  # pragma: no cover - encoding a valid BGR array does not fail
        raise OSError(f"could not encode {target}")
    target.write_bytes(encoded.tobytes())
    return target
