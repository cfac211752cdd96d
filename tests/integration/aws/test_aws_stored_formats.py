"""DynamoDB items written before records were versioned (tests/fixtures/stored/v0) still read."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from support.aws_resources import Aws, scan_all
from support.stored_samples import SAMPLES, many_faces, with_landmarks, without_faces

from facedetect.adapters.aws.dynamodb.repository import DynamoDBDetectionRepository
from facedetect.domain.model import Detection
from facedetect.errors import DetectionNotFound, StorageError

V0_ITEMS = Path(__file__).resolve().parents[2] / "fixtures" / "stored" / "v0" / "dynamodb_items.json"


def _v0_items() -> list[dict[str, Any]]:
    def wire(value: dict[str, Any]) -> dict[str, Any]:
        ((kind, raw),) = value.items()
        return {"B": base64.b64decode(raw)} if kind == "B" else value

    return [{name: wire(value) for name, value in item.items()} for item in json.loads(V0_ITEMS.read_text())]


@pytest.fixture
def v0_repo(aws: Aws, repo: DynamoDBDetectionRepository) -> DynamoDBDetectionRepository:
    for item in _v0_items():
        aws.dynamodb.put_item(TableName=repo.table, Item=item)
    return repo


def test_the_fixtures_are_the_unversioned_layout() -> None:
    items = _v0_items()
    markers = [i for i in items if i["item_type"]["S"] == "detection"]
    assert len(markers) == 3 and all("schema" not in i for i in markers)
    assert sum("detection_json_zlib" in i for i in markers) == 1  # the compressed body is covered too
    assert len(items) - len(markers) == sum(len(make().faces) for make in SAMPLES.values())


@pytest.mark.parametrize("make", [with_landmarks, without_faces, many_faces])
def test_v0_items_read_as_the_detections_they_were_written_from(v0_repo: DynamoDBDetectionRepository,
                                                                make: Callable[[], Detection]) -> None:
    expected = make()
    assert v0_repo.get(expected.id) == expected


def test_v0_and_new_items_list_together_and_new_ones_carry_the_schema(aws: Aws,
                                                                      v0_repo: DynamoDBDetectionRepository) -> None:
    newer = replace(without_faces(), id="0" * 31 + "9", created_at=many_faces().created_at.replace(year=2026))
    assert v0_repo.add(newer)
    marker = next(i for i in scan_all(aws) if i["face_id"] == f"detection#{newer.id}")
    assert marker["schema"] == 1 and json.loads(marker["detection_json"])["schema"] == 1
    assert v0_repo.list(limit=10).items == [newer, with_landmarks(), many_faces(), without_faces()]


def test_deleting_a_v0_detection_removes_its_face_items(aws: Aws, v0_repo: DynamoDBDetectionRepository) -> None:
    gone = with_landmarks()
    v0_repo.delete(gone.id)
    with pytest.raises(DetectionNotFound):
        v0_repo.get(gone.id)
    assert gone.id not in {i["detection_id"] for i in scan_all(aws)}
    assert v0_repo.get(without_faces().id) == without_faces()


def test_an_item_of_a_future_schema_is_a_clear_storage_error(aws: Aws, v0_repo: DynamoDBDetectionRepository) -> None:
    future = with_landmarks()
    aws.dynamodb.update_item(TableName=v0_repo.table, Key={"face_id": {"S": f"detection#{future.id}"}},
                             UpdateExpression="SET #s = :v", ExpressionAttributeNames={"#s": "schema"},
                             ExpressionAttributeValues={":v": {"N": "2"}})
    with pytest.raises(StorageError) as info:
        v0_repo.get(future.id)
    assert "schema 2" in info.value.detail and v0_repo.table in info.value.detail
    assert v0_repo.table not in info.value.message and future.id not in info.value.message
