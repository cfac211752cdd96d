"""The API's JSON (entrypoints/rest/representation.py): every field carried, and the reference system's shape."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from facedetect.domain.model import BoundingBox, Detection, Face, Landmarks, Point
from facedetect.entrypoints.rest.representation import (
    detection_to_json,
    face_to_json,
    reference_faces,
)

WIDTH, HEIGHT = 640, 480


def _stored_precision(digits: int) -> st.SearchStrategy[float]:
    return st.floats(0, 1, allow_nan=False).map(lambda v: round(v, digits))


points = st.builds(Point, st.floats(0, WIDTH).map(lambda v: round(v, 2)),
                   st.floats(0, HEIGHT).map(lambda v: round(v, 2)))
boxes = st.builds(BoundingBox, st.integers(0, WIDTH - 1), st.integers(0, HEIGHT - 1), st.integers(1, WIDTH),
                  st.integers(1, HEIGHT))
faces = st.builds(Face, boxes, _stored_precision(6), st.none() | st.builds(Landmarks, points, points, points, points,
                                                                           points))
parameters = st.dictionaries(
    st.text(min_size=1, max_size=12),
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=20)
    | st.lists(st.integers(1, 5000), max_size=2),
    max_size=6,
)
timestamps = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                          timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))]))
detections = st.builds(
    Detection,
    id=st.text("0123456789abcdef", min_size=32, max_size=32),
    sha256=st.text("0123456789abcdef", min_size=64, max_size=64),
    media_type=st.sampled_from(["image/jpeg", "image/png", "image/webp", "image/bmp", "image/tiff"]),
    width=st.just(WIDTH),
    height=st.just(HEIGHT),
    faces=st.lists(faces, max_size=5).map(tuple),
    detector=st.sampled_from(["haar", "yunet"]),
    parameters=parameters,
    created_at=timestamps,
    duration_ms=st.floats(0, 1e6).map(lambda v: round(v, 3)),
)


@given(detections)
def test_detection_json_carries_every_field_through_json_text(detection: Detection) -> None:
    data = json.loads(json.dumps(detection_to_json(detection)))
    assert (data["id"], data["sha256"], data["media_type"], data["detector"]) == (
        detection.id, detection.sha256, detection.media_type, detection.detector)
    assert (data["width"], data["height"], data["image_key"]) == (detection.width, detection.height,
                                                                   detection.image_key)
    assert data["parameters"] == json.loads(json.dumps(detection.parameters))
    assert datetime.fromisoformat(data["created_at"]) == detection.created_at
    assert data["duration_ms"] == detection.duration_ms and data["face_count"] == len(detection.faces)
    assert [(f["x"], f["y"], f["width"], f["height"], f["confidence"]) for f in data["faces"]] == [
        (f.box.x, f.box.y, f.box.width, f.box.height, f.confidence) for f in detection.faces]
    for face, shown in zip(detection.faces, data["faces"], strict=True):
        assert ("landmarks" in shown) == (face.landmarks is not None)


def test_face_json_carries_pixels_ratios_and_landmarks() -> None:
    marks = Landmarks(Point(1.234, 2), Point(3, 4), Point(5, 6), Point(7, 8), Point(9, 10.006))
    face = Face(BoundingBox(64, 48, 128, 96), 0.87654321, marks)
    data = face_to_json(face, WIDTH, HEIGHT)
    assert data["x1"] == 64 and data["y1"] == 48 and data["x2"] == 192 and data["y2"] == 144
    assert (data["x"], data["y"], data["width"], data["height"]) == (64, 48, 128, 96)
    assert data["ratios"] == {"left": 0.1, "top": 0.1, "width": 0.2, "height": 0.2}
    assert data["confidence"] == 0.876543
    assert data["landmarks"]["right_eye"] == [1.23, 2] and data["landmarks"]["left_mouth"] == [9, 10.01]


def test_face_without_landmarks_has_no_landmarks_key() -> None:
    data = face_to_json(Face(BoundingBox(0, 0, 10, 10), 0.5), 10, 10)
    assert "landmarks" not in data


def _detection(faces: tuple[Face, ...]) -> Detection:
    return Detection(id="f" * 32, sha256="0" * 64, media_type="image/png", width=WIDTH, height=HEIGHT,
                     faces=faces, detector="haar", parameters={"min_neighbors": 5},
                     created_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC), duration_ms=12.3456)


def test_reference_faces_shape() -> None:
    detection = _detection((Face(BoundingBox(10, 20, 30, 40), 0.9), Face(BoundingBox(1, 2, 3, 4), 0.1)))
    assert reference_faces(detection) == {
        "0": {"x1": 10, "y1": 20, "x2": 40, "y2": 60},
        "1": {"x1": 1, "y1": 2, "x2": 4, "y2": 6},
    }
    assert reference_faces(_detection(())) == {}


def test_detection_json_fields() -> None:
    data = detection_to_json(_detection((Face(BoundingBox(10, 20, 30, 40), 0.9),)))
    assert data["image_key"] == "0" * 64 + ".png"
    assert data["created_at"] == "2024-05-01T12:00:00+00:00"
    assert data["duration_ms"] == 12.346
    assert data["face_count"] == 1 and len(data["faces"]) == 1
    assert json.loads(json.dumps(data)) == data
