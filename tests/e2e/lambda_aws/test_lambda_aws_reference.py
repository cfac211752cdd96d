"""Reference compatibility over the moto server: response shape, OpenCV's boxes, table items, stored image.

A reference client sends ``POST /`` with the raw JPEG (``isBase64Encoded: true``) and expects
``{"faces": {"0": {"x1", "y1", "x2", "y2"}, ...}}`` computed by
``CascadeClassifier(haarcascade_frontalface_default).detectMultiScale(grey, 1.1, 5)``; reference
consumers scan the ``faces`` table for items with ``face_id, image_id, x1, y1, x2, y2``.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest
from support import imagegen
from support.lambda_aws import BUCKET, TABLE, reference_boxes

JPEG = imagegen.jpeg(imagegen.composite([(0, 0, 0.5), (300, 40, 0.6)], size=(400, 640)))


@pytest.mark.parametrize("deployed", ["reference", "by_created"], indirect=True)
def test_reference_event_gets_opencvs_boxes_and_the_reference_items(deployed, api_event):
    expected = reference_boxes(JPEG)
    assert len(expected) == 2  # the image really has two faces for raw OpenCV
    sha = hashlib.sha256(JPEG).hexdigest()

    answer = deployed.invoke(api_event("post_root_jpeg", image=JPEG))

    assert answer.status == 200, answer.raw_body
    faces = answer.json["faces"]
    assert list(faces) == [str(i) for i in range(len(expected))]
    assert all(list(box) == ["x1", "y1", "x2", "y2"] and all(type(v) is int for v in box.values())
               for box in faces.values())
    assert sorted((b["x1"], b["y1"], b["x2"], b["y2"]) for b in faces.values()) == expected

    # the table: one item per face with the reference attributes, numbers as DynamoDB numbers
    raw_items = deployed.aws.dynamodb.scan(TableName=TABLE, ConsistentRead=True)["Items"]
    raw_faces = [item for item in raw_items if "x1" in item]
    assert len(raw_faces) == len(expected)
    assert all(set(item[a]) == {"N"} for item in raw_faces for a in ("x1", "y1", "x2", "y2"))
    assert all(set(item[a]) == {"S"} for item in raw_faces for a in ("face_id", "image_id"))
    face_items = deployed.face_items()
    assert all(type(item[a]) is Decimal for item in face_items for a in ("x1", "y1", "x2", "y2"))
    assert sorted((int(i["x1"]), int(i["y1"]), int(i["x2"]), int(i["y2"])) for i in face_items) == expected
    assert {item["image_id"] for item in face_items} == {f"{sha}.jpg"}
    assert len({item["face_id"] for item in face_items}) == len(expected)
    assert len(deployed.detection_items()) == 1 and len(raw_items) == len(expected) + 1

    # the bucket: the image under its content hash, typed, encrypted, private
    assert deployed.objects() == [f"{sha}.jpg"]
    head = deployed.aws.s3.head_object(Bucket=BUCKET, Key=f"{sha}.jpg")
    assert head["ContentType"] == "image/jpeg" and head["ServerSideEncryption"] == "AES256"
    assert deployed.aws.s3.get_object(Bucket=BUCKET, Key=f"{sha}.jpg")["Body"].read() == JPEG
    block = deployed.aws.s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert all(block.values())


@pytest.mark.parametrize("deployed", ["by_created"], indirect=True)
def test_the_optional_index_holds_only_the_detection_items(deployed, api_event):
    """With ``by_created`` the index is sparse: one entry per detection, none per face; listing follows it."""
    png = imagegen.png()
    assert deployed.invoke(api_event("post_root_jpeg", image=JPEG)).status == 200
    assert deployed.invoke(api_event("post_faces_png", image=png)).status == 200

    indexed = deployed.aws.dynamodb.query(
        TableName=TABLE, IndexName="by_created", KeyConditionExpression="list_pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "detection"}}, ScanIndexForward=False)["Items"]

    assert len(indexed) == 2 == len(deployed.detection_items())
    assert all("x1" not in item for item in indexed)
    newest_first = deployed.invoke(api_event("get_faces_list")).json["detections"]
    assert [d["image_key"] for d in newest_first] == [item["image_id"]["S"] for item in indexed]
    assert [d["media_type"] for d in newest_first] == ["image/png", "image/jpeg"]  # posted last, listed first
