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
from facedetect.detectors.yunet_small import SmallFacesYuNet, fuse
from facedetect.domain.model import BoundingBox, Face


def row(x: float, y: float, size: float, score: float) -> list[float]:
    """A YuNet output row: box, five landmarks (all at the box's centre), score."""
    return [x, y, size, size, *[x + size / 2, y + size / 2] * 5, score]


def fused(rows: list[list[float]], threshold: float = 0.3) -> list[Face]:
    return fuse(np.array(rows, float).reshape(-1, 15), threshold, 1000, 1000)


def test_fuse_keeps_separate_faces_and_ranks_them() -> None:
    found = fused([row(0, 0, 100, 0.9), row(300, 300, 20, 0.95), row(500, 10, 16, 0.4)])
    assert [f.box.to_xyxy() for f in found] == [(300, 300, 320, 320), (0, 0, 100, 100), (500, 10, 516, 26)]
    assert [f.confidence for f in found] == [0.95, 0.9, 0.4]


def test_fuse_averages_one_face_seen_twice_weighted_by_score() -> None:
    # Same face, the second guess 4 px to the right with three times the score: the face moves 3 px.
    found = fused([row(100, 100, 40, 0.25), row(104, 100, 40, 0.75)])
    assert len(found) == 1
    assert found[0].box == BoundingBox(103, 100, 40, 40)
    assert found[0].confidence == 0.75
    assert found[0].landmarks is not None and found[0].landmarks.nose.x == 123.0


def test_candidates_under_the_threshold_only_move_the_faces_they_join() -> None:
    # A 0.2 candidate alone is dropped; next to a 0.6 one it shifts the box, not the score.
    found = fused([row(100, 100, 40, 0.6), row(106, 100, 40, 0.2), row(600, 600, 40, 0.29)])
    assert [(f.box, f.confidence) for f in found] == [(BoundingBox(102, 100, 40, 40), 0.6)]


def test_fuse_of_nothing_is_nothing() -> None:
    assert fused([]) == []


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


class FixedRows:
    """A stand-in YuNet pass that answers the same rows for any image."""

    def __init__(self, rows: list[list[float]]) -> None:
        self.rows = rows
        self.parameters = {"max_dimension": None, "score_threshold": 0.3}

    def raw(self, image: np.ndarray) -> np.ndarray:
        return np.array(self.rows, float).reshape(-1, 15)


def test_only_the_upscaled_pass_s_small_faces_are_kept() -> None:
    # The fine pass sees the image 1.5x larger: 270 px there is a 180 px face, 330 px a 220 px one.
    fine = FixedRows([row(0, 0, 270, 0.9), row(600, 0, 330, 0.95)])
    detector = SmallFacesYuNet(FixedRows([]), fine)  # type: ignore[arg-type]
    found = detector.detect(np.zeros((400, 800, 3), np.uint8))
    assert [f.box.to_xyxy() for f in found] == [(0, 0, 180, 180)]
