"""The ``haar-multi`` detector: frontal and profile cascades merged; checked against raw OpenCV's boxes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest
from support import imagegen
from support.geometry import iou

from facedetect.detectors import create_detector
from facedetect.detectors.classifiers import KEEP_BYTES, IdleBudget, pyramid_buffer_bytes
from facedetect.detectors.haar_multi import PASSES, MultiCascadeDetector, suppress
from facedetect.domain.model import BoundingBox
from facedetect.errors import InvalidInput


def reference_boxes(image) -> list[BoundingBox]:
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    return [BoundingBox(*map(int, b)) for b in cascade.detectMultiScale(grey, 1.1, 5)]


@pytest.fixture(scope="module")
def multi() -> MultiCascadeDetector:
    detector = create_detector("haar-multi")
    assert isinstance(detector, MultiCascadeDetector)
    return detector


def test_finds_each_face_of_the_group_that_the_seed_finds(multi: MultiCascadeDetector) -> None:
    faces = multi.detect(imagegen.group())
    for box in reference_boxes(imagegen.group()):
        assert max(iou(box, f.box) for f in faces) >= 0.5, box
    assert [f.confidence for f in faces] == sorted((f.confidence for f in faces), reverse=True)
    assert all(0 < f.confidence < 1 for f in faces)


def test_one_face_is_reported_once_although_several_cascades_see_it(multi: MultiCascadeDetector) -> None:
    faces = multi.detect(imagegen.astronaut())
    (reference,) = reference_boxes(imagegen.astronaut())
    assert sum(iou(reference, f.box) > 0.3 for f in faces) == 1


def test_the_mirrored_picture_gives_the_mirrored_face(multi: MultiCascadeDetector) -> None:
    (reference,) = reference_boxes(imagegen.astronaut())
    width = imagegen.astronaut().shape[1]
    flipped = BoundingBox(width - reference.x - reference.width, reference.y, reference.width, reference.height)
    assert max(iou(flipped, f.box) for f in multi.detect(cv2.flip(imagegen.astronaut(), 1))) >= 0.5


def test_nothing_in_shapes_and_grey_input_works(multi: MultiCascadeDetector) -> None:
    assert multi.detect(imagegen.shapes()) == []
    grey = cv2.cvtColor(imagegen.astronaut(), cv2.COLOR_BGR2GRAY)
    assert multi.detect(grey) == multi.detect(imagegen.astronaut())


def test_parallel_and_serial_agree_and_threads_share_one_detector() -> None:
    multi = MultiCascadeDetector(parallel=True)
    serial = MultiCascadeDetector(parallel=False).detect(imagegen.group())
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: multi.detect(imagegen.group()), range(8)))
    assert all(r == serial for r in results)


def test_min_size_leaves_out_smaller_faces(multi: MultiCascadeDetector) -> None:
    bounded = MultiCascadeDetector(min_size=70).detect(imagegen.group())
    assert bounded and all(f.box.width >= 70 for f in bounded)
    assert MultiCascadeDetector(min_size=150).detect(imagegen.group()) == [], "every face is under 100 px"
    assert MultiCascadeDetector(min_size=70).parameters["min_size"] == [70, 70]


def test_suppress_keeps_the_more_confident_of_two_overlapping_hits() -> None:
    hits = [(0.0, 0.0, 10.0, 10.0, 0.5), (1.0, 0.0, 10.0, 10.0, 0.9), (50.0, 50.0, 10.0, 10.0, 0.1)]
    assert suppress(hits, 0.3) == [hits[1], hits[2]]


def test_bad_options_are_typed_errors() -> None:
    with pytest.raises(InvalidInput):
        MultiCascadeDetector(max_dimension=3)
    with pytest.raises(InvalidInput):
        MultiCascadeDetector(min_size=0)


ALT2, PROFILE = PASSES[0].cascade, PASSES[1].cascade


def test_each_cascade_is_lent_from_its_own_pool_and_the_idle_ones_count_against_a_shared_budget() -> None:
    budget = IdleBudget(4 * KEEP_BYTES)
    detector = MultiCascadeDetector(idle_budget=budget, parallel=False)
    assert sorted(detector.pools) == sorted({ALT2, PROFILE})
    detector.detect(imagegen.group())
    assert detector.pools[ALT2].idle == 1 and detector.pools[PROFILE].idle == 1  # the serial runs reuse one each
    held = [pool.retained_bytes for pool in detector.pools.values()]
    assert all(0 < n <= KEEP_BYTES for n in held) and budget.held_bytes == sum(held)
    detector.release()
    assert budget.held_bytes == 0 and all(pool.idle == 0 for pool in detector.pools.values())


def test_a_classifier_whose_pyramid_was_large_is_dropped_and_a_fresh_one_finds_the_same() -> None:
    # The smallest face looked for is a fraction of the shorter side, so a wide image has a large pyramid.
    width, height = 9000, 600
    side = round(PASSES[0].min_face_fraction * height)
    assert pyramid_buffer_bytes(width, height, PASSES[0].scale_factor, (side, side)) > KEEP_BYTES
    detector = MultiCascadeDetector(parallel=False)
    before = found(detector)
    detector.detect(np.full((height, width), 128, np.uint8))
    assert detector.pools[ALT2].idle == 0 and detector.pools[ALT2].retained_bytes == 0
    assert detector.pools[PROFILE].idle == 1  # its coarser, smaller pyramid is kept
    assert found(detector) == before


def found(detector: MultiCascadeDetector) -> list[tuple[int, int, int, int, float]]:
    """The group's faces, sorted (OpenCV's own threads may list equally confident hits in any order)."""
    faces = detector.detect(imagegen.group())
    return sorted((f.box.x, f.box.y, f.box.width, f.box.height, f.confidence) for f in faces)


def test_suppression_does_not_depend_on_the_order_of_equal_scores() -> None:
    from facedetect.detectors.haar_multi import suppress

    hits = [(12.0, 11.0, 20.0, 20.0, 0.5), (10.0, 10.0, 20.0, 20.0, 0.5), (100.0, 5.0, 30.0, 30.0, 0.5)]
    kept = [(100.0, 5.0, 30.0, 30.0, 0.5), (10.0, 10.0, 20.0, 20.0, 0.5)]  # of two equal hits, the upper one
    assert suppress(hits, 0.3) == kept
    assert suppress(list(reversed(hits)), 0.3) == kept
