"""The Lambda on the aws backend (S3 + DynamoDB, moto in-process), driven by the same event documents.

Covers what only the aws backend does: the reference table items, the private bucket and the
presigned image URL. Fault injection and the moto-server variants belong to the adapter tests.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from types import ModuleType

import boto3
import pytest
import requests
from moto import mock_aws
from support import imagegen

BUCKET = "facedetect-images-test"
TABLE = "faces"


@pytest.fixture
def aws_lambda_handler(lambda_handler: ModuleType, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The handler on ``FACEDETECT_BACKEND=aws`` against moto: a private bucket and the reference table."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                        "FACEDETECT_BACKEND": "aws", "FACEDETECT_S3_BUCKET": BUCKET}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_REGION", "FACEDETECT_AWS_ENDPOINT_URL", "FACEDETECT_DYNAMODB_TABLE"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        boto3.client("dynamodb").create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "face_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "face_id", "AttributeType": "S"}],
        )
        lambda_handler.reset()
        yield lambda_handler
        lambda_handler.reset()


def test_reference_request_stores_reference_items_and_reads_back(aws_lambda_handler, invoke, api_event):
    jpeg = imagegen.jpeg(imagegen.composite([(0, 0, 0.5), (300, 40, 0.6)], size=(400, 640)))
    posted = invoke(api_event("post_root_jpeg", image=jpeg))
    assert posted.status == 200, posted.raw_body
    faces, detection = posted.json["faces"], posted.json["detection"]
    assert len(faces) == 2

    items = boto3.client("dynamodb").scan(TableName=TABLE)["Items"]
    face_items = [item for item in items if "x1" in item]
    assert sorted((int(i["x1"]["N"]), int(i["y1"]["N"]), int(i["x2"]["N"]), int(i["y2"]["N"])) for i in face_items) \
        == sorted((b["x1"], b["y1"], b["x2"], b["y2"]) for b in faces.values())
    assert all(item["image_id"]["S"] == detection["image_key"] and "face_id" in item for item in face_items)

    again = invoke(api_event("get_face", detection_id=detection["id"]))
    assert again.status == 200 and again.json["detection"] == detection


def test_image_route_redirects_to_a_short_lived_presigned_url_of_the_private_bucket(aws_lambda_handler, invoke,
                                                                                     api_event):
    png = imagegen.png()
    detection = invoke(api_event("post_faces_png", image=png)).json["detection"]

    answer = invoke(api_event("get_face_image", detection_id=detection["id"]))

    assert answer.status == 302, answer.raw_body
    url = answer.header("Location")
    assert url == answer.json["url"] and answer.json["expires_in"] == 300
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert "X-Amz-Signature" in query and query["X-Amz-Expires"] == ["300"]
    assert BUCKET in url and detection["image_key"] in url
    assert requests.get(url, timeout=10).content == png  # the URL works...
    unsigned = url.split("?", 1)[0]
    assert requests.get(unsigned, timeout=10).status_code == 403  # ...and the bucket is not public
