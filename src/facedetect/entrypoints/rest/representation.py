"""JSON forms of the domain values for answers: the REST API and the CLI (storage uses adapters/records.py).

A face's JSON carries the reference system's ``x1, y1, x2, y2`` (what existing clients
read), the box as ``x, y, width, height``, the box as ratios of the image size, the
confidence and, when known, the landmarks. Answers only: nothing reads these back (what
storage keeps is :mod:`facedetect.adapters.records`').
"""

from __future__ import annotations

from typing import Any

from facedetect.domain.model import Detection, Face

_LANDMARK_NAMES = ("right_eye", "left_eye", "nose", "right_mouth", "left_mouth")


def face_to_json(face: Face, image_width: int, image_height: int) -> dict[str, Any]:
    """A face as JSON, boxes in pixels and in ratios of the image size."""
    box = face.box
    x1, y1, x2, y2 = box.to_xyxy()
    out: dict[str, Any] = {
        "x1": x1, "y1": y1, "x2": x2, "y2": y2,
        "x": box.x, "y": box.y, "width": box.width, "height": box.height,
        "confidence": round(face.confidence, 6),
        "ratios": {k: round(v, 6) for k, v in box.to_ratios(image_width, image_height).items()},
    }
    if face.landmarks is not None:
        out["landmarks"] = {
            name: [round(p.x, 2), round(p.y, 2)]
            for name, p in ((n, getattr(face.landmarks, n)) for n in _LANDMARK_NAMES)
        }
    return out


def reference_faces(detection: Detection) -> dict[str, dict[str, int]]:
    """The reference system's response body value: ``{"0": {"x1", "y1", "x2", "y2"}, ...}``."""
    return {
        str(i): dict(zip(("x1", "y1", "x2", "y2"), face.box.to_xyxy(), strict=True))
        for i, face in enumerate(detection.faces)
    }


def detection_to_json(detection: Detection) -> dict[str, Any]:
    """A detection as a JSON-ready dict (timestamps as ISO 8601 UTC)."""
    return {
        "id": detection.id,
        "sha256": detection.sha256,
        "image_key": detection.image_key,
        "media_type": detection.media_type,
        "width": detection.width,
        "height": detection.height,
        "detector": detection.detector,
        "parameters": detection.parameters,
        "created_at": detection.created_at.isoformat(),
        "duration_ms": round(detection.duration_ms, 3),
        "face_count": len(detection.faces),
        "faces": [face_to_json(f, detection.width, detection.height) for f in detection.faces],
    }
