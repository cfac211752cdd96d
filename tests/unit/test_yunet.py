"""YuNetDetector with the shared model (skips cleanly when ../shared is absent)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from support import imagegen
from support.geometry import iou

from facedetect.detectors import create_detector
from facedetect.detectors.classifiers import ClassifierPool
from facedetect.detectors.yunet import YuNetDetector
from facedetect.domain.model import Face
from facedetect.errors import DetectionResourcesExhausted, DetectorError, InvalidInput


def _landmarks_inside(face: Face) -> None:
    assert face.landmarks is not None
    x1, y1, x2, y2 = face.box.to_xyxy()
    points = [face.landmarks.right_eye, face.landmarks.left_eye, face.landmarks.nose,
              face.landmarks.right_mouth, face.landmarks.left_mouth]
    assert len(points) == 5
    for point in points:
        assert x1 <= point.x <= x2 and y1 <= point.y <= y2


def test_finds_the_astronaut_face_with_five_landmarks_inside_the_box(yunet_model: Path) -> None:
    faces = YuNetDetector(yunet_model).detect(imagegen.astronaut())
    assert len(faces) == 1
    (face,) = faces
    x1, y1, x2, y2 = face.box.to_xyxy()
    assert 160 <= x1 < x2 <= 290 and 50 <= y1 < y2 <= 190
    assert 0.7 <= face.confidence <= 1.0
    _landmarks_inside(face)
    lm = face.landmarks
    assert lm is not None
    # Image coordinates: her right eye is on the left of the picture, the eyes are above the mouth.
    assert lm.right_eye.x < lm.left_eye.x and lm.right_mouth.x < lm.left_mouth.x
    assert max(lm.right_eye.y, lm.left_eye.y) < lm.nose.y < min(lm.right_mouth.y, lm.left_mouth.y)


def test_three_faces_in_the_group_sorted_by_confidence(yunet_model: Path) -> None:
    faces = YuNetDetector(yunet_model).detect(imagegen.group())
    assert len(faces) == 3
    assert [f.confidence for f in faces] == sorted((f.confidence for f in faces), reverse=True)
    for face in faces:
        _landmarks_inside(face)


def test_no_faces_in_shapes_or_noise(yunet_model: Path) -> None:
    detector = YuNetDetector(yunet_model)
    assert detector.detect(imagegen.shapes()) == []
    assert detector.detect(imagegen.noise()) == []


def test_grey_input_is_accepted(yunet_model: Path) -> None:
    faces = YuNetDetector(yunet_model).detect(cv2.cvtColor(imagegen.astronaut(), cv2.COLOR_BGR2GRAY))
    assert len(faces) == 1


@pytest.mark.parametrize("max_dimension", [400, 256])
def test_max_dimension_maps_boxes_and_landmarks_to_original_pixels(yunet_model: Path, max_dimension: int) -> None:
    image = imagegen.composite([(100, 50, 0.5), (450, 200, 0.6)], size=(600, 800))
    full = YuNetDetector(yunet_model).detect(image)
    scaled = YuNetDetector(yunet_model, max_dimension=max_dimension).detect(image)
    assert len(full) == len(scaled) == 2
    for face in scaled:
        x1, y1, x2, y2 = face.box.to_xyxy()
        assert 0 <= x1 < x2 <= 800 and 0 <= y1 < y2 <= 600
        _landmarks_inside(face)
        match = max(full, key=lambda f: iou(f.box, face.box))
        assert iou(match.box, face.box) >= 0.6
        assert face.landmarks is not None and match.landmarks is not None
        assert abs(face.landmarks.nose.x - match.landmarks.nose.x) < 6
        assert abs(face.landmarks.nose.y - match.landmarks.nose.y) < 6


def test_parameters_identify_model_and_options(yunet_model: Path) -> None:
    detector = YuNetDetector(yunet_model, score_threshold=0.5, max_dimension=640)
    params = detector.parameters
    assert detector.name == "yunet"
    assert params["score_threshold"] == 0.5 and params["max_dimension"] == 640
    assert len(params["model_sha256"]) == 16


def test_factory_builds_yunet(yunet_model: Path) -> None:
    detector = create_detector("yunet", yunet_model=str(yunet_model), score_threshold=0.8)
    assert isinstance(detector, YuNetDetector)
    assert detector.parameters["score_threshold"] == 0.8


def test_missing_model_is_a_detector_error(tmp_path: Path) -> None:
    with pytest.raises(DetectorError, match="does not exist"):
        YuNetDetector(tmp_path / "missing.onnx")


def test_corrupt_model_is_a_detector_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"this is not an onnx model")
    with pytest.raises(DetectorError, match="could not load"):
        YuNetDetector(bad)


@pytest.mark.parametrize("options", [{"score_threshold": 1.5}, {"nms_threshold": -0.1}, {"top_k": 0},
                                     {"max_dimension": 16}])
def test_bad_options_are_invalid_input(yunet_model: Path, options: dict[str, float]) -> None:
    with pytest.raises(InvalidInput, match=next(iter(options))):
        YuNetDetector(yunet_model, **options)  # type: ignore[arg-type]


# --- networks lent one detection at a time -------------------------------------------------


def test_the_network_is_kept_after_a_small_input_and_dropped_after_a_large_one(yunet_model: Path) -> None:
    """A network holds ~60 bytes per pixel of its last input: 0.5 MP is worth keeping, 3 MP (~180 MB) is not."""
    detector = YuNetDetector(yunet_model)
    loaded: list[Any] = []
    detector.networks = ClassifierPool(lambda: loaded.append(detector._load_network()) or loaded[-1])
    small = imagegen.composite([(100, 50, 0.5), (450, 200, 0.6)], size=(600, 800))
    expected = detector.detect(small)
    assert len(expected) == 2 and len(loaded) == 1
    assert detector.detect(small) == expected
    assert len(loaded) == 1 and detector.networks.idle == 1  # the same network, lent again

    detector.detect(np.full((1500, 2000, 3), 128, np.uint8))
    assert detector.networks.idle == 0 and detector.networks.retained_bytes == 0  # dropped after it
    assert detector.detect(small) == expected  # a fresh network finds the same faces
    assert len(loaded) == 2 and detector.networks.idle == 1


def test_threads_share_a_few_networks_and_find_the_same_faces(yunet_model: Path) -> None:
    import threading

    detector = YuNetDetector(yunet_model)
    detector.networks.max_idle = 2  # as on a 2-core machine
    image = imagegen.group()
    expected = YuNetDetector(yunet_model).detect(image)
    start, found = threading.Barrier(5), []

    def work() -> None:
        start.wait()
        found.append(detector.detect(image))

    threads = [threading.Thread(target=work) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert found == [expected] * 5
    assert 1 <= detector.networks.idle <= 2


class ExhaustedNetwork:
    """A ``FaceDetectorYN`` stand-in whose forward pass fails the way OpenCV does when memory runs out."""

    def setInputSize(self, size: Any) -> None:
        pass

    def detect(self, image: Any) -> Any:
        raise cv2.error("OpenCV(4.14.0) alloc.cpp:73: error: (-4:Insufficient memory) Failed to allocate 1 bytes")


def test_running_out_of_memory_is_a_typed_retryable_error(yunet_model: Path) -> None:
    detector = YuNetDetector(yunet_model)
    detector.networks = ClassifierPool(ExhaustedNetwork)
    with pytest.raises(DetectionResourcesExhausted) as raised:
        detector.detect(imagegen.astronaut())
    assert raised.value.retry_after_seconds > 0
    assert detector.networks.idle == 0  # the failed network is not kept
