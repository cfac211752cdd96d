"""YuNet with a second, upscaled pass for small faces (the ``small_faces`` option).

YuNet's smallest anchors are about 10 pixels; faces of 10-30 pixels (crowds, group photos)
score low or are missed. A second pass on the image enlarged :data:`UPSCALE` times sees them
at a size YuNet handles well. Its large faces add nothing but false positives and worse boxes
(the first pass has them, better framed), so only its faces smaller than :data:`SMALL_FACE_PX`
original pixels are kept. The fine pass uses the caller's score threshold: a lower one for it
(0.1 under 0.3) lifts AP hard by 0.010 on WIDER dev, but only by returning faces that score below
the threshold the caller asked for. Where
a kept face overlaps one from the first pass, the two are fused: boxes and landmarks averaged,
weighted by score, and the higher score kept (score-weighted box fusion). Measured on the
WIDER dev images by ``benchmarks/detectors.py``; the constants were chosen on the 783 dev images
(fusing NMS-style, keeping the first pass's box, costs 0.03 AP hard; a bound of 128 px 0.003 AP easy).
"""

from __future__ import annotations

from dataclasses import replace
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
#: Overlap (IoU) above which two faces are taken to be the same face and fused.
FUSE_IOU = 0.4


class SmallFacesYuNet:
    """A :class:`~facedetect.detectors.yunet.YuNetDetector` plus an upscaled pass for small faces.

    Parameters
    ----------
    base
        The detector of the first pass; its options (threshold, ``max_dimension``) apply.
    fine
        The detector of the upscaled pass: the same model and thresholds, no ``max_dimension``.
    """

    name = "yunet"

    def __init__(self, base: YuNetDetector, fine: YuNetDetector) -> None:
        self.base = base
        self._fine = fine

    @classmethod
    def wrapping(cls, base: YuNetDetector) -> SmallFacesYuNet:
        """Add the small-faces pass to ``base`` (the second model is loaded here, once)."""
        from facedetect.detectors.yunet import YuNetDetector

        options = base.parameters
        fine = YuNetDetector(base.model_path, score_threshold=options["score_threshold"],
                             nms_threshold=options["nms_threshold"], top_k=options["top_k"])
        return cls(base, fine)

    @property
    def parameters(self) -> dict[str, Any]:
        return {**self.base.parameters, "small_faces": True}

    def detect(self, image: npt.NDArray[np.uint8], *, scale: float = 1.0) -> list[Face]:
        """Faces of both passes, merged, most confident first.

        ``scale`` says the image was already shrunk by that factor from the original: the
        small-face bound (original pixels) shrinks alike. Boxes are in the pixels of ``image``.
        """
        import cv2

        faces = self.base.detect(image, scale=scale)
        height, width = image.shape[:2]
        limit = self.base.parameters.get("max_dimension")
        upscale = UPSCALE if limit is None else min(UPSCALE, UPSCALE * limit / max(height, width))
        size = (round(width * upscale), round(height * upscale))
        enlarged: npt.NDArray[np.uint8] = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)  # type: ignore[assignment]
        small = [f for f in (_scaled(f, 1 / upscale, width, height) for f in self._fine.detect(enlarged))
                 if f is not None and max(f.box.width, f.box.height) < SMALL_FACE_PX * scale]
        return merge(faces, small)


def merge(first: list[Face], second: list[Face]) -> list[Face]:
    """``first`` plus ``second``: a face of ``second`` overlapping one of ``first`` is fused into it."""
    merged = list(first)
    for face in sorted(second, key=lambda f: f.confidence, reverse=True):
        best, best_iou = -1, FUSE_IOU
        for i, other in enumerate(merged):
            overlap = _iou(face.box, other.box)
            if overlap > best_iou:
                best, best_iou = i, overlap
        if best < 0:
            merged.append(face)
        else:
            merged[best] = _fused(merged[best], face)
    merged.sort(key=lambda f: f.confidence, reverse=True)
    return merged


def _iou(a: BoundingBox, b: BoundingBox) -> float:
    w = min(a.x + a.width, b.x + b.width) - max(a.x, b.x)
    h = min(a.y + a.height, b.y + b.height) - max(a.y, b.y)
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / (a.width * a.height + b.width * b.height - inter)


def _fused(a: Face, b: Face) -> Face:
    """Score-weighted average of two detections of one face; the higher score is kept."""
    wa, wb = max(a.confidence, 1e-6), max(b.confidence, 1e-6)
    total = wa + wb

    def mix(p: float, q: float) -> float:
        return (p * wa + q * wb) / total

    x1, y1 = mix(a.box.x, b.box.x), mix(a.box.y, b.box.y)
    x2 = mix(a.box.x + a.box.width, b.box.x + b.box.width)
    y2 = mix(a.box.y + a.box.height, b.box.y + b.box.height)
    box = BoundingBox(round(x1), round(y1), max(1, round(x2 - x1)), max(1, round(y2 - y1)))
    landmarks = a.landmarks
    if a.landmarks is not None and b.landmarks is not None:
        landmarks = Landmarks(*(Point(round(mix(p.x, q.x), 2), round(mix(p.y, q.y), 2))
                                for p, q in zip(_points(a.landmarks), _points(b.landmarks), strict=True)))
    return replace(a, box=box, confidence=max(a.confidence, b.confidence), landmarks=landmarks or b.landmarks)


def _points(landmarks: Landmarks) -> tuple[Point, ...]:
    return (landmarks.right_eye, landmarks.left_eye, landmarks.nose, landmarks.right_mouth, landmarks.left_mouth)


def _scaled(face: Face, factor: float, width: int, height: int) -> Face | None:
    """``face`` found on a resized image, in original pixels (clipped)."""
    box = BoundingBox.clipped(face.box.x * factor, face.box.y * factor, face.box.width * factor,
                              face.box.height * factor, image_width=width, image_height=height)
    if box is None:
        return None
    landmarks = None
    if face.landmarks is not None:
        landmarks = Landmarks(*(Point(round(p.x * factor, 2), round(p.y * factor, 2))
                                for p in _points(face.landmarks)))
    return replace(face, box=box, landmarks=landmarks)
