"""Downscaling large images before detection and mapping boxes back to original pixels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

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


@dataclass(frozen=True, slots=True)
class GreyScan:
    """The grey image a Haar cascade scans, and how its pixels relate to the caller's.

    Made by :func:`grey_for_scan`.

    Attributes
    ----------
    grey
        The grey image, shrunk to the detector's ``max_dimension`` if it was larger.
    own_scale
        The shrink applied here (``1.0`` when untouched): ``grey`` pixels per pixel of the image given.
    size_scale
        ``grey`` pixels per original-image pixel: ``own_scale`` times the ``scale`` the image
        given was already shrunk by; face-size bounds in original pixels are multiplied by it.
    width, height
        The size of the image given, which boxes are mapped back to.
    """

    grey: npt.NDArray[np.uint8]
    own_scale: float
    size_scale: float
    width: int
    height: int

    def size(self, bound: tuple[int, int] | None) -> tuple[int, int] | None:
        """A face-size bound in original-image pixels, in ``grey`` pixels (at least 1); ``None`` stays."""
        if bound is None:
            return None
        return (max(1, round(bound[0] * self.size_scale)), max(1, round(bound[1] * self.size_scale)))

    def to_image(self, x: float, y: float, width: float, height: float) -> BoundingBox | None:
        """A box found on ``grey``, in the pixels of the image given, clipped to it."""
        return box_to_original(x, y, width, height, scale=self.own_scale,
                               image_width=self.width, image_height=self.height)


def grey_for_scan(image: npt.NDArray[np.uint8], max_dimension: int | None, scale: float = 1.0) -> GreyScan:
    """``image`` (BGR or grey) as grey, shrunk to ``max_dimension``; ``scale``: how much it was already shrunk."""
    import cv2

    grey = image if image.ndim == 2 else cast("npt.NDArray[np.uint8]", cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
    height, width = grey.shape[:2]
    small, own = downscale(grey, max_dimension)
    return GreyScan(grey=small, own_scale=own, size_scale=scale * own, width=width, height=height)
