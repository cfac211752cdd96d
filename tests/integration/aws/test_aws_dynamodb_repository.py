"""DynamoDBDetectionRepository on the reference table (moto in-process and over HTTP), beyond tests/ports."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from support.aws_faults import FailingClient
from support.aws_resources import Aws, create_reference_table, scan_all
from support.detections import make_detection

from facedetect.adapters.aws.dynamodb import items as dynamodb_items
from facedetect.adapters.aws.dynamodb.repository import DynamoDBDetectionRepository
from facedetect.errors import ConfigurationError, DetectionNotFound, InvalidInput, StorageError

REFERENCE_ATTRIBUTES = {"face_id", "image_id", "x1", "y1", "x2", "y2"}


def faces_in(items: list[dict], detection_id: str) -> list[dict]:
    return sorted((i for i in items if i.get("item_type") == "face" and i["detection_id"] == detection_id),
                  key=lambda i: i["face_index"])


@pytest.mark.parametrize("n_faces", [0, 3, 250])
def test_round_trip(aws: Aws, repo: DynamoDBDetectionRepository, n_faces: int) -> None:
    detection = make_detection(n_faces, landmarks=n_faces == 3)
    repo.add(detection)
    assert repo.get(detection.id) == detection
    items = scan_all(aws)
    assert len(items) == n_faces + 1  # one item per face plus the detection item
    assert len(faces_in(items, detection.id)) == n_faces


@pytest.mark.parametrize("n_faces", [3, 250])
def test_each_face_item_has_the_reference_attributes(aws: Aws, repo: DynamoDBDetectionRepository,
                                                     n_faces: int) -> None:
    detection = make_detection(n_faces)
    repo.add(detection)
    faces = faces_in(scan_all(aws), detection.id)
    assert len(faces) == n_faces
    for face, item in zip(detection.faces, faces, strict=True):
        assert item.keys() >= REFERENCE_ATTRIBUTES
        assert item["image_id"] == f"{detection.sha256}.jpg"
        x, y, w, h = face.box.x, face.box.y, face.box.width, face.box.height
        assert (item["x1"], item["y1"], item["x2"], item["y2"]) == (x, y, x + w, y + h)
        assert (item["width"], item["height"]) == (w, h)
        assert item["confidence"] == Decimal(str(face.confidence))
        assert item["created_at"] == detection.created_at.isoformat()
    assert len({i["face_id"] for i in faces}) == n_faces


def test_numbers_are_dynamodb_numbers(aws: Aws, repo: DynamoDBDetectionRepository) -> None:
    repo.add(make_detection(3))
    items = scan_all(aws)
    numeric = ("x1", "y1", "x2", "y2", "width", "height", "confidence", "face_count", "image_width")
    seen = 0
    for item in items:
        for name in numeric:
            if name in item:
                assert type(item[name]) is Decimal, name
                seen += 1
        assert not any(isinstance(v, float) for v in item.values())
    assert seen == 3 * 7 + 2
    raw = aws.dynamodb.get_item(TableName="faces", Key={"face_id": {"S": f"{make_detection(3).id}#1"}})["Item"]
    assert raw["confidence"] == {"N": "0.998"}
    assert raw["x2"] == {"N": str(7 + 21)}


def test_adding_an_existing_id_is_a_no_op(aws: Aws, repo: DynamoDBDetectionRepository) -> None:
    first = make_detection(3)
    repo.add(first)
    later = replace(first, created_at=first.created_at + timedelta(hours=1), duration_ms=99.0)
    repo.add(later)
    assert repo.get(first.id) == first
    assert len(scan_all(aws)) == 4


def test_adding_an_existing_large_detection_is_a_no_op(aws: Aws, repo: DynamoDBDetectionRepository) -> None:
    first = make_detection(150)
    repo.add(first)
    repo.add(replace(first, created_at=first.created_at + timedelta(hours=1)))
    assert repo.get(first.id) == first
    assert {i["created_at"] for i in scan_all(aws)} == {first.created_at.isoformat()}


def test_large_face_lists_are_stored_compressed(aws: Aws, repo: DynamoDBDetectionRepository,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dynamodb_items, "COMPRESS_ABOVE_BYTES", 100)
    detection = make_detection(20, landmarks=True)
    repo.add(detection)
    marker = next(i for i in scan_all(aws) if i["item_type"] == "detection")
    assert "detection_json" not in marker and "detection_json_zlib" in marker
    assert repo.get(detection.id) == detection


def test_unknown_ids_are_not_found(repo: DynamoDBDetectionRepository) -> None:
    repo.add(make_detection(1))
    for unknown in ("f" * 32, "", "a#b", "detection#" + make_detection(1).id, "x" * 300):
        with pytest.raises(DetectionNotFound):
            repo.get(unknown)


@pytest.mark.parametrize("n_faces", [0, 3, 250])
def test_delete_removes_detection_and_faces(aws: Aws, repo: DynamoDBDetectionRepository, n_faces: int) -> None:
    keep, gone = make_detection(2, index=1), make_detection(n_faces, index=2)
    repo.add(keep)
    repo.add(gone)
    repo.delete(gone.id)
    repo.delete(gone.id)  # deleting a missing id is not an error
    with pytest.raises(DetectionNotFound):
        repo.get(gone.id)
    assert {i["detection_id"] for i in scan_all(aws)} == {keep.id}
    assert repo.get(keep.id) == keep


def test_corrupt_detection_item_is_a_storage_error(aws: Aws, repo: DynamoDBDetectionRepository) -> None:
    aws.dynamodb.put_item(TableName="faces", Item={"face_id": {"S": "detection#abc"},
                                                   "detection_json": {"S": "{not json"}})
    with pytest.raises(StorageError) as info:
        repo.get("abc")
    assert "corrupt" in info.value.detail and "faces" in info.value.detail  # for the log
    assert "faces" not in info.value.message and "detection#abc" not in info.value.message


def test_list_uses_the_index_when_present(aws: Aws) -> None:
    create_reference_table(aws, with_index=True)
    client = FailingClient(aws.dynamodb, {"scan": AssertionError("listing scanned although the index exists")})
    repo = DynamoDBDetectionRepository("faces", client=client)
    for i in range(3):
        repo.add(make_detection(1, index=i))
    assert [d.id for d in repo.list(limit=5).items] == [make_detection(0, index=i).id for i in (2, 1, 0)]
    assert client.calls == {}


def test_list_without_the_index_scans(aws: Aws, table: str) -> None:
    client = FailingClient(aws.dynamodb, {"scan": {}})  # counts scans, fails none
    repo = DynamoDBDetectionRepository(table, client=client)
    for i in range(3):
        repo.add(make_detection(1, index=i))
    assert [d.id for d in repo.list(limit=5).items] == [make_detection(0, index=i).id for i in (2, 1, 0)]
    assert client.calls["scan"] >= 1


@pytest.mark.parametrize("cursor", [
    "garbage!!", "", base64.urlsafe_b64encode(b"2024|x").decode(),
    base64.urlsafe_b64encode(b"2024-05-01T12:00:00.123456Z|a#b").decode(),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
])
def test_bad_cursors_are_invalid_input(repo: DynamoDBDetectionRepository, cursor: str) -> None:
    with pytest.raises(InvalidInput):
        repo.list(cursor=cursor)


def test_client_is_created_lazily_and_needs_a_region(aws: Aws, table: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    repo = DynamoDBDetectionRepository(table)  # no client, no region: constructing is fine
    with pytest.raises(ConfigurationError, match="AWS_REGION"):
        repo.get("abc")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    if aws.endpoint_url:
        monkeypatch.setenv("AWS_ENDPOINT_URL", aws.endpoint_url)
    repo = DynamoDBDetectionRepository(table)
    repo.add(make_detection(2))
    assert repo.get(make_detection(2).id) == make_detection(2)
