"""Build a detector by name; the one place that knows which names exist."""

from __future__ import annotations

from typing import Any

from facedetect.core.ports import FaceDetector
from facedetect.errors import InvalidInput
from facedetect.models import find_model

DETECTORS = ("haar", "yunet")


def create_detector(kind: str = "haar", *, yunet_model: str | None = None, **options: Any) -> FaceDetector:
    """Create a ``haar`` or ``yunet`` detector with the given options.

    ``options`` are the keyword arguments of :class:`~facedetect.detection.haar.HaarCascadeDetector`
    or :class:`~facedetect.detection.yunet.YuNetDetector`; ``None`` values mean "default". Without
    ``yunet_model``, ``yunet`` uses the model ``facedetect models download yunet`` cached.
    """
    options = {k: v for k, v in options.items() if v is not None}
    if kind == "haar":
        from facedetect.detection.haar import HaarCascadeDetector

        return HaarCascadeDetector(**options)
    if kind == "yunet":
        from facedetect.detection.yunet import YuNetDetector

        model = yunet_model or find_model("yunet")
        if not model:
            raise InvalidInput("The yunet detector needs a model: run 'facedetect models download yunet', "
                               "or give its path (FACEDETECT_YUNET_MODEL, --yunet-model).")
        return YuNetDetector(model, **options)
    raise InvalidInput(f"Unknown detector {kind!r}; choose one of: {', '.join(DETECTORS)}.")
