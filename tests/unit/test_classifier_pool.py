"""Classifiers lent one detection at a time: large scans are not kept, memory runs out as a typed error."""

from __future__ import annotations

import json
import sys
import threading
import weakref
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from support import imagegen

from facedetect.adapters.memory import InMemoryDetectionRepository, InMemoryImageStore
from facedetect.detectors import classifiers
from facedetect.detectors.classifiers import (
    KEEP_BYTES,
    ClassifierPool,
    IdleBudget,
    is_allocation_failure,
    pyramid_buffer_bytes,
)
from facedetect.detectors.haar import HaarCascadeDetector
from facedetect.entrypoints.rest.app import create_app
from facedetect.entrypoints.rest.events import build_event
from facedetect.errors import DetectionResourcesExhausted
from facedetect.service.detections import FaceDetectionService

MiB = 2**20
#: What OpenCV's allocator raises when ``malloc`` fails (``OutOfMemoryError`` in core/src/alloc.cpp).
OPENCV_OOM = ("OpenCV(4.14.0) /io/opencv/modules/core/src/alloc.cpp:73: error: (-4:Insufficient memory) "
              "Failed to allocate 1499570688 bytes in function 'OutOfMemoryError'\n")


class Loader:
    """Makes numbered stand-in classifiers and counts how many it made."""

    def __init__(self) -> None:
        self.made: list[object] = []

    def __call__(self) -> object:
        self.made.append(object())
        return self.made[-1]


def test_a_classifier_that_scanned_a_small_image_is_lent_again():
    load = Loader()
    pool = ClassifierPool(load, keep_bytes=10 * MiB)
    with pool.lend(5 * MiB) as first:
        pass
    with pool.lend(1 * MiB) as second:
        pass
    assert second is first and len(load.made) == 1
    assert pool.idle == 1 and pool.retained_bytes == 5 * MiB  # it still holds its largest scan's buffers


def test_a_classifier_that_scanned_a_large_image_is_dropped_and_the_next_one_is_fresh():
    load = Loader()
    pool = ClassifierPool(load, keep_bytes=10 * MiB)
    with pool.lend(11 * MiB) as big:
        pass
    assert pool.idle == 0 and pool.retained_bytes == 0
    with pool.lend(1 * MiB) as after:
        pass
    assert after is not big and len(load.made) == 2


class Network:
    """A stand-in that can be weakly referenced (to see when it is freed)."""


def test_a_dropped_classifier_is_freed_before_the_heap_is_trimmed(monkeypatch: pytest.MonkeyPatch):
    """Trimming while the borrower or the pool still holds it would return nothing to the OS."""
    lent: list[weakref.ref[Network]] = []
    alive_at_trim: list[bool] = []
    monkeypatch.setattr(classifiers, "return_freed_memory", lambda: alive_at_trim.append(lent[-1]() is not None))
    pool = ClassifierPool(Network, keep_bytes=10 * MiB)
    with pool.lend(11 * MiB) as network:
        lent.append(weakref.ref(network))
        del network  # as the YuNet detector does
    assert alive_at_trim == [False]


def test_a_small_scan_after_a_large_one_does_not_make_the_classifier_keepable():
    """OpenCV's buffers never shrink: the bytes a classifier holds are those of its largest scan."""
    pool = ClassifierPool(Loader(), keep_bytes=10 * MiB)
    with pool.lend(8 * MiB):
        pass
    with pool.lend(1 * MiB):
        pass
    assert pool.retained_bytes == 8 * MiB


def test_at_most_max_idle_classifiers_wait_however_many_were_lent_at_once():
    load = Loader()
    pool = ClassifierPool(load, keep_bytes=10 * MiB, max_idle=2)
    with ExitStack() as stack:
        lent = [stack.enter_context(pool.lend(3 * MiB)) for _ in range(4)]
    assert len({id(c) for c in lent}) == 4 and len(load.made) == 4
    assert pool.idle == 2 and pool.retained_bytes == 6 * MiB


def test_a_shared_budget_bounds_what_all_its_pools_keep():
    budget = IdleBudget(10 * MiB)
    pools = [ClassifierPool(Loader(), keep_bytes=8 * MiB, budget=budget) for _ in range(5)]
    for pool in pools:
        with pool.lend(4 * MiB):
            pass
    assert sum(p.retained_bytes for p in pools) == budget.held_bytes == 8 * MiB  # two fit, three dropped
    assert [p.idle for p in pools] == [1, 1, 0, 0, 0]
    pools[0].close()
    assert budget.held_bytes == 4 * MiB and pools[0].idle == 0
    with pools[0].lend(1 * MiB):  # a closed pool still lends, but keeps nothing
        pass
    assert pools[0].idle == 0 and budget.held_bytes == 4 * MiB
    with pools[1].lend(1 * MiB):  # lent out: its bytes go back to the budget until it returns
        assert budget.held_bytes == 0
    assert budget.held_bytes == 4 * MiB


