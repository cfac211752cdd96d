"""``haar-multi``: several of OpenCV's own Haar cascades, merged, with a confidence that ranks well.

One frontal cascade misses turned faces and ranks its hits only by neighbour count. This detector
runs a frontal cascade, the profile cascade and the profile cascade on the mirrored image (it
only knows one side), each with its own pyramid step and neighbour threshold, on one shared grey
image. Each hit gets a probability-like confidence from its neighbour count, calibrated per
cascade on the WIDER FACE dev images (how often a hit with that many neighbours is a face); the
hits of all cascades are then merged by non-maximum suppression, the more confident first.
Cascades run in parallel threads (OpenCV releases the GIL). Measured, with the choices here, by
``benchmarks/detectors.py``.

Each cascade's classifiers are lent from a :class:`~facedetect.detectors.classifiers.ClassifierPool`,
as the plain Haar detector's are, so the buffers of a large image's pyramid are not kept while idle.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from facedetect.detectors.classifiers import ClassifierPool, IdleBudget, pyramid_buffer_bytes
from facedetect.detectors.haar import cascade_path
from facedetect.detectors.options import positive_int_or_none, size_or_none
from facedetect.detectors.scaling import grey_for_scan
from facedetect.domain.model import Face
from facedetect.errors import DetectorError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class CascadePass:
    """One cascade run: which file, on the mirrored image or not, its pyramid and its calibration.

    The confidence of a hit with ``n`` neighbours is ``1 / (1 + exp(-(slope * log(1 + n) + offset)))``.
    """

    cascade: str
    mirrored: bool
    scale_factor: float
    min_neighbors: int
    #: Faces narrower than this fraction of the image's shorter side are not looked for: the
    #: skipped pyramid levels are the largest, slowest ones, and hold few faces this cascade finds.
    min_face_fraction: float
    slope: float
    offset: float

    def confidence(self, neighbours: int) -> float:
        return round(1.0 / (1.0 + math.exp(-(self.slope * math.log1p(neighbours) + self.offset))), 6)


#: The passes, tuned on every 8th WIDER FACE dev image: ``alt2`` beats the default frontal cascade
#: and needs the fine 1.1 step (at 1.2 it loses 0.04-0.05 AP easy), the profile cascade keeps its
#: AP at 1.2; one neighbour for ``alt2`` keeps more faces, ranked low. Slopes and offsets: a
#: logistic fit of "is a face" (IoU >= 0.5 with a true face) on log(1 + neighbours), one fit for
#: ``alt2`` and one for both profile passes. The smallest-face fractions trade a little AP for
#: time; they were set on held-out dev images (see docs/benchmarks.md).
PASSES: tuple[CascadePass, ...] = (
    CascadePass("haarcascade_frontalface_alt2.xml", False, 1.1, 1, 0.055, 2.71, -5.01),
    CascadePass("haarcascade_profileface.xml", False, 1.2, 6, 0.1, 0.56, -0.71),
    CascadePass("haarcascade_profileface.xml", True, 1.2, 6, 0.1, 0.56, -0.71),
)
#: Two hits overlapping more than this (intersection over union) are one face.
NMS_IOU = 0.3
#: ... and so are two hits when this fraction of the smaller one lies inside the larger one
#: (a profile box inside a frontal box of the same face).
NMS_INSIDE = 0.6


class MultiCascadeDetector:
    """Frontal and profile Haar cascades, merged by non-maximum suppression.

    Parameters
    ----------
    min_size, max_size
        Bounds on face size in original-image pixels: ``N`` or ``(width, height)``.
    max_dimension
        If set, images whose longer side exceeds it are shrunk before detection.
    parallel
        Run the cascades in parallel threads (faster for one image). ``None`` (default): when
        OpenCV may use more than one thread (``cv2.getNumThreads() > 1``); callers that keep
        every core busy with whole images, as ``facedetect detect`` with several workers does,
        set OpenCV to one thread and then the cascades run one after the other.
    idle_budget
        Shared with other detectors: bounds the memory their idle classifiers hold together.

    Notes
    -----
    Thread-safe: each cascade run borrows a classifier from :attr:`pools`, one
    :class:`~facedetect.detectors.classifiers.ClassifierPool` per cascade file, which drops
    classifiers after large images (their buffers grow to the largest pyramid scanned). One
    classifier of each cascade is loaded in the constructor so that a bad cascade fails at start-up.
    """

    name = "haar-multi"

    def __init__(
        self,
        *,
        min_size: int | tuple[int, int] | None = None,
        max_size: int | tuple[int, int] | None = None,
        max_dimension: int | None = None,
        parallel: bool | None = None,
        idle_budget: IdleBudget | None = None,
    ) -> None:
        self._min_size = size_or_none("min_size", min_size)
        self._max_size = size_or_none("max_size", max_size)
        self._max_dimension = positive_int_or_none("max_dimension", max_dimension, minimum=32)
        self._parallel = parallel
        self._paths = {p.cascade: cascade_path(p.cascade) for p in PASSES}
        cpus = os.cpu_count() or 2
        #: The idle classifiers of each cascade file (see :mod:`facedetect.detectors.classifiers`); as
        #: many kept as runs of that cascade when every core detects (the profile cascade runs twice).
        self.pools = {cascade: ClassifierPool(self._loader(path), budget=idle_budget,
                                              max_idle=cpus * sum(p.cascade == cascade for p in PASSES))
                      for cascade, path in self._paths.items()}
        for pool in self.pools.values():
            pool.warm()  # fail fast on an unreadable cascade
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    @property
    def parameters(self) -> dict[str, Any]:
        return {
            "passes": [f"{p.cascade}{':mirrored' if p.mirrored else ''}@{p.scale_factor}/{p.min_neighbors}"
                       f"/{p.min_face_fraction}" for p in PASSES],
            "min_size": list(self._min_size) if self._min_size else None,
            "max_size": list(self._max_size) if self._max_size else None,
            "max_dimension": self._max_dimension,
        }

    @staticmethod
    def _loader(path: str) -> Callable[[], Any]:
        """Makes a fresh classifier of the cascade at ``path``."""

        def load() -> Any:
            import cv2

            try:
                classifier = cv2.CascadeClassifier(path)
            except (cv2.error, SystemError):  # OpenCV raises (wrapped) on a file that is not a cascade
                classifier = None
            if classifier is None or classifier.empty():
                raise DetectorError(f"OpenCV could not load the cascade {path!r}.")
            return classifier

        return load

    def release(self) -> None:
        """Drop every idle classifier and the memory it holds (the next detections load fresh ones)."""
        for pool in self.pools.values():
            pool.release()

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=len(PASSES), thread_name_prefix="haar-multi")
            return self._pool

    def detect(self, image: npt.NDArray[np.uint8], *, scale: float = 1.0) -> list[Face]:
        """Faces in a BGR (or grey) image, most confident first.

        ``scale`` says the image was already shrunk by that factor from the original (the service
        decodes large photos small): ``min_size`` and ``max_size``, in original pixels, shrink alike.
        Boxes are in the pixels of ``image``.
        """
        import cv2

        scan = grey_for_scan(image, self._max_dimension, scale)
        small = scan.grey
        wanted = scan.size(self._min_size) or (0, 0)
        max_size = scan.size(self._max_size)
        mirror = cv2.flip(small, 1) if any(p.mirrored for p in PASSES) else None

        def run(index: int) -> list[tuple[float, float, float, float, float]]:
            spec = PASSES[index]
            source = mirror if spec.mirrored else small
            side = round(spec.min_face_fraction * min(small.shape[:2]))
            kwargs: dict[str, Any] = {"minSize": (max(side, wanted[0]), max(side, wanted[1]))}
            if max_size:
                kwargs["maxSize"] = max_size
            estimate = pyramid_buffer_bytes(small.shape[1], small.shape[0], spec.scale_factor,  # mirror: same size
                                            kwargs["minSize"], max_size)
            with self.pools[spec.cascade].lend(estimate) as classifier:
                boxes, neighbours = classifier.detectMultiScale2(
                    source, scaleFactor=spec.scale_factor, minNeighbors=spec.min_neighbors, **kwargs)
                del classifier  # so a dropped classifier is freed before the pool trims the heap
            found = []
            for (x, y, w, h), n in zip(boxes, neighbours, strict=True):
                left = small.shape[1] - x - w if spec.mirrored else x
                found.append((float(left), float(y), float(w), float(h), spec.confidence(int(n))))
            return found

        parallel = cv2.getNumThreads() > 1 if self._parallel is None else self._parallel
        if parallel and len(PASSES) > 1:
            results = list(self._executor().map(run, range(len(PASSES))))
        else:
            results = [run(i) for i in range(len(PASSES))]
        faces = []
        for x, y, w, h, confidence in suppress([hit for hits in results for hit in hits], NMS_IOU, NMS_INSIDE):
            box = scan.to_image(x, y, w, h)
            if box is not None:
                faces.append(Face(box=box, confidence=confidence))
        return faces


def suppress(hits: list[tuple[float, float, float, float, float]], iou: float,
             inside: float = 1.0) -> list[tuple[float, float, float, float, float]]:
    """Greedy non-maximum suppression of ``(x, y, w, h, score)`` hits, the highest score first.

    A hit is dropped when its intersection with a kept one exceeds ``iou`` of their union or
    ``inside`` of the smaller box. Equal scores go top to bottom, left to right, so the result
    does not depend on the order OpenCV's threads listed the hits in.
    """
    kept: list[tuple[float, float, float, float, float]] = []
    for hit in sorted(hits, key=lambda h: (-h[4], h[1], h[0], h[3], h[2])):
        if all(not _same_face(hit, other, iou, inside) for other in kept):
            kept.append(hit)
    return kept


def _same_face(a: tuple[float, ...], b: tuple[float, ...], iou: float, inside: float) -> bool:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return False
    inter = w * h
    area_a, area_b = a[2] * a[3], b[2] * b[3]
    return inter > iou * (area_a + area_b - inter) or inter > inside * min(area_a, area_b)
