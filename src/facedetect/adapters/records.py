"""The stored forms of a detection and of an upload, shared by the filesystem and DynamoDB adapters.

Stored records are versioned and independent of the API's JSON (``entrypoints/rest/representation.py``):
changing what the API returns changes nothing on disk or in the table.

**Schema 1** (written now), a JSON object::

    {"schema": 1, "id", "sha256", "media_type", "width", "height", "detector", "parameters",
     "created_at": ISO 8601 with its UTC offset, "duration_ms",
     "faces": [{"box": [x, y, width, height], "confidence",
                "landmarks": five [x, y] in Landmarks field order (only when known)}]}

Numbers are written as Python writes them, so a record reads back to an equal ``Detection``.
The image key is not stored: it derives from ``sha256`` and ``media_type``.

**Schema 0** (read only): a record without ``"schema"``, what the adapters stored before
records were versioned, i.e. the API JSON of that time (faces with ``x, y, width, height``,
``confidence`` and landmarks by name). Its reader is frozen here on purpose: it must keep
reading those records whatever the API becomes.

To add a version: write the new one in :func:`detection_to_record`, bump ``SCHEMA``, keep a
reader for every older version in ``_READERS``, and commit fixtures of the old version
(``tests/fixtures/stored/``) before changing the writer.

**Uploads** are stored as the fields of :class:`~facedetect.domain.uploads.Upload` with
``"schema": 1``; records without ``"schema"`` (schema 0) have the same fields.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from facedetect.domain.model import BoundingBox, Detection, Face, Landmarks, Point
from facedetect.domain.uploads import Upload
from facedetect.errors import StorageError

#: The schema version :func:`detection_to_record` writes.
SCHEMA = 1
#: The schema version :func:`upload_to_record` writes.
UPLOAD_SCHEMA = 1
_LANDMARKS = ("right_eye", "left_eye", "nose", "right_mouth", "left_mouth")


def detection_to_record(detection: Detection) -> dict[str, Any]:
    """The detection as a schema-1 record (a JSON-ready dict)."""
    return {
        "schema": SCHEMA,
        "id": detection.id,
        "sha256": detection.sha256,
        "media_type": detection.media_type,
        "width": detection.width,
        "height": detection.height,
        "detector": detection.detector,
        "parameters": detection.parameters,
        "created_at": detection.created_at.isoformat(),
        "duration_ms": detection.duration_ms,
        "faces": [_face_to_record(face) for face in detection.faces],
    }


def _face_to_record(face: Face) -> dict[str, Any]:
    box = face.box
    out: dict[str, Any] = {"box": [box.x, box.y, box.width, box.height], "confidence": face.confidence}
    if face.landmarks is not None:
        out["landmarks"] = [[p.x, p.y] for p in (getattr(face.landmarks, n) for n in _LANDMARKS)]
    return out


def check_schema(version: object, *, where: str) -> int:
    """``version`` if this code reads it; ``StorageError`` naming ``where`` otherwise."""
    if type(version) is not int or version not in _READERS:
        raise StorageError(detail=f"The stored detection {where} has schema {version!r}; this version of "
                                  f"facedetect reads schemas {sorted(_READERS)} (written by a newer release?).")
    return version


def detection_from_record(record: object, *, where: str) -> Detection:
    """Read a record of any known schema; ``StorageError`` naming ``where`` if unknown or corrupt."""
    if not isinstance(record, Mapping):
        raise StorageError(detail=f"The stored detection {where} is corrupt (not a JSON object).")
    version = check_schema(record.get("schema", 0), where=where)
    try:
        return _READERS[version](record)
    except (KeyError, ValueError, TypeError, AttributeError):
        raise StorageError(detail=f"The stored detection {where} is corrupt.") from None


def _common(record: Mapping[str, Any], faces: tuple[Face, ...]) -> Detection:
    return Detection(
        id=str(record["id"]),
        sha256=str(record["sha256"]),
        media_type=str(record["media_type"]),
        width=int(record["width"]),
        height=int(record["height"]),
        faces=faces,
        detector=str(record["detector"]),
        parameters=dict(record["parameters"]),
        created_at=datetime.fromisoformat(str(record["created_at"])),
        duration_ms=float(record["duration_ms"]),
    )


def _read_v1(record: Mapping[str, Any]) -> Detection:
    faces = []
    for face in record["faces"]:
        x, y, width, height = (int(v) for v in face["box"])
        marks = face.get("landmarks")
        landmarks = None
        if marks is not None:
            (a, b, c, d, e) = (Point(float(px), float(py)) for px, py in marks)
            landmarks = Landmarks(a, b, c, d, e)
        faces.append(Face(BoundingBox(x, y, width, height), float(face["confidence"]), landmarks))
    return _common(record, tuple(faces))


def _read_v0(record: Mapping[str, Any]) -> Detection:
    faces = []
    for face in record["faces"]:
        marks = face.get("landmarks")
        landmarks = None
        if marks:
            landmarks = Landmarks(**{n: Point(float(marks[n][0]), float(marks[n][1])) for n in _LANDMARKS})
        box = BoundingBox(int(face["x"]), int(face["y"]), int(face["width"]), int(face["height"]))
        faces.append(Face(box, float(face["confidence"]), landmarks))
    return _common(record, tuple(faces))


_READERS: dict[int, Callable[[Mapping[str, Any]], Detection]] = {0: _read_v0, 1: _read_v1}


def upload_to_record(upload: Upload) -> dict[str, Any]:
    """The upload as a schema-1 record (a JSON-ready dict)."""
    return {
        "schema": UPLOAD_SCHEMA,
        "upload_id": upload.upload_id, "status": upload.status, "content_type": upload.content_type,
        "content_length": upload.content_length, "options": dict(upload.options),
        "created_at": upload.created_at.isoformat(), "expires_at": upload.expires_at.isoformat(),
        "detection_id": upload.detection_id, "error_code": upload.error_code, "error_message": upload.error_message,
    }


def upload_from_record(data: Mapping[str, Any]) -> Upload:
    """Read an upload record of schema 0 or 1; ``KeyError``/``ValueError``/``TypeError`` if corrupt.

    Schema 0, written before records were versioned, has the same fields without ``"schema"``.
    """
    if data.get("schema", 0) not in (0, UPLOAD_SCHEMA):
        raise ValueError(f"upload record schema {data.get('schema')!r} is not one this version reads")
    status = data["status"]
    if status not in ("pending", "done", "failed"):
        raise ValueError(f"unknown upload status {status!r}")
    return Upload(
        upload_id=str(data["upload_id"]), status=status, content_type=str(data["content_type"]),
        content_length=int(data["content_length"]), options=dict(data.get("options") or {}),
        created_at=datetime.fromisoformat(data["created_at"]), expires_at=datetime.fromisoformat(data["expires_at"]),
        detection_id=data.get("detection_id"), error_code=data.get("error_code"),
        error_message=data.get("error_message"),
    )
