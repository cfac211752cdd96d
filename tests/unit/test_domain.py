"""Domain values (core/domain.py): BoundingBox arithmetic and Detection's image key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facedetect.domain.model import BoundingBox, Detection


def test_clipped_rounds_to_pixels() -> None:
    assert BoundingBox.clipped(10.4, 20.6, 30.2, 40.2, image_width=100, image_height=100) == BoundingBox(10, 21, 31, 40)


def test_clipped_cuts_at_the_image_borders() -> None:
    assert BoundingBox.clipped(-10, -5, 30, 20, image_width=100, image_height=80) == BoundingBox(0, 0, 20, 15)
    assert BoundingBox.clipped(90, 70, 30, 20, image_width=100, image_height=80) == BoundingBox(90, 70, 10, 10)


@pytest.mark.parametrize(
    "box",
    [(-50, 0, 40, 10), (100, 0, 5, 5), (0, 80, 5, 5), (10, 10, 0, 5), (10, 10, 5, -1), (10, 10, 0.2, 5)],
)
def test_clipped_is_none_when_nothing_is_left(box: tuple[float, float, float, float]) -> None:
    assert BoundingBox.clipped(*box, image_width=100, image_height=80) is None


@given(
    st.floats(-1e4, 1e4), st.floats(-1e4, 1e4), st.floats(0, 1e4), st.floats(0, 1e4),
    st.integers(1, 5000), st.integers(1, 5000),
)
def test_clipped_boxes_are_inside_with_positive_size(x: float, y: float, w: float, h: float,
                                                     image_width: int, image_height: int) -> None:
    box = BoundingBox.clipped(x, y, w, h, image_width=image_width, image_height=image_height)
    if box is None:
        return
    x1, y1, x2, y2 = box.to_xyxy()
    assert 0 <= x1 < x2 <= image_width and 0 <= y1 < y2 <= image_height
    # Clipping never moves an edge by more than rounding, unless the edge was outside the image.
    assert x1 == max(0, round(x)) and y1 == max(0, round(y))


def test_to_xyxy_is_exclusive_bottom_right() -> None:
    assert BoundingBox(3, 4, 10, 20).to_xyxy() == (3, 4, 13, 24)


def test_to_ratios_are_fractions_of_the_image() -> None:
    assert BoundingBox(50, 20, 100, 40).to_ratios(200, 80) == {"left": 0.25, "top": 0.25, "width": 0.5,
                                                                 "height": 0.5}


def test_boxes_are_frozen_values() -> None:
    box = BoundingBox(1, 2, 3, 4)
    assert box == BoundingBox(1, 2, 3, 4) and hash(box) == hash(BoundingBox(1, 2, 3, 4))
    with pytest.raises(AttributeError):
        box.x = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("media_type", "extension"),
    [("image/jpeg", ".jpg"), ("image/png", ".png"), ("image/webp", ".webp"), ("image/bmp", ".bmp"),
     ("image/tiff", ".tiff"), ("application/octet-stream", ".bin")],
)
def test_image_key_is_hash_plus_real_extension(media_type: str, extension: str) -> None:
    detection = Detection(id="i", sha256="ab" * 32, media_type=media_type, width=1, height=1, faces=(),
                          detector="haar", parameters={}, created_at=datetime(2024, 1, 1, tzinfo=UTC), duration_ms=1.0)
    assert detection.image_key == "ab" * 32 + extension
