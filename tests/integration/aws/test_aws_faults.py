"""Fault injection: failures of S3 or DynamoDB leave no half detection and map to the right errors.

Failures are injected with a wrapper around real moto clients (``FailingClient``) or with
botocore's ``Stubber``; afterwards the bucket is listed and the table scanned to prove
what is (not) left behind.
"""

from __future__ import annotations

import socket
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber
from support import imagegen
from support.aws_faults import FailingClient, client_error
from support.aws_resources import BUCKET, TABLE, Aws, list_keys, scan_all
from support.detections import make_detection

from facedetect.adapters.aws.dynamodb.repository import DynamoDBDetectionRepository
from facedetect.adapters.aws.errors import translate
from facedetect.adapters.aws.s3 import S3ImageStore
from facedetect.domain.model import BoundingBox, Face
from facedetect.errors import (
    ConfigurationError,
    DetectionNotFound,
    ImageNotFound,
    StorageError,
    StorageUnavailable,
)
from facedetect.service.detections import FaceDetectionService

IMAGE = imagegen.jpeg(imagegen.shapes())  # 400x300, decodes fine; the fake detector supplies the faces


class FixedDetector:
    """A detector that "finds" ``count`` faces in any image."""

    name = "fixed"

    def __init__(self, count: int) -> None:
        self.parameters: dict[str, Any] = {"count": count}
        self._faces = [Face(BoundingBox(i % 380, i % 280, 20, 20), 0.5) for i in range(count)]

    def detect(self, image: Any) -> list[Face]:
        return list(self._faces)


def service(aws: Aws, faces: int, *, s3_failures: dict[str, Any] | None = None,
            dynamodb_failures: dict[str, Any] | None = None) -> tuple[FaceDetectionService, FailingClient]:
    dynamodb = FailingClient(aws.dynamodb, dynamodb_failures or {})
    images = S3ImageStore(BUCKET, client=FailingClient(aws.s3, s3_failures or {}))
    return FaceDetectionService(FixedDetector(faces), images, DynamoDBDetectionRepository(TABLE, client=dynamodb)), \
        dynamodb


def assert_nothing_stored(aws: Aws) -> None:
    assert list_keys(aws) == []
    assert scan_all(aws) == []


def assert_only_the_image_stored(aws: Aws) -> None:
    """A failed detection write leaves no item, and keeps the image (harmless, reused by the retry)."""
    assert scan_all(aws) == []
    assert len(list_keys(aws)) == 1


@pytest.mark.parametrize(("error", "expected"), [
    (client_error("AccessDenied", "PutObject", status=403), StorageError),
    (client_error("SlowDown", "PutObject", status=503), StorageUnavailable),
    (client_error("InternalError", "PutObject", status=500), StorageUnavailable),
])
def test_s3_put_fails(aws: Aws, bucket: str, table: str, error: Exception, expected: type) -> None:
    svc, dynamodb = service(aws, 3, s3_failures={"put_object": error})
    with pytest.raises(expected) as info:
        svc.detect(IMAGE)
    assert type(info.value) is expected
    assert BUCKET in info.value.detail and BUCKET not in info.value.message  # the log names it, the client not
    assert dynamodb.calls.get("transact_write_items", 0) == 0
    assert_nothing_stored(aws)


