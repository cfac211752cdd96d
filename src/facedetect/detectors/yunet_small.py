"""YuNet with a second, upscaled pass for small faces (the ``small_faces`` option).

YuNet's smallest anchors are about 10 pixels; faces of 10-30 pixels (crowds, group photos)
score low or are missed. A second pass on the image enlarged :data:`UPSCALE` times sees them
at a size YuNet handles well. Its large faces add nothing but false positives and worse boxes
(the first pass has them, better framed), so only its faces smaller than :data:`SMALL_FACE_PX`
original pixels are kept.

Both passes return their *candidates*: every box scoring at least :data:`CANDIDATE_SCORE` (or the
caller's threshold, if lower), with almost no non-maximum suppression (:data:`CANDIDATE_NMS`).
They are pooled and grouped greedily: the most confident candidate left, if it reaches the
caller's score threshold, takes every candidate overlapping it by more than :data:`FUSE_IOU`, and
the group becomes one face: boxes and landmarks averaged, weighted by score (weighted box fusion),
with the best score. So every face returned scores at least the caller's threshold (no fused score
is raised), and a small face's box is the average of many near-identical guesses, not the one that
survived suppression: at 10-20 pixels a one-pixel shift decides IoU 0.5. Measured on the WIDER dev
images by ``benchmarks/detectors.py``; see docs/benchmarks.md for the figures and the tuning images.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from facedetect.domain.budget import SMALL_FACES_UPSCALE
from facedetect.domain.model import BoundingBox, Face, Landmarks, Point

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from facedetect.detectors.yunet import YuNetDetector

#: How much the second pass enlarges the image (the work budget counts it).
UPSCALE = SMALL_FACES_UPSCALE
#: Faces of the upscaled pass wider than this (original pixels) are left to the first pass.
SMALL_FACE_PX = 200
#: Overlap (IoU) above which candidates are taken to be the same face and fused.
FUSE_IOU = 0.4
#: Candidates scoring under this are not fused (the caller's threshold, if lower, is used instead).
CANDIDATE_SCORE = 0.1
#: The passes' own non-maximum suppression: only near-duplicates are dropped, the fusion groups the rest.
CANDIDATE_NMS = 0.95


class SmallFacesYuNet:
    """A :class:`~facedetect.detectors.yunet.YuNetDetector` plus an upscaled pass for small faces.

    Parameters
    ----------
    base
        The detector asked for: its options (threshold, ``max_dimension``) apply, and it runs the
        first pass unless ``coarse`` is given.
    fine
        The detector of the upscaled pass: the same model, no ``max_dimension``.
    coarse
        The detector of the first pass, if not ``base`` (:meth:`wrapping` gives one returning candidates).
    """

    name = "yunet"

    def __init__(self, base: YuNetDetector, fine: YuNetDetector, coarse: YuNetDetector | None = None) -> None:
        self.base = base
        self._fine = fine
        self._coarse = coarse or base

    @classmethod
    def wrapping(cls, base: YuNetDetector) -> SmallFacesYuNet:
        """Add the small-faces pass to ``base`` (the passes' models are loaded here, once)."""
        from facedetect.detectors.yunet import YuNetDetector

        options = base.parameters
        candidates = {"score_threshold": min(CANDIDATE_SCORE, options["score_threshold"]),
                      "nms_threshold": CANDIDATE_NMS, "top_k": options["top_k"]}
        fine = YuNetDetector(base.model_path, **candidates)
        coarse = YuNetDetector(base.model_path, **candidates, max_dimension=options["max_dimension"])
        return cls(base, fine, coarse)

    @property
    def parameters(self) -> dict[str, Any]:
        return {**self.base.parameters, "small_faces": True}

    def detect(self, image: npt.NDArray[np.uint8], *, scale: float = 1.0) -> list[Face]:
        """Faces of both passes, fused, most confident first.

        ``scale`` says the image was already shrunk by that factor from the original: the
        small-face bound (original pixels) shrinks alike. Boxes are in the pixels of ``image``.
        """
        import cv2
        import numpy as np

        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)  # type: ignore[assignment]
        height, width = image.shape[:2]
        limit = self.base.parameters.get("max_dimension")
        upscale = UPSCALE if limit is None else min(UPSCALE, UPSCALE * limit / max(height, width))
        size = (round(width * upscale), round(height * upscale))
        enlarged: npt.NDArray[np.uint8] = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)  # type: ignore[assignment]
        small = self._fine.raw(enlarged)
        small[:, :14] /= upscale
        small = small[np.maximum(small[:, 2], small[:, 3]) < SMALL_FACE_PX * scale]
        rows = np.concatenate([self._coarse.raw(image), small])
        return fuse(rows, float(self.base.parameters["score_threshold"]), width, height)


def fuse(rows: npt.NDArray[np.float64], threshold: float, width: int, height: int) -> list[Face]:
    """Group overlapping candidate ``rows`` (YuNet's) into faces scoring ``threshold`` or more.

    Greedy: the most confident candidate left takes every one left overlapping it by more than
    :data:`FUSE_IOU`; the face is their score-weighted average (box and landmarks), with the
    leader's score, clipped to the ``width`` x ``height`` image. Most confident first.
    """
    import numpy as np

    rows = rows[np.argsort(-rows[:, 14], kind="stable")]
    x1, y1 = rows[:, 0], rows[:, 1]
    x2, y2 = x1 + rows[:, 2], y1 + rows[:, 3]
    areas = rows[:, 2] * rows[:, 3]
    left = np.ones(len(rows), bool)
    faces = []
    for i in range(len(rows)):
        if rows[i, 14] < threshold:
            break
        if not left[i]:
            continue
        inter = (np.clip(np.minimum(x2[i], x2) - np.maximum(x1[i], x1), 0, None)
                 * np.clip(np.minimum(y2[i], y2) - np.maximum(y1[i], y1), 0, None))
        members = left & (inter > FUSE_IOU * (areas[i] + areas - inter))
        members[i] = True
        left &= ~members
        group = rows[members]
        weights = np.maximum(group[:, 14], 1e-6)
        mean = weights @ group / weights.sum()
        box = BoundingBox.clipped(*mean[:4], image_width=width, image_height=height)  # averaged corners
        if box is None:
            continue
        points = [Point(round(float(mean[4 + 2 * k]), 2), round(float(mean[5 + 2 * k]), 2)) for k in range(5)]
        faces.append(Face(box=box, confidence=round(float(rows[i, 14]), 6), landmarks=Landmarks(*points)))
    return faces
