"""The detections behind the committed fixtures of stored records (``tests/fixtures/stored``).

The fixture files were written by the adapters themselves from these values; the tests that
read the fixtures back compare with the same values. Numbers are chosen so that the rounding
of the pre-versioned format (confidence to 6 decimals, landmarks to 2, duration to 3) loses
nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from facedetect.domain.model import BoundingBox, Detection, Face, Landmarks, Point


def with_landmarks() -> Detection:
    """Two YuNet faces with landmarks, created at a non-UTC offset."""
    marks = Landmarks(Point(110.25, 80.5), Point(150.75, 80.5), Point(130.0, 100.0),
                      Point(115.5, 120.25), Point(145.5, 120.25))
    return Detection(
        id="a1b2c3d4e5f60718293a4b5c6d7e8f90", sha256="ab" * 32, media_type="image/png", width=640,
        height=480,
        faces=(Face(BoundingBox(100, 60, 60, 75), 0.987654, marks),
               Face(BoundingBox(300, 200, 40, 48), 0.5, None)),
        detector="yunet", parameters={"score_threshold": 0.6, "nms_threshold": 0.3, "top_k": 5000},
        created_at=datetime(2025, 3, 9, 23, 59, 58, 765432, tzinfo=timezone(timedelta(hours=2))),
        duration_ms=41.125,
    )


def without_faces() -> Detection:
    """A Haar detection that found nothing."""
    return Detection(
        id="00000000000000000000000000000001", sha256="0" * 63 + "1", media_type="image/jpeg",
        width=1, height=1, faces=(), detector="haar",
        parameters={"scale_factor": 1.1, "min_neighbors": 5, "min_size": None},
        created_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), duration_ms=0.5,
    )


def many_faces() -> Detection:
    """Enough faces that the DynamoDB adapter stores the detection's body zlib-compressed."""
    faces = tuple(Face(BoundingBox((i * 7) % 900, (i * 13) % 700, 20 + i % 50, 24 + i % 40),
                       round(0.999 - i * 0.001, 6)) for i in range(450))
    return Detection(
        id="ffffffffffffffffffffffffffffff02", sha256="f" * 62 + "02", media_type="image/webp",
        width=1000, height=800, faces=faces, detector="haar-multi",
        parameters={"scale_factor": 1.05, "min_neighbors": 3, "min_size": [24, 24]},
        created_at=datetime(2024, 6, 30, 12, 0, tzinfo=UTC), duration_ms=1234.567,
    )


SAMPLES = {"with_landmarks": with_landmarks, "without_faces": without_faces, "many_faces": many_faces}
