"""The one-call library functions: ``detect_faces`` and ``redact``, on bytes, a path or pixels; nothing stored."""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING, Any, TypeAlias

from facedetect.detectors.cache import built_detector
from facedetect.detectors.models import find_model
from facedetect.domain.budget import DEFAULT_WORK_BUDGET_MP, plan_work
from facedetect.domain.imaging import ImageLimits, probe
from facedetect.domain.model import Face
from facedetect.domain.redaction import DEFAULT_STYLE, check_style, redact_faces
from facedetect.errors import InvalidImage, InvalidInput
from facedetect.service.detections import detect_as_planned

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

ImageInput: TypeAlias = "bytes | bytearray | memoryview | str | os.PathLike[str] | npt.NDArray[np.uint8]"


def detect_faces(
    image: ImageInput,
    *,
    detector: str = "haar",
    yunet_model: str | os.PathLike[str] | None = None,
    limits: ImageLimits | None = None,
    work_budget_mp: float | None = DEFAULT_WORK_BUDGET_MP,
    **options: Any,
) -> list[Face]:
    """Find the faces in one image, most confident first. Nothing is stored.

    Parameters
    ----------
    image
        Encoded image bytes, a path to an image file, or a BGR ``uint8`` array as
        ``cv2.imread`` returns (a 2-D array is taken as grey).
    detector
        ``"haar"`` (default, the reference system's detector), ``"haar-multi"`` (several cascades,
        more accurate) or ``"yunet"`` (a neural model, far more accurate).
    yunet_model
        Path of the YuNet ``.onnx`` model for ``detector="yunet"``; default: the model
        ``facedetect models download yunet`` cached.
    limits
        Byte and pixel bounds for encoded input (default 20 MiB, 50 MP).
    work_budget_mp
        Encoded images whose detection would cost more (pyramid megapixels, see
        :mod:`facedetect.domain.budget`) are decoded smaller to fit; boxes are in original pixels.
        ``None``: no bound. Pixel arrays are detected as given.
    **options
        Detector options, e.g. ``scale_factor=1.2, min_neighbors=3, max_dimension=1024``.

    Returns
    -------
    list[Face]
        Empty when there are no faces.

    Examples
    --------
    >>> from facedetect import detect_faces
    >>> faces = detect_faces("group.jpg")  # doctest: +SKIP
    >>> [f.box.to_xyxy() for f in faces]  # doctest: +SKIP
    """
    if limits is not None and not isinstance(limits, ImageLimits):
        raise InvalidInput(f"limits must be an ImageLimits, not {type(limits).__name__}.")
    if yunet_model is not None and not isinstance(yunet_model, str | os.PathLike):
        raise InvalidInput(f"yunet_model must be a path, not {type(yunet_model).__name__}.")
    model = os.fspath(yunet_model) if yunet_model is not None else None
    if detector == "yunet" and model is None:  # the cached model; resolved here, so the detector cache keys on it
        cached = find_model("yunet")
        model = str(cached) if cached is not None else None
    try:
        key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in options.items()))
        found = built_detector(detector, model, key)
    except TypeError as exc:  # unhashable option values, or options the detector does not take
        raise InvalidInput(f"Bad detector option: {exc}") from None
    limits = limits or ImageLimits()
    if isinstance(image, bytes | bytearray | memoryview | str | os.PathLike):
        data = _read(image, limits)
        info = probe(data, limits)
        plan = plan_work(found.name, found.parameters, info.width, info.height, work_budget_mp)
        return detect_as_planned(found, data, plan, limits)[0]
    return found.detect(_pixels(image))


def _read(image: bytes | bytearray | memoryview | str | os.PathLike[str], limits: ImageLimits) -> bytes:
    if isinstance(image, bytes | bytearray | memoryview):
        return bytes(image)
    try:
        if not stat.S_ISREG(os.stat(image).st_mode):  # a named pipe would block the read forever
            raise InvalidImage(f"Cannot read {os.fspath(image)!r}: not a regular file.")
        with open(image, "rb") as fh:
            return fh.read(limits.max_bytes + 1)
    except OSError as exc:
        raise InvalidImage(f"Cannot read {os.fspath(image)!r}: {exc.strerror}.") from None


def _pixels(image: object) -> npt.NDArray[np.uint8]:
    import numpy as np

    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim not in (2, 3) or (
        image.ndim == 3 and image.shape[2] != 3
    ) or 0 in image.shape:
        raise InvalidImage("Expected image bytes, a file path, or a non-empty uint8 BGR array of shape (h, w, 3).")
    return np.ascontiguousarray(image)


def redact(image: bytes, *, style: str = DEFAULT_STYLE, detector: str = "haar",
           yunet_model: str | os.PathLike[str] | None = None, limits: ImageLimits | None = None,
           **options: Any) -> bytes:
    """Find the faces in the encoded ``image`` and return it, same format, with every face hidden.

    Parameters
    ----------
    image
        Encoded image bytes (JPEG, PNG, WebP, BMP or TIFF).
    style
        ``"blur"`` (default), ``"pixelate"`` or ``"fill"`` (black).
    detector, yunet_model, limits, **options
        As :func:`facedetect.detect_faces`.

    Examples
    --------
    >>> from facedetect import redact
    >>> hidden = redact(open("group.png", "rb").read(), style="pixelate")  # doctest: +SKIP
    """
    check_style(style)
    data = bytes(image)
    faces = detect_faces(data, detector=detector, yunet_model=yunet_model, limits=limits, **options)
    return redact_faces(data, faces, style=style, limits=limits).data
