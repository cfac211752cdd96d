"""YuNet face detection with ``cv2.FaceDetectorYN``: boxes, five landmarks and a score.

The model is not shipped: this detector takes the path of a YuNet ONNX file, such as the one
``facedetect models download yunet`` verifies and keeps in the per-user cache (:mod:`facedetect.detectors.models`).
"""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING, Any

from facedetect.detectors.classifiers import ClassifierPool
from facedetect.detectors.options import float_in_range, positive_int_or_none
from facedetect.detectors.scaling import box_to_original, downscale
from facedetect.domain.model import Face, Landmarks, Point
from facedetect.errors import DetectorError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

#: Bytes a ``FaceDetectorYN`` holds per pixel of its last input (measured 52-60 on OpenCV 4.14, 1-12 MP):
#: with the pool's threshold, networks that last saw up to ~2.2 MP (a 1920x1080 frame) are kept.
BYTES_PER_INPUT_PIXEL = 60


class YuNetDetector:
    """CNN face detection, far more accurate than Haar on small, turned or occluded faces.

    Parameters
    ----------
    model_path
        Path to a YuNet ``.onnx`` model for ``cv2.FaceDetectorYN``.
    score_threshold
        Faces scoring below this are dropped (``0`` to ``1``).
    nms_threshold
        IoU above which overlapping boxes are merged by non-maximum suppression.
    top_k
        Candidates kept before non-maximum suppression.
    max_dimension
        If set, larger images are shrunk so their longer side is this many pixels before
        detection (YuNet's cost grows with the pixel count); boxes and landmarks are mapped
        back to original pixels.

    Notes
    -----
    ``FaceDetectorYN`` objects are not thread-safe, so each detection borrows one from
    :attr:`networks`, a small pool that drops networks after large inputs (they hold ~600 MB
    after a 12-megapixel one). A network is loaded in the constructor, so a missing or corrupt
    file fails at start-up.
    """

    name = "yunet"

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        *,
        score_threshold: float = 0.7,
        nms_threshold: float = 0.3,
        top_k: int = 5000,
        max_dimension: int | None = None,
    ) -> None:
        self._path = os.fspath(model_path)
        if not os.path.isfile(self._path):
            raise DetectorError(f"YuNet model {self._path!r} does not exist.")
        with open(self._path, "rb") as fh:
            self._model_sha256 = hashlib.sha256(fh.read()).hexdigest()
        self._score_threshold = float_in_range("score_threshold", score_threshold, low=0.0, high=1.0)
        self._nms_threshold = float_in_range("nms_threshold", nms_threshold, low=0.0, high=1.0)
        self._top_k = positive_int_or_none("top_k", top_k) or 5000
        self._max_dimension = positive_int_or_none("max_dimension", max_dimension, minimum=32)
        #: The idle networks of this detector (see :mod:`facedetect.detectors.classifiers`).
        self.networks = ClassifierPool(self._load_network)
        self.networks.warm()  # fail fast on an unreadable model

    @property
    def parameters(self) -> dict[str, Any]:
        return {
            "model_sha256": self._model_sha256[:16],
            "score_threshold": self._score_threshold,
            "nms_threshold": self._nms_threshold,
            "top_k": self._top_k,
            "max_dimension": self._max_dimension,
        }

    @property
    def model_path(self) -> str:
        """The ONNX file this detector reads."""
        return self._path

    def _load_network(self) -> Any:
        import cv2

        try:
            return cv2.FaceDetectorYN.create(
                self._path, "", (320, 320), self._score_threshold, self._nms_threshold, self._top_k
            )
        except cv2.error as exc:
            raise DetectorError(f"OpenCV could not load the YuNet model {self._path!r}: {exc}") from None

    def detect(self, image: npt.NDArray[np.uint8], *, scale: float = 1.0) -> list[Face]:
        """Faces in a BGR image, most confident first, each with five landmarks.

        ``scale`` (how much the service already shrank the image) changes nothing here: YuNet has
        no option in original pixels. Boxes and landmarks are in the pixels of ``image``.
        """
        del scale
        height, width = image.shape[:2]
        faces = []
        for row in self.raw(image):
            box = box_to_original(*row[:4], scale=1.0, image_width=width, image_height=height)
            if box is None:
                continue
            points = [Point(round(float(row[4 + 2 * i]), 2), round(float(row[5 + 2 * i]), 2)) for i in range(5)]
            faces.append(Face(box=box, confidence=round(float(row[14]), 6), landmarks=Landmarks(*points)))
        faces.sort(key=lambda f: f.confidence, reverse=True)
        return faces

    def raw(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
        """YuNet's rows for a BGR or grey image, in its pixels, unrounded and unclipped.

        One row per face: ``x, y, width, height``, five landmarks ``(x, y)``, score (15 columns).
        """
        import cv2
        import numpy as np

        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)  # type: ignore[assignment]
        small, scale = downscale(image, self._max_dimension)
        small_height, small_width = small.shape[:2]
        with self.networks.lend(BYTES_PER_INPUT_PIXEL * small_width * small_height) as network:
            network.setInputSize((small_width, small_height))
            _, rows = network.detect(small)
            del network  # so that a network the pool drops is freed before it trims the heap
        if rows is None:
            return np.zeros((0, 15))
        rows = np.array(rows, np.float64).reshape(-1, 15)
        rows[:, :14] /= scale
        return rows
