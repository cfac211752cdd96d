"""Every AWS call of a POST failing on the wire, before or after the server applied it, on every attempt.

The product's own clients (``facedetect.adapters.aws.clients``: its timeouts and botocore retries)
talk HTTP to a moto server; ``WireFaults`` fails chosen attempts in botocore's
``before-send`` hook, either before the request leaves (``EndpointConnectionError``) or after
the server applied it with the answer lost (``ConnectionClosedError``), so botocore retries
exactly as it would on a real network failure. Afterwards the bucket is listed and the table
scanned with independent clients: every detection has its image, each image is stored once
(one object per content key, with the posted bytes), face items exist all or nothing per
detection, and a retried POST answers with the detection and leaves the store complete.
Then 16 concurrent clients POST through random faults and retry until they succeed.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from support import imagegen
from support.aws_faults import WireFaults
from support.aws_resources import BUCKET, TABLE, Aws, backend, create_bucket, create_reference_table, scan_all
from support.fake_aws import reset_moto, serialise_moto_transactions

from facedetect.adapters.aws.clients import MAX_ATTEMPTS, dynamodb_client, s3_client
from facedetect.adapters.aws.dynamodb.repository import DynamoDBDetectionRepository
from facedetect.adapters.aws.s3 import S3ImageStore
from facedetect.domain.model import BoundingBox, Detection, Face
from facedetect.errors import StorageUnavailable
from facedetect.service.detections import FaceDetectionService

IMAGE = imagegen.jpeg(imagegen.shapes())
IMAGE_KEY = f"{hashlib.sha256(IMAGE).hexdigest()}.jpg"


class FixedDetector:
    """A detector that "finds" ``count`` faces in any image (250: four transactions)."""

    name = "fixed"

    def __init__(self, count: int) -> None:
        self.parameters: dict[str, Any] = {"count": count}
        self._faces = [Face(BoundingBox(i % 380, i % 280, 20, 20), 0.5) for i in range(count)]

    def detect(self, image: Any) -> list[Face]:
        return list(self._faces)


@pytest.fixture
def server(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """An empty bucket and reference table on the session's moto server."""
    serialise_moto_transactions(monkeypatch)
    reset_moto(moto_server)
    aws = backend("server", moto_server)
    create_bucket(aws)
    create_reference_table(aws)
    yield aws


def product_service(aws: Aws, faults: WireFaults, faces: int, *, conditional: bool | None = None,
                    detector: Any = None) -> FaceDetectionService:
    """The service on the product's clients, with ``faults`` on their wire."""
    s3, dynamodb = s3_client(aws.endpoint_url), dynamodb_client(aws.endpoint_url)
    faults.install(s3, dynamodb)
    return FaceDetectionService(detector or FixedDetector(faces),
                                S3ImageStore(BUCKET, client=s3, conditional_writes=conditional),
                                DynamoDBDetectionRepository(TABLE, client=dynamodb))


def objects(aws: Aws) -> dict[str, bytes]:
    """Every object of the bucket and its bytes, read with the test's own client."""
    found = aws.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return {o["Key"]: aws.s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in found}


def assert_storage_rule(aws: Aws, images: dict[str, bytes], *,
                        orphan_faces_allowed: bool = False) -> dict[str, dict[str, Any]]:
    """Every detection has its image (the posted bytes); face items all or nothing per detection.

    ``images`` maps each content key that may be stored to its bytes. Face items of a
    detection that was never committed are allowed only when nothing could remove them (the
    rollback's reads or deletes failed too); readers never see them. Returns the detection items.
    """
    stored = objects(aws)
    assert set(stored) <= set(images), "an object under a key no image has"
    for key, data in stored.items():
        assert data == images[key], f"{key} holds other bytes"
    items = scan_all(aws)
    detections = {i["detection_id"]: i for i in items if i.get("item_type") == "detection"}
    faces: dict[str, int] = {}
    for item in items:
        if item.get("item_type") == "face":
            faces[item["detection_id"]] = faces.get(item["detection_id"], 0) + 1
    for det_id, detection in detections.items():
        assert detection["image_id"] in stored, f"detection {det_id} without its image"
        assert faces.get(det_id, 0) == detection["face_count"], f"detection {det_id} with missing face items"
    orphans = set(faces) - set(detections)
    assert orphan_faces_allowed or not orphans, f"face items without their detection: {orphans}"
    return detections


def post(service: FaceDetectionService, image: bytes) -> Detection | StorageUnavailable:
    try:
        return service.detect(image)
    except StorageUnavailable as exc:
        return exc


# (operation, faces, conditional writes) for every AWS call a POST makes
CALLS = [
    ("GetItem", 3, True),  # the idempotence lookup (and the consistent read after a failed write)
    ("PutObject", 3, True),
    ("TransactWriteItems", 3, True),
    ("HeadObject", 3, False),  # the old-SDK path: HeadObject, then PutObject
    ("PutObject", 3, False),
    ("TransactWriteItems", 250, True),  # face chunks, then the detection item
]


