"""YuNet's small-faces option: the merge rule on made-up faces, and the detector on the shared model."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from support import imagegen
from support.geometry import iou

from facedetect.detectors import create_detector
from facedetect.detectors.yunet import YuNetDetector
from facedetect.detectors.yunet_small import SmallFacesYuNet, merge
from facedetect.domain.model import BoundingBox, Face


def face(x: int, y: int, size: int, confidence: float) -> Face:
    return Face(box=BoundingBox(x, y, size, size), confidence=confidence)


def test_merge_keeps_separate_faces_and_ranks_them() -> None:
    merged = merge([face(0, 0, 100, 0.9)], [face(300, 300, 20, 0.95), face(500, 10, 16, 0.4)])
    assert [f.box.to_xyxy() for f in merged] == [(300, 300, 320, 320), (0, 0, 100, 100), (500, 10, 516, 26)]


def test_merge_fuses_one_face_seen_twice_weighted_by_score() -> None:
    # Same face, the second pass 4 px to the right with three times the score: the fused box moves 3 px.
    merged = merge([face(100, 100, 40, 0.25)], [face(104, 100, 40, 0.75)])
    assert len(merged) == 1
    assert merged[0].box == BoundingBox(103, 100, 40, 40)
    assert merged[0].confidence == 0.75


def test_merge_of_nothing_is_nothing() -> None:
    assert merge([], []) == []


def tiny_and_large() -> np.ndarray:
    """One large astronaut and four whose faces are about 14 pixels wide."""
    return imagegen.composite([(0, 0, 0.8)] + [(450 + 70 * i, 600, 0.15) for i in range(4)], size=(700, 800))


def test_small_faces_finds_more_small_faces_and_keeps_the_large_one(yunet_model: Path) -> None:
    image = tiny_and_large()
    plain = YuNetDetector(yunet_model, score_threshold=0.5).detect(image)
    both = create_detector("yunet", yunet_model=str(yunet_model), score_threshold=0.5, small_faces=True)
    found = both.detect(image)

    small = [f for f in found if f.box.y >= 590]
    assert len(small) > len([f for f in plain if f.box.y >= 590]), "the upscaled pass adds small faces"
    large_plain = max(plain, key=lambda f: f.box.width)
    large = max(found, key=lambda f: f.box.width)
    assert iou(large.box, large_plain.box) > 0.9, "the large face keeps its first-pass box"
    assert [f.confidence for f in found] == sorted((f.confidence for f in found), reverse=True)


def test_small_faces_is_part_of_the_parameters_and_so_of_the_detection_id(yunet_model: Path) -> None:
    plain = create_detector("yunet", yunet_model=str(yunet_model))
    small = create_detector("yunet", yunet_model=str(yunet_model), small_faces=True)
    assert isinstance(small, SmallFacesYuNet) and small.name == "yunet"
    assert "small_faces" not in plain.parameters
    assert small.parameters == {**plain.parameters, "small_faces": True}


def test_small_faces_respects_max_dimension(yunet_model: Path) -> None:
    image = cv2.resize(tiny_and_large(), None, fx=2, fy=2)
    detector = create_detector("yunet", yunet_model=str(yunet_model), small_faces=True, max_dimension=800)
    faces = detector.detect(image)
    assert faces, "the large face is found"
    assert all(f.box.x + f.box.width <= image.shape[1] and f.box.y + f.box.height <= image.shape[0] for f in faces)


@pytest.mark.parametrize("value", [False, None])
def test_small_faces_off_is_the_plain_detector(yunet_model: Path, value: bool | None) -> None:
    assert isinstance(create_detector("yunet", yunet_model=str(yunet_model), small_faces=value), YuNetDetector)


class FixedFaces:
    """A stand-in detector that answers the same faces for any image."""

    def __init__(self, faces: list[Face]) -> None:
        self.faces = faces
        self.parameters = {"max_dimension": None}

    def detect(self, image: np.ndarray, *, scale: float = 1.0) -> list[Face]:
        return list(self.faces)


def test_only_the_upscaled_pass_s_small_faces_are_kept() -> None:
    # The fine pass sees the image 1.5x larger: 270 px there is a 180 px face, 330 px a 220 px one.
    fine = FixedFaces([face(0, 0, 270, 0.9), face(600, 0, 330, 0.95)])
    detector = SmallFacesYuNet(FixedFaces([]), fine)  # type: ignore[arg-type]
    found = detector.detect(np.zeros((400, 800, 3), np.uint8))
    assert [f.box.to_xyxy() for f in found] == [(0, 0, 180, 180)]
