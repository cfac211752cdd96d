"""The upload adapters on moto: DynamoDB upload records beside detections, the S3 presigned-POST inbox."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from support.aws_faults import FailingClient, client_error
from support.aws_resources import Aws, scan_all
from support.detections import make_detection

from facedetect.adapters.aws.dynamodb.repository import DynamoDBDetectionRepository
from facedetect.adapters.aws.dynamodb.uploads import DynamoDBUploadRepository
from facedetect.adapters.aws.s3_uploads import S3UploadInbox
from facedetect.domain.uploads import Upload, new_upload_id
from facedetect.errors import ImageNotFound, ImageTooLarge, StorageError, StorageUnavailable, UploadNotFound

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def pending(**changes: object) -> Upload:
    values: dict[str, object] = {
        "upload_id": new_upload_id(), "status": "pending", "content_type": "image/jpeg", "content_length": 1234,
        "options": {"min_neighbors": 3}, "created_at": T0, "expires_at": T0 + timedelta(minutes=15)}
    values.update(changes)
    return Upload(**values)  # type: ignore[arg-type]


def test_records_round_trip_and_finish_once(aws: Aws, table: str, repo: DynamoDBDetectionRepository) -> None:
    uploads = DynamoDBUploadRepository(table, client=aws.dynamodb)
    upload = pending()
    uploads.create(upload)
    assert uploads.get(upload.upload_id) == upload
    with pytest.raises(StorageError):
        uploads.create(upload)  # ids never repeat: a second create is a fault, not an overwrite
    assert uploads.finish(upload.done("d" * 32)) is True
    assert uploads.finish(upload.failed("invalid_image", "late duplicate")) is False
    assert uploads.get(upload.upload_id).detection_id == "d" * 32
    assert uploads.finish(pending()) is False  # never created: nothing to finish
    with pytest.raises(UploadNotFound):
        uploads.get(new_upload_id())
    [item] = scan_all(aws, table)
    assert item["face_id"] == f"upload#{upload.upload_id}" and item["item_type"] == "upload"
    assert item["expires_at"] == int((T0 + timedelta(days=7)).timestamp())


def test_listing_detections_never_shows_uploads(aws: Aws, table: str, repo: DynamoDBDetectionRepository) -> None:
    DynamoDBUploadRepository(table, client=aws.dynamodb).create(pending())
    repo.add(make_detection(2))
    assert [d.id for d in repo.list(limit=10).items] == [make_detection(2).id]


def test_throttling_is_transient(aws: Aws, table: str) -> None:
    failing = FailingClient(aws.dynamodb, {"get_item": client_error("ThrottlingException", "GetItem")})
    with pytest.raises(StorageUnavailable):
        DynamoDBUploadRepository(table, client=failing).get(new_upload_id())


def test_presigned_post_pins_key_type_and_size(aws: Aws, bucket: str) -> None:
    inbox = S3UploadInbox(bucket, client=aws.s3)
    target = inbox.target("a" * 32, content_type="image/png", max_bytes=5_000_000, expires_in=600)
    assert target.method == "POST" and target.fields["key"] == "uploads/" + "a" * 32
    policy = json.loads(base64.b64decode(target.fields["policy"]))
    assert ["content-length-range", 1, 5_000_000] in policy["conditions"]
    assert {"Content-Type": "image/png"} in policy["conditions"] and {"bucket": bucket} in policy["conditions"]
    expiry = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert timedelta(seconds=590) < expiry - datetime.now(UTC) <= timedelta(seconds=600)


def test_read_bounds_and_delete(aws: Aws, bucket: str) -> None:
    inbox = S3UploadInbox(bucket, client=aws.s3)
    aws.s3.put_object(Bucket=bucket, Key="uploads/big", Body=b"x" * 2000)
    with pytest.raises(ImageTooLarge):
        inbox.read("big", max_bytes=1000)
    assert inbox.read("big", max_bytes=2000) == b"x" * 2000
    inbox.delete("big")
    with pytest.raises(ImageNotFound):
        inbox.read("big", max_bytes=2000)
    inbox.delete("big")  # deleting again is fine
