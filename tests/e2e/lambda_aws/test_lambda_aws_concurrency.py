"""50 parallel invocations carrying 10 distinct images, against the moto server: each image stored once.

moto in-process is not thread-safe for ``TransactWriteItems``; the server is, so the handler's
boto3 clients talk HTTP to it from 16 threads at once. Expected face counts come from raw
OpenCV on each image, not from the handler.
"""

from __future__ import annotations

import hashlib
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from moto.dynamodb.models import DynamoDBBackend
from support import imagegen
from support.lambda_aws import reference_boxes

# 1 or 2 astronauts on a 400x210 canvas, shifted a little so that no two images are byte-equal
IMAGES = [imagegen.png(imagegen.composite([(4 * i, 0, 0.4)] + ([(210, 4 * i, 0.35)] if i % 2 else []),
                                          size=(210, 400))) for i in range(10)]
WORKERS = 16


@pytest.fixture(autouse=True)
def moto_transactions_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fix the fake, not the product: when a transaction fails, moto puts back a copy of the whole
    table taken when it started, erasing what concurrent transactions committed meanwhile (real
    DynamoDB does not). The moto server runs in this process, so serialise its transactions."""
    original = DynamoDBBackend.transact_write_items
    lock = threading.Lock()

    def serialised(self: DynamoDBBackend, transact_items: list[dict]) -> None:  # type: ignore[type-arg]
        with lock:
            original(self, transact_items)

    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", serialised)


def test_fifty_parallel_invocations_of_ten_images_store_exactly_ten(deployed, api_event):
    expected = {image: reference_boxes(image) for image in IMAGES}
    assert len(set(IMAGES)) == 10 and all(expected.values())
    jobs = [(i, IMAGES[i % 10]) for i in range(50)]
    start = threading.Barrier(WORKERS)

    def one(job: tuple[int, bytes]):  # type: ignore[no-untyped-def]
        index, image = job
        event = api_event("post_faces_png", image=image, request_id=f"req-{index:02d}")
        if index < WORKERS:
            start.wait(timeout=300)  # the first wave really overlaps, all on a cold handler
        return index, image, deployed.invoke(event)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(one, jobs))

    ids: dict[bytes, set[str]] = {}
    bodies: dict[bytes, set[str]] = {}
    for index, image, answer in results:
        assert answer.status == 200, (index, answer.raw_body)
        assert answer.header("X-Request-Id") == f"req-{index:02d}"  # each answer is its own request's
        assert sorted((b["x1"], b["y1"], b["x2"], b["y2"]) for b in answer.json["faces"].values()) == expected[image]
        assert answer.json["detection"]["sha256"] == hashlib.sha256(image).hexdigest()
        ids.setdefault(image, set()).add(answer.json["detection"]["id"])
        bodies.setdefault(image, set()).add(json.dumps(answer.json, sort_keys=True))
    assert all(len(found) == 1 for found in ids.values())  # one detection per image, whoever stored it
    assert all(len(found) == 1 for found in bodies.values())  # racing callers all answer with the stored one

    assert sorted(deployed.objects()) == sorted(f"{hashlib.sha256(image).hexdigest()}.png" for image in IMAGES)
    detections = deployed.detection_items()
    assert sorted(d["detection_id"] for d in detections) == sorted(next(iter(found)) for found in ids.values())
    face_items = deployed.face_items()
    assert len(face_items) == sum(len(boxes) for boxes in expected.values()) == 15
    assert len({item["face_id"] for item in face_items}) == 15
    assert {item["image_id"] for item in face_items} == set(deployed.objects())