@pytest.mark.parametrize("mode", ["before", "after"])
@pytest.mark.parametrize(("operation", "faces", "conditional"), CALLS)
def test_a_call_failing_on_every_attempt(server: Aws, operation: str, faces: int, conditional: bool,
                                         mode: str) -> None:
    faults = WireFaults({operation: mode})
    service = product_service(server, faults, faces, conditional=conditional)

    first = post(service, IMAGE)

    assert faults.failed.get(operation, 0) >= MAX_ATTEMPTS, "the fault never fired"
    assert faults.failed[operation] == MAX_ATTEMPTS * faults.calls[operation]  # every attempt of every call
    committed = assert_storage_rule(server, {IMAGE_KEY: IMAGE})
    if isinstance(first, Detection):  # the write was applied, its answer lost: the read found it
        assert mode == "after" and list(committed) == [first.id]
    else:
        assert not committed or mode == "after"

    faults.clear()
    again = service.detect(IMAGE)  # the client retries; the wire is fine now

    committed = assert_storage_rule(server, {IMAGE_KEY: IMAGE})
    assert list(committed) == [again.id] and objects(server) == {IMAGE_KEY: IMAGE}
    assert len(again.faces) == faces and committed[again.id]["face_count"] == faces
    if isinstance(first, Detection):
        assert again == first


@pytest.mark.parametrize(("faces", "plan"), [
    (3, {"TransactWriteItems": "after", "GetItem": ("before", 2)}),
    # 250 faces: GetItem 2 is the repository's own check before writing; 3 its rollback's check
    (250, {"TransactWriteItems": "after", "GetItem": ("before", 3)}),
    (250, {"TransactWriteItems": ("before", 2)}),  # the rollback's conditional deletes fail too
    (250, {"TransactWriteItems": ("after", 2)}),  # ...or are applied with their answers lost
])
def test_failures_after_a_failed_write(server: Aws, faces: int, plan: dict[str, Any]) -> None:
    """The reads or deletes after a failed write fail too: no detection becomes visible without its
    image, the image stays, the error is reported, and the retry completes the store."""
    faults = WireFaults(plan)
    service = product_service(server, faults, faces)

    assert isinstance(post(service, IMAGE), StorageUnavailable)
    assert set(faults.failed) == set(plan)
    committed = assert_storage_rule(server, {IMAGE_KEY: IMAGE}, orphan_faces_allowed=True)
    assert objects(server) == {IMAGE_KEY: IMAGE} and len(committed) <= 1

    faults.clear()
    again = service.detect(IMAGE)
    assert list(assert_storage_rule(server, {IMAGE_KEY: IMAGE})) == [again.id]
    assert len(scan_all(server)) == faces + 1


@pytest.mark.parametrize("mode", ["before", "after"])
@pytest.mark.parametrize("operation", ["HeadObject", "PutObject"])
def test_repeat_post_puts_back_a_missing_image_through_faults(server: Aws, operation: str, mode: str) -> None:
    """The idempotent path heals: a stored detection whose image is gone gets it back."""
    faults = WireFaults()
    service = product_service(server, faults, 3)
    detection = service.detect(IMAGE)
    server.s3.delete_object(Bucket=BUCKET, Key=detection.image_key)  # as an older version could leave it
    faults.plan = {operation: mode}

    answer = post(service, IMAGE)
    assert isinstance(answer, StorageUnavailable)  # checking or storing failed: an error, never a guess
    assert faults.failed[operation] == MAX_ATTEMPTS

    faults.clear()
    assert service.detect(IMAGE) == detection
    assert objects(server) == {detection.image_key: IMAGE}
    assert assert_storage_rule(server, {detection.image_key: IMAGE}).keys() == {detection.id}


def test_random_faults_under_16_concurrent_clients(server: Aws) -> None:
    """6 images (one with 101 faces: three transactions), each posted by two or three of 16 clients
    at once, through random wire faults (a tenth of all attempts fail, half of them after being
    applied). Every client retries until it gets its detection; afterwards the store is complete."""
    images = [imagegen.png(imagegen.noise(24, 24, seed=i)) for i in range(6)]
    detectors = [FixedDetector(101 if i == 0 else 3) for i in range(6)]
    faults = WireFaults(random_rate=0.1, seed=9)
    services = [product_service(server, faults, 0, detector=detectors[i]) for i in range(6)]
    start = threading.Barrier(16)
    unavailable = []

    def client(number: int) -> list[Detection]:
        start.wait(timeout=60)
        answers = []
        for round_ in range(2):
            index = (number + round_ * 3) % 6
            for _ in range(40):  # a client retries a 503
                answer = post(services[index], images[index])
                if isinstance(answer, Detection):
                    answers.append(answer)
                    break
                unavailable.append(answer)
            else:
                raise AssertionError(f"image {index} never stored through the faults")
        return answers

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = [a for batch in pool.map(client, range(16)) for a in batch]

    assert faults.failed, "the faults never fired"  # (whether a POST ran out of attempts depends on the interleaving)
    keys = {f"{hashlib.sha256(image).hexdigest()}.png": image for image in images}
    committed = assert_storage_rule(server, keys)
    by_image = {}
    for answer in answers:  # concurrent clients of one image all got the one stored detection
        assert by_image.setdefault(answer.image_key, answer) == answer
    assert set(committed) == {a.id for a in by_image.values()}

    faults.clear()
    for index, image in enumerate(images):  # a retried POST of every image answers and leaves it complete
        detection = services[index].detect(image)
        assert len(detection.faces) == len(detectors[index].detect(None))
    committed = assert_storage_rule(server, keys)
    assert len(committed) == 6 and objects(server) == keys
