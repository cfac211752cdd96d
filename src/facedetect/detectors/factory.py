"""Build a detector by name; the one place that knows which names exist."""

from __future__ import annotations

from typing import Any, Literal, get_args

from facedetect.detectors.models import find_model
from facedetect.domain.ports import FaceDetector
from facedetect.errors import InvalidInput

#: The detector names: settings (``FACEDETECT_DETECTOR``), the CLI's ``--detector`` and the API take these.
DetectorName = Literal["haar", "haar-multi", "yunet"]
DETECTORS: tuple[str, ...] = get_args(DetectorName)


def create_detector(kind: str = "haar", *, yunet_model: str | None = None, **options: Any) -> FaceDetector:
    """Create a ``haar``, ``haar-multi`` or ``yunet`` detector with the given options.

    ``options`` are the keyword arguments of :class:`~facedetect.detectors.haar.HaarCascadeDetector`,
    :class:`~facedetect.detectors.haar_multi.MultiCascadeDetector` or
    :class:`~facedetect.detectors.yunet.YuNetDetector` (plus ``small_faces=True``: see
    :mod:`~facedetect.detectors.yunet_small`); ``None`` values mean "default". Without
    ``yunet_model``, ``yunet`` uses the model ``facedetect models download yunet`` cached.
    """
    options = {k: v for k, v in options.items() if v is not None}
    if kind == "haar":
        from facedetect.detectors.haar import HaarCascadeDetector

        return HaarCascadeDetector(**options)
    if kind == "haar-multi":
        from facedetect.detectors.haar_multi import MultiCascadeDetector

        return MultiCascadeDetector(**options)
    if kind == "yunet":
        from facedetect.detectors.yunet import YuNetDetector

        model = yunet_model or find_model("yunet")
        if not model:
            raise InvalidInput("The yunet detector needs a model: run 'facedetect models download yunet', "
                               "or give its path (FACEDETECT_YUNET_MODEL, --yunet-model).")
        if options.pop("small_faces", False):
            from facedetect.detectors.yunet_small import SmallFacesYuNet

            return SmallFacesYuNet.wrapping(YuNetDetector(model, **options))
        return YuNetDetector(model, **options)
    raise InvalidInput(f"Unknown detector {kind!r}; choose one of: {', '.join(DETECTORS)}.")
