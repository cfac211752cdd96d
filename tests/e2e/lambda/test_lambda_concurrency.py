"""50 invocations in parallel threads, 10 distinct images: every answer right, each image stored once."""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor

from support import imagegen

from facedetect.detectors import create_detector
from facedetect.service.detections import detection_id


def test_fifty_parallel_invocations_of_ten_images_store_exactly_ten(invoke, api_event, memory_stores, stored):
    images = imagegen.variants(10, size=128)
    jobs = [(i, images[i % 10]) for i in range(50)]
    start = threading.Barrier(16)

    def one(job: tuple[int, bytes]):  # type: ignore[no-untyped-def]
        index, image = job
        event = api_event("post_faces_png", image=image, request_id=f"req-{index:02d}")
        if index < 16:
            start.wait(timeout=300)  # make the first wave really overlap
        return index, image, invoke(event)

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(one, jobs))

    ids: dict[bytes, set[str]] = {}
    for index, image, answer in results:
        assert answer.status == 200, answer.raw_body
        assert answer.header("X-Request-Id") == f"req-{index:02d}"  # each answer is its own request's
        detection = answer.json["detection"]
        assert detection["sha256"] == hashlib.sha256(image).hexdigest()
        ids.setdefault(image, set()).add(detection["id"])
    assert all(len(found) == 1 for found in ids.values())
    expected = {detection_id(hashlib.sha256(image).hexdigest(), create_detector("haar")) for image in images}
    assert {next(iter(found)) for found in ids.values()} == expected
    assert stored() == (10, 10)
    assert {data for data, _ in memory_stores.images.objects.values()} == set(images)
