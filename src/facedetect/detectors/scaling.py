"""Downscaling large images before detection and mapping boxes back to original pixels."""

from __future__ import annotations

from typing import TYPE_CHECKING

from facedetect.domain.model import BoundingBox

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


def downscale(image: npt.NDArray[np.uint8], max_dimension: int | None) -> tuple[npt.NDArray[np.uint8], float]:
    """Shrink ``image`` so its longer side is at most ``max_dimension``.

    Returns the (possibly unchanged) image and the scale applied (``1.0`` when untouched).
    Area interpolation keeps detail that nearest-neighbour would alias away.
    """
    height, width = image.shape[:2]
    longest = max(height, width)
    if max_dimension is None or longest <= max_dimension:
        return image, 1.0
    import cv2

    scale = max_dimension / longest
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), scale  # type: ignore[return-value]


def box_to_original(x: float, y: float, width: float, height: float, *, scale: float,
                    image_width: int, image_height: int) -> BoundingBox | None:
    """Map a box found on a downscaled image back to the original, clipped to it."""
    return BoundingBox.clipped(
        x / scale, y / scale, width / scale, height / scale,
        image_width=image_width, image_height=image_height,
    )
