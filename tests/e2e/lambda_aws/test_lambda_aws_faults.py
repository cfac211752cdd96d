"""Fault injection at the handler: S3 or DynamoDB fail while a request is served, over the moto server.

The service is built here from the product's own clients (``facedetect.adapters.aws.clients``) wrapped
in ``FailingClient`` (chosen calls raise instead of running) and installed in the handler with
``aws_lambda.reset(images=..., detections=...)``. Throttling is also injected on the wire: DynamoDB answers HTTP 400
``ThrottlingException`` and botocore's own retries run. Afterwards the bucket is listed and the
table scanned: no half detection, no face item without its detection and its image. An image
without a detection may stay after a failed detection write (the storage rule keeps it: it
is harmless and the retry reuses it). Error bodies name no bucket, table or key; the log does.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError
from support import imagegen
from support.aws_faults import FailingClient, client_error
from support.lambda_aws import BUCKET, MAX_BYTES, TABLE, Deployment, assert_json_error

from facedetect.adapters.aws.clients import MAX_ATTEMPTS, dynamodb_client, s3_client
from facedetect.adapters.aws.dynamodb.repository import DynamoDBDetectionRepository
from facedetect.adapters.aws.s3 import S3ImageStore
from facedetect.domain.model import BoundingBox, Face
from facedetect.domain.ports import FaceDetector

PNG = imagegen.png()  # the astronaut: one face for Haar
SHAPES = imagegen.png(imagegen.shapes())  # 400x300, no face: the fake detector supplies them


class ManyFacesDetector:
    """A detector that "finds" ``count`` faces in any image (more than one transaction holds)."""

    name = "many"

    def __init__(self, count: int) -> None:
        self.parameters: dict[str, Any] = {"count": count}
        self._faces = [Face(BoundingBox(i % 380, (i * 7) % 280, 20, 20), round(1 - i / 1000, 6)) for i in range(count)]

    def detect(self, image: Any) -> list[Face]:
        return list(self._faces)


def install(deployed: Deployment, endpoint: str, detector: FaceDetector, *, s3_failures: dict[str, Any] | None = None,
            dynamodb_failures: dict[str, Any] | None = None) -> tuple[FailingClient, FailingClient]:
    """Build the service on the moto server with failing client wrappers and make the handler use it."""
    s3 = FailingClient(s3_client(endpoint), s3_failures or {})
    dynamodb = FailingClient(dynamodb_client(endpoint), dynamodb_failures or {})
    deployed.handler.reset(images=S3ImageStore(BUCKET, client=s3), detector=detector, max_bytes=MAX_BYTES,
                           detections=DynamoDBDetectionRepository(TABLE, client=dynamodb))
    return s3, dynamodb


def assert_consistent(deployed: Deployment) -> tuple[set[str], list[dict[str, Any]]]:
    """Every face item belongs to a complete detection whose image is stored; every image to a detection.

    For after a successful retry: by then the image a failed write kept is used again.
    """
    objects = set(deployed.objects())
    items = deployed.items()
    detections = {i["detection_id"]: i for i in items if i.get("item_type") == "detection"}
    faces = [i for i in items if "x1" in i]
    assert len(items) == len(detections) + len(faces)
    for face in faces:
        assert face["detection_id"] in detections, f"face item {face['face_id']} without its detection"
        assert face["image_id"] in objects, f"face item {face['face_id']} without its image"
    for det_id, detection in detections.items():
        assert sum(1 for f in faces if f["detection_id"] == det_id) == detection["face_count"]
    assert objects == {d["image_id"] for d in detections.values()}, "an image without a detection"
    return objects, list(detections.values())


@pytest.mark.parametrize(("error", "status", "code"), [
    (client_error("AccessDenied", "PutObject", status=403), 500, "storage_error"),
    (client_error("SlowDown", "PutObject", status=503), 503, "storage_unavailable"),
    (EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), 503, "storage_unavailable"),
])
def test_s3_put_fails(deployed, api_event, moto_url, haar, error, status, code, capsys):
    _, dynamodb = install(deployed, moto_url, haar, s3_failures={"put_object": error})
    capsys.readouterr()

    answer = deployed.invoke(api_event("post_faces_png", image=PNG, request_id="req-s3"))

    assert_json_error(answer, status, code, "req-s3")
    assert BUCKET not in answer.raw_body and ".png" not in answer.raw_body and "127.0.0.1" not in answer.raw_body
    assert BUCKET in capsys.readouterr().out  # the log names it
    assert (answer.header("Retry-After") == "1") is (status == 503)
    assert dynamodb.calls.get("transact_write_items", 0) == 0  # nothing was written to the table
    assert deployed.objects() == [] and deployed.items() == []


@pytest.mark.parametrize(("failing_call", "error", "status", "code"), [
    (2, client_error("InternalServerError", "TransactWriteItems", status=500), 503, "storage_unavailable"),
    (3, client_error("ProvisionedThroughputExceededException", "TransactWriteItems"), 503, "storage_unavailable"),
    (4, client_error("AccessDeniedException", "TransactWriteItems"), 500, "storage_error"),  # the commit marker
])
def test_dynamodb_write_fails_mid_detection(deployed, api_event, moto_url, failing_call, error, status, code):
    """250 faces: three transactions of face items, then the detection item; one of the later ones fails."""
    _, dynamodb = install(deployed, moto_url, ManyFacesDetector(250),
                          dynamodb_failures={"transact_write_items": {failing_call: error}})

    answer = deployed.invoke(api_event("post_faces_png", image=SHAPES, request_id="req-mid"))

    assert_json_error(answer, status, code, "req-mid")
    assert dynamodb.calls["transact_write_items"] > failing_call  # earlier chunks were written, then removed
    assert deployed.items() == [] and len(deployed.objects()) == 1  # the image stays for the retry

    again = deployed.invoke(api_event("post_faces_png", image=SHAPES))  # the client retries; no fault now
    assert again.status == 200, again.raw_body
    assert len(again.json["faces"]) == 250
    objects, detections = assert_consistent(deployed)
    assert len(objects) == 1 and len(detections) == 1 and len(deployed.face_items()) == 250


def test_a_failed_detection_leaves_a_shared_image_and_its_detection_alone(deployed, api_event, moto_url, haar):
    """Same image, other detector options: a new detection id; its write fails; the first detection stays."""
    install(deployed, moto_url, haar, dynamodb_failures={"transact_write_items": {
        2: client_error("InternalServerError", "TransactWriteItems", status=500)}})
    first = deployed.invoke(api_event("post_faces_png", image=PNG))
    assert first.status == 200, first.raw_body
    event = api_event("post_faces_png", image=PNG, request_id="req-shared")
    event["queryStringParameters"] = {"min_neighbors": "3"}
    event["multiValueQueryStringParameters"] = {"min_neighbors": ["3"]}

    assert_json_error(deployed.invoke(event), 503, "storage_unavailable", "req-shared")

    objects, detections = assert_consistent(deployed)
    assert objects == {first.json["detection"]["image_key"]}
    assert [d["detection_id"] for d in detections] == [first.json["detection"]["id"]]


def test_throttled_transaction_is_503_with_retry_after(deployed, api_event, moto_url, haar):
    """DynamoDB cancels the transaction because an item was throttled (what on-demand tables answer)."""
    throttled = client_error("TransactionCanceledException", "TransactWriteItems",
                             reasons=["None", "ThrottlingError"])
    install(deployed, moto_url, haar, dynamodb_failures={"transact_write_items": throttled})

    answer = deployed.invoke(api_event("post_faces_png", image=PNG, request_id="req-throttled"))

    assert_json_error(answer, 503, "storage_unavailable", "req-throttled")
    assert TABLE not in answer.raw_body
    assert answer.header("Retry-After") == "1"
    assert deployed.items() == [] and len(deployed.objects()) == 1


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data


def test_throttling_on_the_wire_is_retried_by_botocore_then_503(deployed, api_event, moto_url, haar):
    """Every TransactWriteItems gets HTTP 400 ThrottlingException: botocore retries, then the client gets 503."""
    dynamodb = dynamodb_client(moto_url)
    attempts: list[str] = []

    def throttle(request: Any, **_: Any) -> AWSResponse:
        attempts.append(request.url)
        body = {"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException", "message": "Rate exceeded"}
        return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.0",
                                              "x-amzn-RequestId": f"throttled-{len(attempts)}"},
                           _Body(json.dumps(body).encode()))

    dynamodb.meta.events.register("before-send.dynamodb.TransactWriteItems", throttle)
    deployed.handler.reset(images=S3ImageStore(BUCKET, client=s3_client(moto_url)), detector=haar,
                           detections=DynamoDBDetectionRepository(TABLE, client=dynamodb))

    answer = deployed.invoke(api_event("post_faces_png", image=PNG, request_id="req-wire"))

    assert_json_error(answer, 503, "storage_unavailable", "req-wire")
    assert answer.header("Retry-After") == "1"
    assert len(attempts) == MAX_ATTEMPTS > 1 and all(url.startswith(moto_url) for url in attempts)
    assert deployed.items() == [] and len(deployed.objects()) == 1  # the image put before it stays
