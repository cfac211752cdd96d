"""Hiding faces in an image: blur, pixelate or fill each face box, and nothing else.

Only the pixels of each box, widened by a margin (:data:`MARGIN`, a fraction of the box size
on each side), change. The output has the input's format and its *stored* orientation: the
boxes (found on the image as a person sees it, EXIF orientation applied) are redacted on the
oriented pixels, which are then turned back, so every pixel outside the boxes is bit-identical
to the input's for the lossless formats (PNG, BMP, TIFF, lossless WebP). JPEG and lossy WebP
are re-encoded: JPEG with the input's own quantisation tables and chroma subsampling (the
quality it was saved at), lossy WebP at quality 90.

Metadata that could identify the person is not copied: of EXIF only the orientation tag is
kept (thumbnails, GPS and comments are dropped); the ICC colour profile is kept.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from facedetect.domain.imaging import ImageLimits, identify
from facedetect.domain.model import BoundingBox, Face
from facedetect.errors import InvalidImage, InvalidInput

if TYPE_CHECKING:
    import numpy.typing as npt
    from PIL import Image

Style = Literal["blur", "pixelate", "fill"]
STYLES: tuple[Style, ...] = ("blur", "pixelate", "fill")
DEFAULT_STYLE: Style = "blur"
#: Widening of each box on every side, as a fraction of the box's width (x) and height (y).
MARGIN = 0.1
#: Blocks across the longer side of a box when pixelating (fewer, larger blocks hide more).
PIXELATE_BLOCKS = 6
_EXIF_ORIENTATION = 0x0112
_WEBP_LOSSY_QUALITY = 90
#: Colour channels of the modes with an alpha channel (the alpha is never touched).
_COLOUR_CHANNELS = {"RGBA": 3, "LA": 1}
#: Black in CMYK (the only four-channel mode without alpha).
_BLACK_CMYK = (0, 0, 0, 255)
#: Pillow's transposition for each EXIF orientation, and the one that undoes it.
_UNDO = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE",
         6: "ROTATE_90", 7: "TRANSVERSE", 8: "ROTATE_270"}


@dataclass(frozen=True, slots=True)
class RedactedImage:
    """The redacted, re-encoded image and the faces that were hidden."""

    data: bytes
    media_type: str
    faces: tuple[Face, ...]


def check_style(style: str) -> Style:
    """Return ``style`` if it is one of :data:`STYLES`; raise ``InvalidInput`` otherwise."""
    for known in STYLES:
        if style == known:
            return known
    raise InvalidInput(f"Unknown redaction style {style!r}; choose one of: {', '.join(STYLES)}.")


def redaction_region(box: BoundingBox, image_width: int, image_height: int) -> tuple[int, int, int, int]:
    """The pixels that change for ``box``: ``(x1, y1, x2, y2)``, the box widened by :data:`MARGIN`, clipped."""
    dx, dy = round(box.width * MARGIN), round(box.height * MARGIN)
    return (max(0, box.x - dx), max(0, box.y - dy),
            min(image_width, box.x + box.width + dx), min(image_height, box.y + box.height + dy))


def redact_faces(data: bytes, faces: Sequence[Face], *, style: str = DEFAULT_STYLE,
                 limits: ImageLimits | None = None) -> RedactedImage:
    """Hide ``faces`` (boxes in oriented-image pixels, as detection returns them) in the image ``data``.

    Raises
    ------
    InvalidInput
        An unknown style.
    InvalidImage, UnsupportedImageFormat, ImageTooLarge
        As :func:`facedetect.domain.imaging.decode`.
    """
    chosen = check_style(style)
    fmt = identify(data, limits or ImageLimits())
    from PIL import Image, ImageOps

    try:
        source = Image.open(io.BytesIO(data), formats=[fmt.name])
        source.load()
    except Exception as exc:  # the detector decoded these bytes already; this is a safety net
        raise InvalidImage(f"The {fmt.name} image cannot be decoded for redaction.") from exc
    orientation = int(source.getexif().get(_EXIF_ORIENTATION, 1) or 1)
    working = _editable(source)
    if orientation in _UNDO:
        working = ImageOps.exif_transpose(working)
    pixels = _array(working)
    colour = _COLOUR_CHANNELS.get(working.mode)
    for face in faces:
        _hide(pixels, redaction_region(face.box, working.width, working.height), chosen, colour)
    result = Image.fromarray(pixels, mode=working.mode)
    if orientation in _UNDO:
        result = result.transpose(getattr(Image.Transpose, _UNDO[orientation]))
    encoded = _encode(result, source, fmt.name, orientation, webp_lossless=_webp_is_lossless(data))
    return RedactedImage(data=encoded, media_type=fmt.media_type, faces=tuple(faces))


def _editable(image: Image.Image) -> Image.Image:
    """The image in a mode whose pixels are plain ``uint8`` channels (or 16-bit grey)."""
    if image.mode in ("L", "LA", "RGB", "RGBA", "I;16", "CMYK"):
        return image
    if image.mode in ("P", "PA"):
        return image.convert("RGBA" if "transparency" in image.info or image.mode == "PA" else "RGB")
    if image.mode == "1":
        return image.convert("L")
    return image.convert("RGB")


def _array(image: Image.Image) -> npt.NDArray[Any]:
    import numpy as np

    return np.array(image)  # a writable copy


def _hide(pixels: npt.NDArray[Any], region: tuple[int, int, int, int], style: Style,
          colour_channels: int | None) -> None:
    """Overwrite ``region`` of ``pixels`` in place; channels past ``colour_channels`` (alpha) are kept."""
    import cv2
    import numpy as np

    x1, y1, x2, y2 = region
    if x2 <= x1 or y2 <= y1:
        return
    patch = pixels[y1:y2, x1:x2] if colour_channels is None else pixels[y1:y2, x1:x2, :colour_channels]
    height, width = patch.shape[:2]
    if style == "fill":
        patch[...] = _BLACK_CMYK if patch.ndim == 3 and patch.shape[2] == 4 else 0
        return
    source = np.ascontiguousarray(patch)
    if style == "pixelate":
        block = max(1, round(max(width, height) / PIXELATE_BLOCKS))
        small = cv2.resize(source, (max(1, round(width / block)), max(1, round(height / block))),
                           interpolation=cv2.INTER_AREA)
        hidden = cv2.resize(small, (width, height), interpolation=cv2.INTER_NEAREST)
    else:
        # Blur so strong the features merge: a box-size kernel, twice (close to a Gaussian).
        kernel = (max(3, width // 2 * 2 + 1), max(3, height // 2 * 2 + 1))
        hidden = cv2.blur(cv2.blur(source, kernel, borderType=cv2.BORDER_REPLICATE), kernel,
                          borderType=cv2.BORDER_REPLICATE)
    patch[...] = hidden.reshape(patch.shape)


def _encode(image: Image.Image, source: Image.Image, format_name: str, orientation: int, *,
            webp_lossless: bool) -> bytes:
    from PIL import Image as PILImage

    options: dict[str, Any] = {}
    icc = source.info.get("icc_profile")
    if icc:
        options["icc_profile"] = icc
    if orientation != 1:
        exif = PILImage.Exif()
        exif[_EXIF_ORIENTATION] = orientation
        options["exif"] = exif.tobytes()
    if format_name == "JPEG":
        from PIL import JpegImagePlugin

        quantization = getattr(source, "quantization", None)
        if quantization:
            options["qtables"] = quantization
            sampling = JpegImagePlugin.get_sampling(source)
            if sampling != -1:
                options["subsampling"] = sampling
        else:
            options["quality"] = 90
    elif format_name == "WEBP":
        options.update({"lossless": True, "quality": 100, "exact": True} if webp_lossless
                       else {"quality": _WEBP_LOSSY_QUALITY})
    elif format_name == "TIFF":
        compression = source.info.get("compression")
        if compression in ("tiff_lzw", "tiff_adobe_deflate", "packbits", "tiff_deflate"):
            options["compression"] = compression
    elif format_name == "PNG":
        options["optimize"] = False
    buffer = io.BytesIO()
    image.save(buffer, format=format_name, **options)
    return buffer.getvalue()


def _webp_is_lossless(data: bytes) -> bool:
    """Whether a WebP holds a lossless (``VP8L``) bitstream: walk the RIFF chunks after the header."""
    offset = 12
    while offset + 8 <= len(data):
        tag = data[offset:offset + 4]
        if tag in (b"VP8L", b"VP8 "):
            return tag == b"VP8L"
        size = int.from_bytes(data[offset + 4:offset + 8], "little")
        offset += 8 + size + (size & 1)
    return False