def test_opencv_running_out_of_memory_is_a_typed_retryable_error_and_the_classifier_is_dropped():
    pool = ClassifierPool(Loader())
    pool.warm()
    with pytest.raises(DetectionResourcesExhausted) as caught, pool.lend(1 * MiB):
        raise cv2.error(OPENCV_OOM)
    assert caught.value.http_status == 503 and caught.value.retry_after_seconds > 0
    assert "1499570688" not in caught.value.message  # no internals in the answer
    assert pool.idle == 0
    with pytest.raises(DetectionResourcesExhausted), pool.lend(1 * MiB):
        raise MemoryError


def _refuses_huge_allocations() -> bool:
    """Linux in overcommit mode 0 or 2 refuses a 1 TB ``malloc`` up front (mode 1 would grant it)."""
    mode = Path("/proc/sys/vm/overcommit_memory")
    return sys.platform == "linux" and mode.is_file() and mode.read_text().strip() in ("0", "2")


@pytest.mark.skipif(not _refuses_huge_allocations(), reason="needs an OS that refuses a 1 TB allocation up front")
def test_a_real_opencv_allocation_failure_is_recognised():
    """OpenCV's allocator refuses a 1 TB image at once; nothing is touched."""
    with pytest.raises(DetectionResourcesExhausted), ClassifierPool(Loader()).lend(0):
        cv2.resize(np.zeros((2, 2), np.uint8), (2**20, 2**20))


def test_other_opencv_errors_pass_through_unchanged():
    other = cv2.error("OpenCV(4.14.0) error: (-215:Assertion failed) !empty() in function 'detectMultiScale'")
    assert not is_allocation_failure(other) and is_allocation_failure(cv2.error(OPENCV_OOM))
    with pytest.raises(cv2.error) as caught, ClassifierPool(Loader()).lend(0):
        raise other
    assert caught.value is other


@pytest.mark.parametrize(("size", "scale_factor", "measured_mib"), [
    # RSS growth of one CascadeClassifier after detectMultiScale on a flat grey image (OpenCV 4.14)
    ((1600, 1200), 1.1, 113.3),
    ((6000, 4000), 1.1, 1237.4),
    ((1600, 1200), 1.01, 969.9),
])
def test_the_buffer_estimate_is_near_what_opencv_kept(size, scale_factor, measured_mib):
    estimate = pyramid_buffer_bytes(*size, scale_factor) / MiB
    assert measured_mib * 0.8 <= estimate <= measured_mib * 1.3


def test_min_and_max_face_sizes_shrink_the_estimate():
    full = pyramid_buffer_bytes(1600, 1200, 1.1)
    assert pyramid_buffer_bytes(1600, 1200, 1.1, min_size=(200, 200)) < full / 20
    assert pyramid_buffer_bytes(1600, 1200, 1.1, max_size=(30, 30)) < full / 2
    assert pyramid_buffer_bytes(20, 20, 1.1) == 0  # smaller than the window: nothing scanned


# --- the Haar detector -------------------------------------------------------------------


def test_the_detector_keeps_its_classifier_after_a_small_image_and_drops_it_after_a_large_one():
    detector = HaarCascadeDetector()
    small = imagegen.composite([(100, 50, 0.6), (420, 200, 0.5)], size=(600, 800))
    large = np.full((1500, 2000), 128, np.uint8)
    assert pyramid_buffer_bytes(800, 600, 1.1) <= KEEP_BYTES < pyramid_buffer_bytes(2000, 1500, 1.1)
    detector.detect(small)
    assert detector.classifiers.idle == 1 and 0 < detector.classifiers.retained_bytes <= KEEP_BYTES
    detector.detect(large)
    assert detector.classifiers.idle == 0 and detector.classifiers.retained_bytes == 0
    assert detector.detect(small) == HaarCascadeDetector().detect(small)  # a fresh classifier finds the same


def test_threads_share_a_few_classifiers_instead_of_one_each():
    detector = HaarCascadeDetector()
    detector.classifiers.max_idle = 2  # as on a 2-core machine
    image = imagegen.composite([(100, 50, 0.6)], size=(600, 800))
    start = threading.Barrier(6)

    def work() -> None:
        start.wait()
        detector.detect(image)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 1 <= detector.classifiers.idle <= 2


class ExhaustedClassifier:
    """A classifier stand-in whose scan fails the way OpenCV does when memory runs out."""

    def detectMultiScale2(self, *args: Any, **kwargs: Any) -> Any:
        raise cv2.error(OPENCV_OOM)


def test_a_detection_out_of_memory_answers_503_with_retry_after_and_stores_nothing():
    detector = HaarCascadeDetector()
    detector.classifiers = ClassifierPool(ExhaustedClassifier)
    repository, images = InMemoryDetectionRepository(), InMemoryImageStore()
    app = create_app(lambda: FaceDetectionService(detector, images, repository))
    result = app.resolve(build_event("POST", "/faces", body=imagegen.png(imagegen.group()), request_id="rid-9",
                                  headers={"Content-Type": "image/png"}), None)
    assert result["statusCode"] == 503
    assert result["multiValueHeaders"]["Retry-After"] == ["5"]
    error = json.loads(result["body"])["error"]
    assert (error["code"], error["request_id"]) == ("detection_resources_exhausted", "rid-9")
    assert "alloc" not in error["message"] and "OpenCV" not in error["message"]
    assert repository.list().items == [] and images.objects == {}