@pytest.mark.parametrize(("failing_call", "error", "expected"), [
    (2, client_error("InternalServerError", "TransactWriteItems", status=500), StorageUnavailable),
    (3, client_error("ProvisionedThroughputExceededException", "TransactWriteItems"), StorageUnavailable),
    (4, client_error("AccessDeniedException", "TransactWriteItems"), StorageError),  # the commit marker
    (2, EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"), StorageUnavailable),
])
def test_dynamodb_fails_mid_detection(aws: Aws, bucket: str, table: str, failing_call: int,
                                      error: Exception, expected: type) -> None:
    """250 faces: 3 face transactions then the detection item; one of them fails."""
    svc, dynamodb = service(aws, 250, dynamodb_failures={"transact_write_items": {failing_call: error}})
    with pytest.raises(expected) as info:
        svc.detect(IMAGE)
    assert type(info.value) is expected
    assert dynamodb.calls["transact_write_items"] > failing_call  # the rollback's conditional deletes
    assert_only_the_image_stored(aws)  # face items rolled back after a consistent read said "not stored"


def test_dynamodb_throttles_single_transaction(aws: Aws, bucket: str, table: str) -> None:
    throttled = client_error("TransactionCanceledException", "TransactWriteItems",
                             reasons=["None", "ThrottlingError", "None", "None"])
    svc, _ = service(aws, 3, dynamodb_failures={"transact_write_items": throttled})
    with pytest.raises(StorageUnavailable) as info:
        svc.detect(IMAGE)
    assert TABLE in info.value.detail and TABLE not in info.value.message
    assert_only_the_image_stored(aws)


def test_failed_cleanup_still_leaves_no_visible_detection(aws: Aws, bucket: str, table: str) -> None:
    """If even the rollback fails, the write's own error is raised and the detection stays invisible."""
    error = client_error("InternalServerError", "TransactWriteItems", status=500)
    svc, _ = service(aws, 250, dynamodb_failures={"transact_write_items": {n: error for n in range(4, 20)}})
    with pytest.raises(StorageUnavailable) as info:
        svc.detect(IMAGE)
    assert "writing detection" in info.value.detail
    leftovers = scan_all(aws)
    assert len(leftovers) == 250 and {i["item_type"] for i in leftovers} == {"face"}
    with pytest.raises(DetectionNotFound):
        svc.get(leftovers[0]["detection_id"])
    assert svc.list().items == []
    assert len(list_keys(aws)) == 1


def test_transaction_conflicts_are_retried(aws: Aws, table: str) -> None:
    conflict = client_error("TransactionCanceledException", "TransactWriteItems",
                            reasons=["None", "TransactionConflict"])
    client = FailingClient(aws.dynamodb, {"transact_write_items": {1: conflict}})
    repo = DynamoDBDetectionRepository(TABLE, client=client)
    repo.add(make_detection(1))
    assert client.calls["transact_write_items"] == 2
    assert repo.get(make_detection(1).id) == make_detection(1)


def test_s3_conditional_write_conflict_is_retried(aws: Aws, bucket: str) -> None:
    conflict = client_error("ConditionalRequestConflict", "PutObject", status=409)
    client = FailingClient(aws.s3, {"put_object": {1: conflict}})
    store = S3ImageStore(BUCKET, client=client)
    assert store.put("k.jpg", b"x", media_type="image/jpeg") is True
    assert client.calls["put_object"] == 2


def test_s3_without_conditional_writes_falls_back_to_head_then_put(aws: Aws, bucket: str) -> None:
    unsupported = client_error("NotImplemented", "PutObject", status=501)
    store = S3ImageStore(BUCKET, client=FailingClient(aws.s3, {"put_object": {1: unsupported}}))
    assert store.put("k.jpg", b"x", media_type="image/jpeg") is True
    assert store.put("k.jpg", b"y", media_type="image/jpeg") is False
    assert store.get("k.jpg") == b"x"
    assert aws.s3.head_object(Bucket=BUCKET, Key="k.jpg")["ServerSideEncryption"] == "AES256"


def test_missing_table_is_a_storage_error_naming_it(aws: Aws) -> None:
    repo = DynamoDBDetectionRepository("no-such-table", client=aws.dynamodb)
    for call in (lambda: repo.get("abc"), lambda: repo.add(make_detection(1)), lambda: repo.list()):
        with pytest.raises(StorageError) as info:
            call()
        assert type(info.value) is StorageError
        assert "no-such-table" in info.value.detail and "no-such-table" not in info.value.message


def test_stubbed_throttling_is_storage_unavailable(fake_aws_env: None) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1", config=Config(retries={"total_max_attempts": 1}))
    repo = DynamoDBDetectionRepository(TABLE, client=client)
    with Stubber(client) as stub:
        stub.add_client_error("get_item", service_error_code="ThrottlingException", http_status_code=400)
        stub.add_client_error("scan", service_error_code="ProvisionedThroughputExceededException",
                              http_status_code=400)
        with pytest.raises(StorageUnavailable):
            repo.get("abc")
        with pytest.raises(StorageUnavailable):
            DynamoDBDetectionRepository(TABLE, client=client, list_index=None).list()
        stub.assert_no_pending_responses()


def test_unreachable_endpoint_is_storage_unavailable(fake_aws_env: None) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=1, read_timeout=1,
                    s3={"addressing_style": "path"})
    client = boto3.client("s3", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}", config=config)
    with pytest.raises(StorageUnavailable) as info:
        S3ImageStore(BUCKET, client=client).put("k.jpg", b"x", media_type="image/jpeg")
    assert "could not be reached" in info.value.detail and f":{port}" in info.value.detail
    assert str(port) not in info.value.message and "k.jpg" not in info.value.message


