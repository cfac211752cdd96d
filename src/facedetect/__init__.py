"""facedetect: find faces in images and keep both the image and the face coordinates.

Importing this package is cheap: OpenCV, NumPy and the settings machinery load only when
something that needs them is first used.

>>> from facedetect import detect_faces, bootstrap  # doctest: +SKIP
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from facedetect.domain.model import BoundingBox, Detection, Face, Landmarks, Point
from facedetect.errors import (
    DetectionNotFound,
    FaceDetectError,
    ImageNotFound,
    ImageTooLarge,
    InvalidImage,
    InvalidInput,
    StorageError,
    StorageUnavailable,
    UnsupportedImageFormat,
)

if TYPE_CHECKING:
    from facedetect.composition import bootstrap
    from facedetect.library import detect_faces, redact
    from facedetect.service.detections import FaceDetectionService
    from facedetect.settings import Settings

__version__ = "0.1.0"

_LAZY = {
    "detect_faces": "facedetect.library",
    "redact": "facedetect.library",
    "bootstrap": "facedetect.composition",
    "FaceDetectionService": "facedetect.service.detections",
    "Settings": "facedetect.settings",
}

__all__ = [
    "BoundingBox",
    "Detection",
    "DetectionNotFound",
    "Face",
    "FaceDetectError",
    "FaceDetectionService",
    "ImageNotFound",
    "ImageTooLarge",
    "InvalidImage",
    "InvalidInput",
    "Landmarks",
    "Point",
    "Settings",
    "StorageError",
    "StorageUnavailable",
    "UnsupportedImageFormat",
    "bootstrap",
    "detect_faces",
    "redact",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'facedetect' has no attribute {name!r}")
