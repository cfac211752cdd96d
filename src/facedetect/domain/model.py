"""Domain values: boxes, faces and detections. Frozen, dependency-free, cheap to import."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from facedetect.domain.formats import extension_for


@dataclass(frozen=True, slots=True)
class BoundingBox:
    """An axis-aligned box in integer pixels, origin at the image's top-left corner.

    Parameters
    ----------
    x, y
        Column and row of the top-left corner.
    width, height
        Size in pixels; always positive for boxes produced by facedetect.
    """

    x: int
    y: int
    width: int
    height: int

    @classmethod
    def clipped(cls, x: float, y: float, width: float, height: float, *, image_width: int,
                image_height: int) -> BoundingBox | None:
        """Round a float box to pixels and clip it to the image; ``None`` if nothing is left."""
        x1 = max(0, min(image_width, round(x)))
        y1 = max(0, min(image_height, round(y)))
        x2 = max(0, min(image_width, round(x + width)))
        y2 = max(0, min(image_height, round(y + height)))
        if x2 <= x1 or y2 <= y1:
            return None
        return cls(x1, y1, x2 - x1, y2 - y1)

    def to_xyxy(self) -> tuple[int, int, int, int]:
        """Return ``(x1, y1, x2, y2)``: top-left and bottom-right (exclusive) corners."""
        return self.x, self.y, self.x + self.width, self.y + self.height

    def to_ratios(self, image_width: int, image_height: int) -> dict[str, float]:
        """The box as fractions of the image size (``left, top, width, height``), as Rekognition does."""
        return {
            "left": self.x / image_width,
            "top": self.y / image_height,
            "width": self.width / image_width,
            "height": self.height / image_height,
        }


@dataclass(frozen=True, slots=True)
class Point:
    """A landmark position in pixels (may be fractional)."""

    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Landmarks:
    """The five facial landmarks YuNet reports, in the image's pixel coordinates."""

    right_eye: Point
    left_eye: Point
    nose: Point
    right_mouth: Point
    left_mouth: Point


@dataclass(frozen=True, slots=True)
class Face:
    """One detected face: its box, a confidence for ranking, and landmarks when the detector has them.

    ``confidence`` is a plain float in ``[0, 1]`` (6 decimals); larger is more certain. Its scale
    is the detector's own, so compare confidences only between faces found by the same detector.
    """

    box: BoundingBox
    confidence: float
    landmarks: Landmarks | None = None

    def unscaled(self, scale: float, *, image_width: int, image_height: int) -> Face | None:
        """This face, found on the picture shrunk by ``scale``, in the original's pixels (clipped to it)."""
        if scale == 1.0:
            return self
        box = BoundingBox.clipped(self.box.x / scale, self.box.y / scale, self.box.width / scale,
                                  self.box.height / scale, image_width=image_width, image_height=image_height)
        if box is None:
            return None
        marks = self.landmarks
        if marks is not None:
            marks = Landmarks(*(Point(round(p.x / scale, 2), round(p.y / scale, 2)) for p in (
                marks.right_eye, marks.left_eye, marks.nose, marks.right_mouth, marks.left_mouth)))
        return Face(box=box, confidence=self.confidence, landmarks=marks)


@dataclass(frozen=True, slots=True)
class Detection:
    """The result of running a detector on one image, as stored and served.

    Parameters
    ----------
    id
        Stable id derived from the image content and the detector configuration: the same
        bytes with the same settings always give the same id.
    sha256
        Hex SHA-256 of the image bytes; with ``media_type`` it names the stored image.
    media_type
        The image's real type, from its magic bytes (``image/jpeg``, ``image/png`` ...).
    width, height
        Pixel size of the image after EXIF orientation.
    faces
        The faces found, most confident first; an empty tuple when there are none.
    detector
        Detector name (``haar`` or ``yunet``).
    parameters
        The detector options that produced this result.
    created_at
        When the detection was made (UTC).
    duration_ms
        Time spent decoding and detecting, in milliseconds.
    """

    id: str
    sha256: str
    media_type: str
    width: int
    height: int
    faces: tuple[Face, ...]
    detector: str
    parameters: dict[str, Any] = field(hash=False)
    created_at: datetime
    duration_ms: float

    @property
    def image_key(self) -> str:
        """The key under which the image is stored: content hash plus the real extension."""
        return f"{self.sha256}{extension_for(self.media_type)}"