@pytest.mark.parametrize(("error", "expected"), [
    (client_error("ThrottlingException", "Query"), StorageUnavailable),
    (client_error("RequestLimitExceeded", "Query"), StorageUnavailable),
    (client_error("Whatever", "Query", status=503), StorageUnavailable),
    (client_error("NoSuchKey", "GetObject", status=404), ImageNotFound),
    (client_error("404", "HeadObject", status=404), ImageNotFound),
    (client_error("NoSuchBucket", "GetObject", status=404), StorageError),
    (client_error("ResourceNotFoundException", "GetItem"), StorageError),
    (client_error("ValidationException", "GetItem"), StorageError),
    (ReadTimeoutError(endpoint_url="https://s3"), StorageUnavailable),
])
def test_translation_table(error: Exception, expected: type) -> None:
    translated = translate(error, resource="S3 bucket 'b'", action="testing", key="k.jpg")
    assert type(translated) is expected


def test_missing_region_is_a_configuration_error() -> None:
    from botocore.exceptions import NoRegionError

    assert isinstance(translate(NoRegionError(), resource="DynamoDB", action="x"), ConfigurationError)


class OldSdkClient:
    """A real S3 client seen through a botocore 1.34-like model: ``PutObject`` has no ``IfNoneMatch``.

    Passing it anyway fails as botocore < 1.35.2 does (``ParamValidationError``).
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        members = {k: v for k, v in client.meta.service_model.operation_model("PutObject").input_shape.members.items()
                   if k != "IfNoneMatch"}
        shape = type("Shape", (), {"members": members})()
        model = type("Model", (), {"operation_model": lambda self, name: type("Op", (), {"input_shape": shape})()})()
        self.meta = type("Meta", (), {"service_model": model, "events": client.meta.events})()
        self.puts: list[dict[str, Any]] = []

    def put_object(self, **kwargs: Any) -> Any:
        from botocore.exceptions import ParamValidationError

        if "IfNoneMatch" in kwargs:
            raise ParamValidationError(report='Unknown parameter in input: "IfNoneMatch"')
        self.puts.append(kwargs)
        return self._client.put_object(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_an_sdk_without_conditional_writes_is_detected_and_head_then_put_is_used(aws: Aws, bucket: str) -> None:
    from facedetect.adapters.aws.s3 import supports_conditional_put

    assert supports_conditional_put(aws.s3) is True  # the SDK of this environment
    old = OldSdkClient(aws.s3)
    assert supports_conditional_put(old) is False
    store = S3ImageStore(BUCKET, client=old)
    assert store.put("k.jpg", b"x", media_type="image/jpeg") is True
    assert store.put("k.jpg", b"x", media_type="image/jpeg") is False  # HeadObject saw it: no second PUT
    assert store.uses_conditional_writes() is False and len(old.puts) == 1
    assert store.get("k.jpg") == b"x"
    assert aws.s3.head_object(Bucket=BUCKET, Key="k.jpg")["ServerSideEncryption"] == "AES256"


def test_the_service_on_an_old_sdk_stores_each_image_once(aws: Aws, bucket: str, table: str) -> None:
    old = OldSdkClient(aws.s3)
    images, detections = S3ImageStore(BUCKET, client=old), DynamoDBDetectionRepository(TABLE, client=aws.dynamodb)
    svc = FaceDetectionService(FixedDetector(2), images, detections)
    first = svc.detect(IMAGE)
    again = FaceDetectionService(FixedDetector(3), images, detections).detect(IMAGE)  # other settings
    assert first.image_key == again.image_key and first.id != again.id
    assert list_keys(aws) == [first.image_key] and len(old.puts) == 1
    assert svc.image(again.id)[0] == IMAGE
