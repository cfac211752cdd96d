"""OpenCV Haar cascade face detection, with the reference system's defaults."""

from __future__ import annotations

import math
import os
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from facedetect.detectors.classifiers import ClassifierPool, IdleBudget, pyramid_buffer_bytes
from facedetect.detectors.options import float_in_range, positive_int_or_none, size_or_none
from facedetect.detectors.scaling import grey_for_scan
from facedetect.domain.model import Face
from facedetect.errors import DetectorError, InvalidInput

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

DEFAULT_CASCADE = "haarcascade_frontalface_default.xml"
MIN_SCALE_FACTOR = 1.01


def _cascade_dir() -> str:
    """Where opencv-python installed its cascade files (``cv2.data.haarcascades``)."""
    import cv2

    return str(cv2.data.haarcascades)  # type: ignore[attr-defined]


def cascade_path(cascade: str) -> str:
    """Resolve a cascade: a file name inside ``cv2.data.haarcascades``, or an existing XML path.

    Bare names cannot reach outside OpenCV's cascade directory. Nothing is downloaded.
    """
    if os.sep in cascade or (os.altsep and os.altsep in cascade):
        if ".." in cascade.replace(os.altsep or os.sep, os.sep).split(os.sep) or not cascade.endswith(".xml"):
            raise InvalidInput(f"Cascade path {cascade!r} is not allowed: name an .xml file, without '..'.")
        if not os.path.isfile(cascade):
            raise DetectorError(f"Cascade file {cascade!r} does not exist.")
        return cascade
    path = os.path.join(_cascade_dir(), cascade)
    if not cascade.endswith(".xml") or not os.path.isfile(path):
        available = sorted(n for n in os.listdir(_cascade_dir()) if n.endswith(".xml"))
        raise InvalidInput(f"Unknown cascade {cascade!r}; OpenCV ships: {', '.join(available)}.")
    return path


def _confidence(neighbours: int) -> float:
    """Map a detection's neighbour count (detectMultiScale2) to ``[0, 1)``; monotone, so it ranks."""
    return round(1.0 - math.exp(-max(0, neighbours) / 20.0), 6)


class HaarCascadeDetector:
    """Viola-Jones detection with ``cv2.CascadeClassifier``.

    With the defaults (``haarcascade_frontalface_default.xml``, ``scale_factor=1.1``,
    ``min_neighbors=5``, grey image at full resolution) the boxes equal those of raw
    ``cv2.CascadeClassifier.detectMultiScale`` on the same image.

    Parameters
    ----------
    cascade
        Cascade file name in ``_cascade_dir()``, or a path to a cascade XML.
    scale_factor
        Step between pyramid scales, from 1.01 (slow, thorough) to 4.
    min_neighbors
        Overlapping hits needed to keep a face; higher means fewer, surer faces.
    min_size, max_size
        Bounds on face size in original-image pixels: ``N`` or ``(width, height)``.
    max_dimension
        If set, images whose longer side exceeds it are shrunk before detection (faster,
        misses tiny faces); boxes are mapped back to original pixels.
    idle_budget
        Shared by several detectors: bounds the memory their idle classifiers hold together.

    Notes
    -----
    OpenCV classifiers are not thread-safe, so each detection borrows one from
    :attr:`classifiers`, a small pool that drops classifiers after large images (their
    buffers grow to the largest image pyramid scanned). The first load happens in the
    constructor so that a bad cascade fails at start-up.
    """

    name = "haar"

    def __init__(
        self,
        cascade: str = DEFAULT_CASCADE,
        *,
        scale_factor: float = 1.1,
        min_neighbors: int = 5,
        min_size: int | tuple[int, int] | None = None,
        max_size: int | tuple[int, int] | None = None,
        max_dimension: int | None = None,
        idle_budget: IdleBudget | None = None,
    ) -> None:
        # A step barely above 1 builds an almost endless pyramid: 1.01 is the smallest that finishes.
        self._scale_factor = float_in_range("scale_factor", scale_factor, low=MIN_SCALE_FACTOR, high=4.0)
        self._min_neighbors = positive_int_or_none("min_neighbors", min_neighbors, minimum=0) or 0
        self._min_size = size_or_none("min_size", min_size)
        self._max_size = size_or_none("max_size", max_size)
        self._max_dimension = positive_int_or_none("max_dimension", max_dimension, minimum=32)
        self._cascade = cascade
        self._path = cascade_path(cascade)
        #: The idle classifiers of this detector (see :mod:`facedetect.detectors.classifiers`).
        self.classifiers = ClassifierPool(self._load_classifier, budget=idle_budget)
        self.classifiers.warm()  # fail fast on an unreadable cascade

    @property
    def parameters(self) -> dict[str, Any]:
        return {
            "cascade": self._cascade,
            "scale_factor": self._scale_factor,
            "min_neighbors": self._min_neighbors,
            "min_size": list(self._min_size) if self._min_size else None,
            "max_size": list(self._max_size) if self._max_size else None,
            "max_dimension": self._max_dimension,
        }

    def _load_classifier(self) -> Any:
        import cv2

        try:
            classifier = cv2.CascadeClassifier(self._path)
        except (cv2.error, SystemError):  # OpenCV raises (wrapped) on a file that is not a cascade
            classifier = None
        if classifier is None or classifier.empty():
            raise DetectorError(f"OpenCV could not load the cascade {self._path!r}.")
        return classifier

    def _classifier_for(self, grey: npt.NDArray[np.uint8], sizes: dict[str, Any]) -> AbstractContextManager[Any]:
        """A classifier lent for scanning ``grey`` with ``sizes`` (``minSize``/``maxSize``)."""
        height, width = grey.shape[:2]
        estimate = pyramid_buffer_bytes(width, height, self._scale_factor, sizes.get("minSize"), sizes.get("maxSize"))
        return self.classifiers.lend(estimate)

    def detect(self, image: npt.NDArray[np.uint8], *, scale: float = 1.0) -> list[Face]:
        """Faces in a BGR (or grey) image, most confident first.

        ``scale`` says the image was already shrunk by that factor from the original (the service
        decodes large photos small): ``min_size`` and ``max_size``, in original pixels, shrink alike.
        Boxes are in the pixels of ``image``.
        """
        scan = grey_for_scan(image, self._max_dimension, scale)
        kwargs: dict[str, Any] = {}
        if self._min_size:
            kwargs["minSize"] = scan.size(self._min_size)
        if self._max_size:
            kwargs["maxSize"] = scan.size(self._max_size)
        with self._classifier_for(scan.grey, kwargs) as classifier:
            boxes, neighbours = classifier.detectMultiScale2(
                scan.grey, scaleFactor=self._scale_factor, minNeighbors=self._min_neighbors, **kwargs
            )
        faces = []
        for (x, y, w, h), n in zip(boxes, neighbours, strict=True):
            box = scan.to_image(x, y, w, h)
            if box is not None:
                faces.append(Face(box=box, confidence=_confidence(int(n))))
        faces.sort(key=lambda f: f.confidence, reverse=True)
        return faces
