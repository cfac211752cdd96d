"""Large photos through S3 and SQS, on a moto server over real HTTP.

``POST /uploads`` (the API handler) -> a real multipart POST of the presigned fields and the
file to the moto server -> moto's own S3 notification to an SQS queue -> the messages
received from the queue, as Lambda's event source mapping hands them over ->
``sqs_handler`` (twice: SQS delivers at least once) -> ``GET /uploads/{id}``. The table and
bucket are read back with the test's own boto3 clients.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

import numpy as np
import pytest
import requests
from support import imagegen
from support.aws_faults import FailingClient, client_error
from support.aws_resources import Aws, backend, create_bucket, create_reference_table, scan_all
from support.fake_aws import reset_moto
from support.lambda_events import FakeLambdaContext, invoke_handler

from facedetect.adapters.aws.clients import dynamodb_client, s3_client
from facedetect.adapters.aws.dynamodb.repository import DynamoDBDetectionRepository
from facedetect.adapters.aws.s3 import S3ImageStore
from facedetect.entrypoints.rest.events import build_event
from facedetect.library import detect_faces

BUCKET = "facedetect-uploads-e2e"
TABLE = "faces"
QUEUE = "facedetect-uploads"
MAX_BYTES = 20 * 1024 * 1024
HOST = "abc123.execute-api.us-east-1.amazonaws.com"


@dataclass
class Stack:
    aws: Aws
    handler: Any
    sqs: Any
    queue_url: str
    queue_arn: str


@pytest.fixture(scope="module")
def large_jpeg() -> bytes:
    """A 2560x2048 noisy JPEG of 20 astronauts, over 6 MB (more than API Gateway passes to Lambda)."""
    rng = np.random.default_rng(0)
    canvas = np.tile(imagegen.astronaut(), (4, 5, 1))
    noisy = np.clip(canvas + rng.normal(0, 24, canvas.shape), 0, 255).astype(np.uint8)
    data = imagegen.jpeg(noisy, quality=99)
    assert len(data) > 6 * 1024 * 1024
    return data


@pytest.fixture
def stack(moto_url: str, monkeypatch: pytest.MonkeyPatch, fake_aws_env: None) -> Iterator[Stack]:
    """Bucket, table and queue on the moto server, the bucket notifying the queue of uploads/."""
    reset_moto(moto_url)
    aws = backend("server", moto_url)
    create_bucket(aws, BUCKET)
    create_reference_table(aws)
    sqs = aws.client("sqs")
    queue_url = sqs.create_queue(QueueName=QUEUE)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws.s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={"QueueConfigurations": [{
        "QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"],
        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}}}]})
    for name, value in {"FACEDETECT_BACKEND": "aws", "FACEDETECT_S3_BUCKET": BUCKET,
                        "FACEDETECT_AWS_ENDPOINT_URL": moto_url, "FACEDETECT_MAX_BYTES": str(MAX_BYTES)}.items():
        monkeypatch.setenv(name, value)
    from facedetect.entrypoints import aws_lambda

    aws_lambda.reset()
    yield Stack(aws, aws_lambda, sqs, queue_url, queue_arn)
    aws_lambda.reset()


def api(stack: Stack, method: str, path: str, body: Any = None, query: dict[str, str] | None = None) -> Any:
    headers = {"Host": HOST, "X-Forwarded-Proto": "https", "Content-Type": "application/json"}
    event = build_event(method, path, body=json.dumps(body) if body is not None else None, headers=headers,
                        query=query, stage="prod")
    event["requestContext"]["path"] = f"/prod{path}"  # as API Gateway sends it on the default endpoint
    return invoke_handler(stack.handler.handler, event)


def upload(stack: Stack, data: bytes, content_type: str) -> dict[str, Any]:
    """POST /uploads, then the presigned POST over HTTP, as a browser or ``facedetect submit`` does."""
    answer = api(stack, "POST", "/uploads", {"content_type": content_type, "content_length": len(data)})
    assert answer.status == 201, answer.raw_body
    created: dict[str, Any] = answer.json
    assert created["method"] == "POST"
    assert created["fields"]["key"] == f"uploads/{created['upload_id']}"
    posted = requests.post(created["url"], data=created["fields"], files={"file": ("photo", data, content_type)},
                           timeout=60)
    assert posted.status_code in (200, 201, 204), posted.text
    return created


def sqs_event(stack: Stack) -> dict[str, Any]:
    """The messages on the queue, as the event source mapping hands them to the function."""
    received = stack.sqs.receive_message(QueueUrl=stack.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                         AttributeNames=["All"])
    records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                "attributes": m.get("Attributes", {}), "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs", "eventSourceARN": stack.queue_arn, "awsRegion": "us-east-1"}
               for m in received.get("Messages", [])]
    return {"Records": records}


def s3_records(event: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for record in event["Records"] for r in json.loads(record["body"]).get("Records", [])]


def failures(stack: Stack, event: dict[str, Any]) -> list[str]:
    response = stack.handler.sqs_handler(event, FakeLambdaContext())
    json.dumps(response)
    return [item["itemIdentifier"] for item in response["batchItemFailures"]]


def boxes(faces: list[dict[str, Any]]) -> list[tuple[int, ...]]:
    return sorted((f["x1"], f["y1"], f["x2"], f["y2"]) for f in faces)


def test_a_large_photo_goes_through_s3_and_sqs_once(stack: Stack, large_jpeg: bytes) -> None:
    created = upload(stack, large_jpeg, "image/jpeg")
    policy = json.loads(base64.b64decode(created["fields"]["policy"]))
    assert ["content-length-range", 1, MAX_BYTES] in policy["conditions"]
    assert {"Content-Type": "image/jpeg"} in policy["conditions"]
    assert {"key": created["fields"]["key"]} in policy["conditions"]
    assert created["status_url"] == f"https://{HOST}/prod/uploads/{created['upload_id']}"
    assert api(stack, "GET", f"/uploads/{created['upload_id']}").json["status"] == "pending"

    event = sqs_event(stack)  # moto's own notification of the POST (and its s3:TestEvent)
    [record] = s3_records(event)
    assert record["eventName"].startswith("ObjectCreated:")
    assert unquote_plus(record["s3"]["object"]["key"]) == created["fields"]["key"]  # keys arrive URL-encoded
    assert failures(stack, event) == []
    assert failures(stack, event) == []  # delivered again: nothing changes

    status = api(stack, "GET", f"/uploads/{created['upload_id']}").json
    assert status["status"] == "done", status
    expected = sorted(f.box.to_xyxy() for f in detect_faces(large_jpeg))
    assert boxes(status["detection"]["faces"]) == expected and len(expected) >= 10
    detection_items = [i for i in scan_all(stack.aws, TABLE) if i.get("item_type") == "detection"]
    assert [i["detection_id"] for i in detection_items] == [status["detection"]["id"]]
    keys = [o["Key"] for o in stack.aws.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert keys == [status["detection"]["image_key"]]  # the image, content-addressed; the upload deleted


def test_a_non_image_fails_for_good_and_is_not_retried(stack: Stack) -> None:
    created = upload(stack, b"<html>not an image</html>", "image/png")
    event = sqs_event(stack)
    assert failures(stack, event) == []
    status = api(stack, "GET", f"/uploads/{created['upload_id']}").json
    assert status["status"] == "failed" and status["error"]["code"] == "invalid_image"
    assert [i for i in scan_all(stack.aws, TABLE) if i.get("item_type") == "detection"] == []


def test_a_transient_fault_returns_the_message_for_retry(stack: Stack, moto_url: str) -> None:
    data = imagegen.jpeg()
    created = upload(stack, data, "image/jpeg")
    event = sqs_event(stack)  # moto's s3:TestEvent (sent when the notification was set up) and the upload
    [upload_message] = [r["messageId"] for r in event["Records"] if "Records" in json.loads(r["body"])]
    s3 = FailingClient(s3_client(moto_url), {"put_object": client_error("SlowDown", "PutObject", status=503)})
    stack.handler.reset(images=S3ImageStore(BUCKET, client=s3), max_bytes=MAX_BYTES,
                        detections=DynamoDBDetectionRepository(TABLE, client=dynamodb_client(moto_url)))
    assert failures(stack, event) == [upload_message]  # the test event is consumed, the upload retried
    assert api(stack, "GET", f"/uploads/{created['upload_id']}").json["status"] == "pending"

    stack.handler.reset()  # S3 is back: the redelivered message succeeds
    assert failures(stack, event) == []
    status = api(stack, "GET", f"/uploads/{created['upload_id']}").json
    assert status["status"] == "done" and boxes(status["detection"]["faces"]) == \
        sorted(f.box.to_xyxy() for f in detect_faces(data))


def test_test_events_and_foreign_keys_are_consumed(stack: Stack) -> None:
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026-01-01T00:00:00.000Z",
                  "Bucket": BUCKET, "RequestId": "x", "HostId": "y"}
    event = {"Records": [{"messageId": "m1", "receiptHandle": "r", "body": json.dumps(test_event), "attributes": {},
                          "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                          "eventSourceARN": stack.queue_arn, "awsRegion": "us-east-1"},
                         {"messageId": "m2", "receiptHandle": "r", "body": "not json", "attributes": {},
                          "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                          "eventSourceARN": stack.queue_arn, "awsRegion": "us-east-1"}]}
    assert failures(stack, event) == []
