"""Bounded work through the service: parity below the budget, downscaling above it, the deadline."""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest
from support import imagegen
from support.fakes import CountingDetector
from support.geometry import iou, raw_xyxy, xyxy

from facedetect.adapters.memory import InMemoryDetectionRepository, InMemoryImageStore
from facedetect.adapters.records import detection_from_record, detection_to_record
from facedetect.detectors.haar import HaarCascadeDetector
from facedetect.domain.budget import MAX_FACES, work_mp
from facedetect.domain.imaging import decode, probe
from facedetect.domain.model import BoundingBox, Face
from facedetect.entrypoints.rest.representation import detection_to_json
from facedetect.errors import DetectionNotFound, NotEnoughTime
from facedetect.service.detections import FaceDetectionService, detection_id

DEFAULT_XML = os.path.join(cv2.data.haarcascades, "haarcascade_frontalface_default.xml")


def photo(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A noisy photo-like BGR image with astronaut faces from small to large."""
    rng = np.random.default_rng(seed)
    placements = [(int(rng.integers(0, width - 400)), int(rng.integers(0, height - 400)), float(s))
                  for s in (0.15, 0.3, 0.6, 0.8)]
    image = imagegen.composite(placements, size=(height, width), background=110)
    return np.clip(image + rng.normal(0, 5, image.shape), 0, 255).astype(np.uint8)


def service(detector: object | None = None, **options: object) -> FaceDetectionService:
    return FaceDetectionService(detector or HaarCascadeDetector(), InMemoryImageStore(),  # type: ignore[arg-type]
                                InMemoryDetectionRepository(), **options)  # type: ignore[arg-type]


@pytest.mark.slow
@pytest.mark.parametrize(("width", "height"), [(1632, 1224), (2304, 1728), (2760, 2080)],
                         ids=["2MP", "4MP", "5.74MP-the-parity-limit"])
def test_default_boxes_equal_raw_opencv_at_full_resolution_up_to_the_limit(width: int, height: int) -> None:
    data = imagegen.jpeg(photo(width, height), quality=90)
    detection = service().detect(data, store=False)
    grey = cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2GRAY)
    assert xyxy(list(detection.faces)) == raw_xyxy(cv2.CascadeClassifier(DEFAULT_XML).detectMultiScale(grey, 1.1, 5))
    assert len(detection.faces) >= 2
    assert "scaled_to" not in detection.parameters
    assert detection.id == detection_id(detection.sha256, HaarCascadeDetector())  # ids as before bounded work


def test_over_budget_the_image_is_shrunk_and_the_boxes_come_back_in_original_pixels() -> None:
    image = imagegen.group()  # 1200x900, three faces
    data = imagegen.png(image)
    full = service(work_budget_mp=None).detect(data, store=False)
    small = service(work_budget_mp=2.0).detect(data, store=False)
    width, height = small.parameters["scaled_to"]
    assert 0.3 < width / 1200 < 0.6 and abs(width / height - 4 / 3) < 0.01
    assert (small.width, small.height) == (1200, 900)
    assert "scaled_to" not in full.parameters and small.id != full.id
    assert len(small.faces) == len(full.faces) == 3
    for face in full.faces:  # the same faces, about where they are at full size
        assert max(iou(face.box, other.box) for other in small.faces) > 0.6
    assert detection_to_json(small)["parameters"]["scaled_to"] == [width, height]


def test_max_dimension_alone_records_no_scaled_to_and_keeps_its_id() -> None:
    detector = HaarCascadeDetector(max_dimension=600)
    data = imagegen.jpeg(imagegen.group())
    detection = service(detector).detect(data, store=False)
    assert "scaled_to" not in detection.parameters
    assert detection.id == detection_id(detection.sha256, detector)
    assert len(detection.faces) == 3 and (detection.width, detection.height) == (1200, 900)


def test_face_sizes_in_original_pixels_hold_on_a_shrunk_image() -> None:
    data = imagegen.png(imagegen.composite([(0, 0, 1.0), (700, 300, 0.45)], size=(900, 1200)))
    everything = service(work_budget_mp=4.0).detect(data, store=False)
    big_only = service(HaarCascadeDetector(min_size=90), work_budget_mp=0.5).detect(data, store=False)
    assert "scaled_to" in big_only.parameters and "scaled_to" in everything.parameters
    assert sorted(f.box.width < 90 for f in everything.faces) == [False, True]  # a big and a small face
    assert [f.box.width >= 85 for f in big_only.faces] == [True]  # 90 original pixels, give or take rounding


def test_an_exif_rotated_jpeg_is_planned_and_answered_upright() -> None:
    image = imagegen.group()
    data = imagegen.jpeg_with_orientation(cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE), 6)
    info = probe(data)
    assert (info.width, info.height) == (1200, 900)
    detection = service(work_budget_mp=3.0).detect(data, store=False)
    assert (detection.width, detection.height) == (1200, 900)
    assert detection.parameters["scaled_to"][0] > detection.parameters["scaled_to"][1]
    assert len(detection.faces) == 3


def test_decoding_to_a_size_matches_full_decode_and_resize() -> None:
    data = imagegen.jpeg(photo(2400, 1800), quality=90)
    small = decode(data, size=(600, 450))
    assert small.pixels.shape == (450, 600, 3) and (small.full_width, small.full_height) == (2400, 1800)
    reference = cv2.resize(decode(data).pixels, (600, 450), interpolation=cv2.INTER_AREA)
    assert np.abs(small.pixels.astype(int) - reference).mean() < 2.0
    assert not np.array_equal(small.pixels, reference)  # draft mode did decode fewer pixels


def test_a_detection_predicted_past_the_deadline_is_refused_and_nothing_is_stored() -> None:
    svc = service()
    data = imagegen.jpeg(imagegen.group())
    with pytest.raises(NotEnoughTime) as info:
        svc.detect(data, time_left_s=0.01)
    assert info.value.http_status == 503 and info.value.retry_after_seconds >= 1
    assert svc.list().items == []
    stored = svc.detect(data, time_left_s=60.0)
    assert svc.detect(data, time_left_s=0.0) == stored  # a stored detection needs no time


def test_the_deadline_uses_this_process_s_own_pace() -> None:
    svc = service()
    data = imagegen.png(photo(1600, 1200))
    detection = svc.detect(data, store=False)
    work = work_mp("haar", detection.parameters, 1600, 1200)
    assert svc.work_rate.seconds_per_mp == pytest.approx(detection.duration_ms / 1000 / work, rel=0.05)
    with pytest.raises(NotEnoughTime):  # it would take about as long again
        svc.detect(data, store=False, time_left_s=detection.duration_ms / 1000 / 2)


def test_a_flood_of_raw_hits_is_capped() -> None:
    many = [Face(BoundingBox(i % 50, i // 50, 10, 10), 0.5) for i in range(MAX_FACES + 500)]
    detection = service(CountingDetector(faces=many)).detect(imagegen.png(imagegen.astronaut()), store=False)
    assert len(detection.faces) == MAX_FACES


def test_old_records_without_scaled_to_still_read() -> None:
    svc = service()
    detection = svc.detect(imagegen.jpeg(imagegen.group()))
    record = detection_to_record(detection)
    assert "scaled_to" not in record["parameters"]
    assert detection_from_record(record, where="in this test") == detection
    with pytest.raises(DetectionNotFound):
        svc.get("0" * 32)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_decoding_to_a_size_turns_the_picture_as_exif_transpose_does(orientation: int) -> None:
    image = photo(640, 480)
    data = imagegen.jpeg_with_orientation(image, orientation)
    upright = decode(data).pixels  # Pillow's ImageOps.exif_transpose, full size
    height, width = upright.shape[:2]
    small = decode(data, size=(width // 2, height // 2)).pixels
    reference = cv2.resize(upright, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
    assert small.shape == reference.shape
    assert np.abs(small.astype(int) - reference).mean() < 2.0  # same picture, same way up


def test_the_library_function_bounds_encoded_input_too() -> None:
    from facedetect import detect_faces

    data = imagegen.png(imagegen.group())
    full = detect_faces(data, work_budget_mp=None)
    bounded = detect_faces(data, work_budget_mp=2.0)
    assert len(full) == len(bounded) == 3
    for face in full:  # found on a shrunk copy, answered in original pixels
        assert max(iou(face.box, other.box) for other in bounded) > 0.6
    assert xyxy(detect_faces(data)) == xyxy(full)  # within the default budget: untouched
