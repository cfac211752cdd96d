"""The stored record (adapters/records.py): round trips, apart from the API JSON, versions it refuses."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facedetect.adapters.records import (
    SCHEMA,
    UPLOAD_SCHEMA,
    detection_from_record,
    detection_to_record,
    upload_from_record,
    upload_to_record,
)
from facedetect.domain.model import BoundingBox, Detection, Face, Landmarks, Point
from facedetect.domain.uploads import Upload
from facedetect.errors import StorageError

finite = st.floats(allow_nan=False, allow_infinity=False)
points = st.builds(Point, finite, finite)
faces = st.builds(Face, st.builds(BoundingBox, st.integers(-10**6, 10**6), st.integers(-10**6, 10**6),
                                  st.integers(1, 10**6), st.integers(1, 10**6)),
                  finite, st.none() | st.builds(Landmarks, points, points, points, points, points))
json_values = st.recursive(st.none() | st.booleans() | st.integers(-10**12, 10**12) | finite | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3), max_leaves=6)
offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
detections = st.builds(
    Detection, id=st.text(min_size=1, max_size=40), sha256=st.text(max_size=64), media_type=st.text(max_size=20),
    width=st.integers(1, 10**5), height=st.integers(1, 10**5), faces=st.lists(faces, max_size=5).map(tuple),
    detector=st.text(max_size=12), parameters=st.dictionaries(st.text(max_size=12), json_values, max_size=5),
    created_at=st.datetimes(min_value=datetime(1970, 1, 2), timezones=offsets | st.just(UTC)),
    duration_ms=finite,
)


def _through_json(record: dict[str, Any]) -> Any:
    return json.loads(json.dumps(record, separators=(",", ":")))


@given(detections)
def test_a_record_reads_back_to_an_equal_detection(detection: Detection) -> None:
    back = detection_from_record(_through_json(detection_to_record(detection)), where="test")
    assert back == detection
    assert back.created_at.utcoffset() == detection.created_at.utcoffset()


def test_a_record_holds_the_schema_and_only_what_storage_needs() -> None:
    marks = Landmarks(Point(1.5, 2), Point(3, 4), Point(5, 6), Point(7, 8), Point(9, 10.25))
    detection = Detection(id="d1", sha256="ab" * 32, media_type="image/png", width=64, height=48,
                          faces=(Face(BoundingBox(1, 2, 30, 40), 0.1234567891, marks),), detector="yunet",
                          parameters={"top_k": 10}, created_at=datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
                          duration_ms=1.23456789)
    assert _through_json(detection_to_record(detection)) == {
        "schema": 1, "id": "d1", "sha256": "ab" * 32, "media_type": "image/png", "width": 64, "height": 48,
        "detector": "yunet", "parameters": {"top_k": 10}, "created_at": "2024-01-02T03:04:05.000006+00:00",
        "duration_ms": 1.23456789,
        "faces": [{"box": [1, 2, 30, 40], "confidence": 0.1234567891,
                   "landmarks": [[1.5, 2], [3, 4], [5, 6], [7, 8], [9, 10.25]]}],
    }
    assert SCHEMA == 1


@pytest.mark.parametrize("version", [2, 99, -1, "1", 1.0, True, None])
def test_an_unknown_schema_is_a_clear_storage_error(version: object) -> None:
    record = {**detection_to_record(_small()), "schema": version}
    with pytest.raises(StorageError) as info:
        detection_from_record(record, where="'x.json'")
    assert f"schema {version!r}" in info.value.detail and "'x.json'" in info.value.detail
    assert "[0, 1]" in info.value.detail  # says which schemas this release reads
    assert "x.json" not in info.value.message


@pytest.mark.parametrize("damage", [
    lambda r: r["faces"][0].update(box=[1, 2, 3]),
    lambda r: r["faces"][0].update(landmarks=[[1, 2]] * 4),
    lambda r: r.pop("sha256"),
    lambda r: r.update(created_at="yesterday"),
    lambda r: r.update(faces=None),
])
def test_a_damaged_record_is_corrupt(damage: Any) -> None:
    record = detection_to_record(_small())
    damage(record)
    with pytest.raises(StorageError, match=r"^Storage failed") as info:
        detection_from_record(record, where="here")
    assert "here is corrupt" in info.value.detail


@pytest.mark.parametrize("record", [[], "text", 3, None])
def test_a_record_that_is_not_an_object_is_corrupt(record: object) -> None:
    with pytest.raises(StorageError) as info:
        detection_from_record(record, where="here")
    assert "corrupt" in info.value.detail


def _small() -> Detection:
    return Detection(id="d", sha256="0" * 64, media_type="image/jpeg", width=10, height=10,
                     faces=(Face(BoundingBox(0, 0, 5, 5), 0.5),), detector="haar", parameters={},
                     created_at=datetime(2024, 1, 1, tzinfo=UTC), duration_ms=1.0)


UPLOAD = Upload(upload_id="0123456789abcdef" * 2, status="done", content_type="image/jpeg", content_length=4321,
                options={"min_neighbors": 3}, created_at=datetime(2026, 5, 1, 12, 0, tzinfo=UTC),
                expires_at=datetime(2026, 5, 1, 12, 15, tzinfo=UTC), detection_id="f" * 32)


def test_an_upload_record_carries_its_schema_and_reads_back() -> None:
    record = json.loads(json.dumps(upload_to_record(UPLOAD)))
    assert record["schema"] == UPLOAD_SCHEMA == 1
    assert upload_from_record(record) == UPLOAD


def test_an_upload_record_written_before_versioning_still_reads() -> None:
    unversioned = {  # what the adapters stored before records had a schema: these fields, no "schema"
        "upload_id": UPLOAD.upload_id, "status": "done", "content_type": "image/jpeg", "content_length": 4321,
        "options": {"min_neighbors": 3}, "created_at": "2026-05-01T12:00:00+00:00",
        "expires_at": "2026-05-01T12:15:00+00:00", "detection_id": "f" * 32, "error_code": None,
        "error_message": None}
    assert upload_from_record(unversioned) == UPLOAD


@pytest.mark.parametrize("schema", [2, "1", None])
def test_an_upload_record_of_an_unknown_schema_is_refused(schema: object) -> None:
    with pytest.raises(ValueError, match="schema"):
        upload_from_record({**upload_to_record(UPLOAD), "schema": schema})

