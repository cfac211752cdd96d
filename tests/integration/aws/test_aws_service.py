"""The whole FaceDetectionService bound to S3 and DynamoDB through the composition root."""

from __future__ import annotations

import hashlib
import urllib.request

import pytest
from support import imagegen
from support.aws_resources import BUCKET, TABLE, Aws, list_keys, scan_all

from facedetect.adapters.aws.dynamodb.repository import DynamoDBDetectionRepository
from facedetect.adapters.aws.s3 import S3ImageStore
from facedetect.composition import bootstrap, build_aws_stores
from facedetect.entrypoints.rest.representation import detection_to_json
from facedetect.errors import ConfigurationError
from facedetect.settings import load_settings


def test_detect_stores_image_and_reference_items(aws: Aws, bucket: str, table: str) -> None:
    service = bootstrap(backend="aws", s3_bucket=BUCKET, aws_endpoint_url=aws.endpoint_url)
    assert service.describe()["images"] == S3ImageStore.__name__
    assert service.describe()["detections"] == DynamoDBDetectionRepository.__name__
    image = imagegen.jpeg()
    sha = hashlib.sha256(image).hexdigest()

    detection = service.detect(image)

    assert len(detection.faces) == 1
    assert list_keys(aws) == [f"{sha}.jpg"]
    head = aws.s3.head_object(Bucket=BUCKET, Key=f"{sha}.jpg")
    assert head["ContentType"] == "image/jpeg"
    assert head["ServerSideEncryption"] == "AES256"
    assert aws.s3.get_object(Bucket=BUCKET, Key=f"{sha}.jpg")["Body"].read() == image

    faces = [i for i in scan_all(aws) if i["item_type"] == "face"]
    assert len(faces) == 1
    x1, y1, x2, y2 = detection.faces[0].box.to_xyxy()
    assert {k: faces[0][k] for k in ("image_id", "x1", "y1", "x2", "y2")} == \
        {"image_id": f"{sha}.jpg", "x1": x1, "y1": y1, "x2": x2, "y2": y2}
    assert faces[0]["face_id"]

    # stored values are the JSON ones (confidence to 6 places, duration to 3), as in every store
    assert detection_to_json(service.get(detection.id)) == detection_to_json(detection)
    assert service.image(detection.id) == (image, "image/jpeg")
    assert [d.id for d in service.list().items] == [detection.id]


def test_detecting_the_same_bytes_again_stores_nothing_new(aws: Aws, bucket: str, table: str) -> None:
    service = bootstrap(backend="aws", s3_bucket=BUCKET, aws_endpoint_url=aws.endpoint_url)
    first = service.detect(imagegen.jpeg())
    again = bootstrap(backend="aws", s3_bucket=BUCKET, aws_endpoint_url=aws.endpoint_url).detect(imagegen.jpeg())
    assert detection_to_json(again) == detection_to_json(first)
    assert len(list_keys(aws)) == 1
    assert len(scan_all(aws)) == 1 + len(first.faces)


@pytest.mark.parametrize("aws", ["server"], indirect=True)
def test_stored_image_is_served_by_presigned_url(aws: Aws, bucket: str, table: str) -> None:
    images, detections = build_aws_stores(load_settings(backend="aws", s3_bucket=BUCKET, s3_prefix="img/",
                                                        aws_endpoint_url=aws.endpoint_url))
    assert detections.table == TABLE
    data = imagegen.png(imagegen.shapes())
    images.put("abc.png", data, media_type="image/png")
    assert list_keys(aws) == ["img/abc.png"]
    with urllib.request.urlopen(images.url_for("abc.png", 300), timeout=10) as response:
        assert response.read() == data


def test_missing_bucket_fails_at_start_up_with_one_line() -> None:
    with pytest.raises(ConfigurationError) as info:
        bootstrap(backend="aws")
    assert "FACEDETECT_S3_BUCKET" in info.value.message and "\n" not in info.value.message


def test_missing_region_fails_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(ConfigurationError, match="AWS_REGION"):
        build_aws_stores(load_settings(backend="aws", s3_bucket=BUCKET))
