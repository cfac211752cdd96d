"""Property tests of the Haar detector's geometry: boxes inside the image, max_dimension mapping."""

from __future__ import annotations

import math

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from support import imagegen
from support.geometry import iou

from facedetect.detectors.haar import HaarCascadeDetector
from facedetect.domain.model import BoundingBox, Face

HAAR = HaarCascadeDetector()
LOOSE = HaarCascadeDetector(min_neighbors=0)  # many raw hits, including ones at the borders
# The astronaut's face in the 512x512 original, as Haar finds it (checked by test_haar).
ASTRONAUT_FACE = (177, 66, 95)


def _assert_inside(faces: list[Face], width: int, height: int) -> None:
    for face in faces:
        x1, y1, x2, y2 = face.box.to_xyxy()
        assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height
        assert 0.0 <= face.confidence <= 1.0
    confidences = [f.confidence for f in faces]
    assert confidences == sorted(confidences, reverse=True)


@st.composite
def astronaut_crops(draw: st.DrawFn) -> np.ndarray:
    """A crop of the astronaut (often cutting through the face), resized to a small random size."""
    x1 = draw(st.integers(0, 400))
    y1 = draw(st.integers(0, 400))
    x2 = draw(st.integers(x1 + 24, 512))
    y2 = draw(st.integers(y1 + 24, 512))
    width = draw(st.integers(24, 260))
    height = draw(st.integers(24, 260))
    crop = imagegen.astronaut()[y1:y2, x1:x2]
    image = cv2.resize(crop, (width, height), interpolation=cv2.INTER_AREA)
    return cv2.flip(image, 1) if draw(st.booleans()) else image


@settings(max_examples=40)
@given(astronaut_crops(), st.none() | st.integers(32, 300))
def test_boxes_lie_inside_the_image_with_positive_size(image: np.ndarray, max_dimension: int | None) -> None:
    height, width = image.shape[:2]
    detector = LOOSE if max_dimension is None else HaarCascadeDetector(min_neighbors=0, max_dimension=max_dimension)
    _assert_inside(detector.detect(image), width, height)


@st.composite
def scaled_composites(draw: st.DrawFn) -> tuple[np.ndarray, BoundingBox, int]:
    """A 360x480 canvas with one astronaut, and a max_dimension that keeps its face >= 40 px."""
    height, width = 360, 480
    scale = draw(st.floats(0.45, 0.7))
    x = draw(st.integers(0, width - math.ceil(512 * scale)))
    y = draw(st.integers(0, height - math.ceil(512 * scale)))
    face_side = ASTRONAUT_FACE[2] * scale
    max_dimension = draw(st.integers(math.ceil(40 * width / face_side), width - 1))  # 32 px is too few
    image = imagegen.composite([(x, y, scale)], size=(height, width), background=draw(st.integers(0, 255)))
    truth = BoundingBox(round(x + ASTRONAUT_FACE[0] * scale), round(y + ASTRONAUT_FACE[1] * scale),
                        round(face_side), round(face_side))
    return image, truth, max_dimension


@settings(max_examples=20)
@given(scaled_composites())
def test_max_dimension_maps_boxes_back_near_the_full_resolution_box(case: tuple[np.ndarray, BoundingBox, int]) -> None:
    image, truth, max_dimension = case
    height, width = image.shape[:2]
    scaled = HaarCascadeDetector(max_dimension=max_dimension).detect(image)
    full = HAAR.detect(image)
    _assert_inside(scaled, width, height)
    full_face = max(full, key=lambda f: iou(f.box, truth))
    assert iou(full_face.box, truth) >= 0.6
    best = max((iou(f.box, full_face.box) for f in scaled), default=0.0)
    assert best >= 0.6, (truth, [f.box for f in full], [f.box for f in scaled])


def test_max_dimension_larger_than_the_image_changes_nothing() -> None:
    image = imagegen.group()
    assert HaarCascadeDetector(max_dimension=1200).detect(image) == HAAR.detect(image)
