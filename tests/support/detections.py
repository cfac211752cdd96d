"""Sample detections for storage tests: distinct faces, values that survive JSON rounding exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from facedetect.domain.model import BoundingBox, Detection, Face, Landmarks, Point

T0 = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


def make_detection(n_faces: int, *, index: int = 0, created_at: datetime | None = None,
                   landmarks: bool = False, duration_ms: float = 12.5) -> Detection:
    """A detection with ``n_faces`` distinct faces; values chosen to survive JSON rounding exactly."""
    faces = []
    for i in range(n_faces):
        marks = None
        if landmarks:
            marks = Landmarks(Point(i + 10.25, 20.5), Point(i + 30.75, 20.5), Point(i + 20.0, 30.0),
                              Point(i + 12.5, 40.25), Point(i + 28.5, 40.25))
        faces.append(Face(BoundingBox(x=(i * 7) % 900, y=(i * 13) % 700, width=20 + i % 50, height=24 + i % 40),
                          confidence=round(0.999 - i * 0.001, 6), landmarks=marks))
    sha = f"{index:064x}"
    return Detection(id=f"{index:032x}", sha256=sha, media_type="image/jpeg", width=1000, height=800,
                     faces=tuple(faces), detector="haar",
                     parameters={"scale_factor": 1.1, "min_neighbors": 5, "min_size": None},
                     created_at=created_at or T0 + timedelta(seconds=index), duration_ms=duration_ms)
