"""YuNet face detection with ``cv2.FaceDetectorYN``: boxes, five landmarks and a score.

facedetect never downloads or ships the model: pass the path of a YuNet ONNX file.
"""

from __future__ import annotations

import hashlib
import os
import threading
from typing import TYPE_CHECKING, Any

from facedetect.core.domain import Face, Landmarks, Point
from facedetect.detection._options import float_in_range, positive_int_or_none
from facedetect.detection.scaling import box_to_original, downscale
from facedetect.errors import DetectorError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


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
    ``FaceDetectorYN`` objects are not thread-safe: each thread gets its own. The model is
    read once in the constructor, so a missing or corrupt file fails at start-up.
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
        self._local = threading.local()
        self._model((320, 320))  # fail fast on an unreadable model

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

    def _model(self, size: tuple[int, int]) -> Any:
        model = getattr(self._local, "model", None)
        if model is None:
            import cv2

            try:
                model = cv2.FaceDetectorYN.create(
                    self._path, "", size, self._score_threshold, self._nms_threshold, self._top_k
                )
            except cv2.error as exc:
                raise DetectorError(f"OpenCV could not load the YuNet model {self._path!r}: {exc}") from None
            self._local.model = model
        model.setInputSize(size)
        return model

    def detect(self, image: npt.NDArray[np.uint8]) -> list[Face]:
        """Faces in a BGR image, most confident first, each with five landmarks."""
        import cv2

        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)  # type: ignore[assignment]
        height, width = image.shape[:2]
        small, scale = downscale(image, self._max_dimension)
        _, rows = self._model((small.shape[1], small.shape[0])).detect(small)
        faces = []
        for row in rows if rows is not None else ():
            box = box_to_original(*row[:4], scale=scale, image_width=width, image_height=height)
            if box is None:
                continue
            points = [Point(round(float(row[4 + 2 * i]) / scale, 2), round(float(row[5 + 2 * i]) / scale, 2))
                      for i in range(5)]
            faces.append(Face(box=box, confidence=round(float(row[14]), 6), landmarks=Landmarks(*points)))
        faces.sort(key=lambda f: f.confidence, reverse=True)
        return faces
