"""Storage errors of the aws backend: the body says what happened and what to do; the log says where.

Each AWS call a route makes fails in turn (ClientErrors of every kind, and network errors)
through ``FailingClient`` around the product's clients on the moto server. The answer must
name none of the bucket, table, index, object key or endpoint; the log line of the same
request must name the bucket or the table.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from support import imagegen
from support.aws_faults import FailingClient, client_error
from support.lambda_aws import BUCKET, TABLE, Deployment

from facedetect.adapters.aws.clients import dynamodb_client, s3_client
from facedetect.adapters.aws.dynamodb.repository import DynamoDBDetectionRepository
from facedetect.adapters.aws.s3 import S3ImageStore

PNG = imagegen.png()
KEY = f"{hashlib.sha256(PNG).hexdigest()}.png"

ERRORS = {
    "access_denied": lambda op: client_error("AccessDenied", op, status=403, message=f"denied on {BUCKET}/{KEY}"),
    "missing": lambda op: client_error("ResourceNotFoundException", op, message=f"Requested resource not found: "
                                                                              f"Table: {TABLE} not found"),
    "no_bucket": lambda op: client_error("NoSuchBucket", op, status=404, message=f"{BUCKET} does not exist"),
    "throttled": lambda op: client_error("ThrottlingException", op, message="Rate exceeded"),
    "server": lambda op: client_error("InternalError", op, status=500),
    "unreachable": lambda op: EndpointConnectionError(endpoint_url=f"http://127.0.0.1:1/{BUCKET}/{KEY}"),
    "timeout": lambda op: ReadTimeoutError(endpoint_url=f"https://dynamodb.us-east-1.amazonaws.com/{TABLE}"),
}

# (route, the client, the failing call, its operation name)
CALLS = [
    ("post_faces_png", "dynamodb", "get_item", "GetItem"),
    ("post_faces_png", "s3", "put_object", "PutObject"),
    ("post_faces_png", "dynamodb", "transact_write_items", "TransactWriteItems"),
    ("get_faces_list", "dynamodb", "scan", "Scan"),
    ("get_face", "dynamodb", "get_item", "GetItem"),
    ("get_face_image", "dynamodb", "get_item", "GetItem"),
]


def install(deployed: Deployment, url: str, detector: Any, s3_failures: dict[str, Any],
            dynamodb_failures: dict[str, Any]) -> None:
    deployed.handler.reset(
        images=S3ImageStore(BUCKET, client=FailingClient(s3_client(url), s3_failures)), detector=detector,
        detections=DynamoDBDetectionRepository(TABLE, client=FailingClient(dynamodb_client(url), dynamodb_failures)),
        max_bytes=1_000_000)


@pytest.mark.parametrize("kind", sorted(ERRORS))
@pytest.mark.parametrize(("route", "client", "call", "operation"), CALLS)
def test_storage_errors_name_nothing_of_the_infrastructure(deployed, api_event, moto_url, haar, capsys,
                                                           route, client, call, operation, kind):
    stored = deployed.invoke(api_event("post_faces_png", image=PNG))  # something to read back
    assert stored.status == 200, stored.raw_body
    error = ERRORS[kind](operation)
    failures: dict[str, dict[str, Any]] = {"s3": {}, "dynamodb": {}}
    failures[client][call] = error
    install(deployed, moto_url, haar, failures["s3"], failures["dynamodb"])
    if route == "post_faces_png" and call != "get_item":
        marker = {"face_id": {"S": f"detection#{stored.json['detection']['id']}"}}
        deployed.aws.dynamodb.delete_item(TableName=TABLE, Key=marker)  # the POST must write again
    capsys.readouterr()

    answer = deployed.invoke(api_event(route, image=PNG, detection_id=stored.json["detection"]["id"],
                                       request_id="req-names"))

    assert answer.status in (500, 503), answer.raw_body
    body = answer.raw_body
    for name in (BUCKET, TABLE, KEY, "by_created", "127.0.0.1", moto_url, "amazonaws", "detection#"):
        assert name not in body, f"{name!r} in {body}"
    assert answer.json["error"]["request_id"] == "req-names"
    assert (answer.header("Retry-After") == "1") is (answer.status == 503)
    log = capsys.readouterr().out
    assert (BUCKET if client == "s3" else TABLE) in log, log
