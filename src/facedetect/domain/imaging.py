"""Decoding image bytes into pixels, safely.

The format is decided by magic bytes (:mod:`facedetect.domain.formats`). Pillow parses the
header lazily, so the byte and pixel limits are enforced *before* any bitmap is allocated:
a 1 MB PNG that declares 30000x30000 pixels is rejected without decoding it. Truncated files
are errors, not half-grey pictures. EXIF orientation is applied, as ``cv2.imread`` does, so
boxes refer to the image as a person sees it.

:func:`probe` reads only the header (size after EXIF orientation), so the work of a detection can
be planned before decoding; :func:`decode` with ``size`` then decodes straight to that smaller
size: a JPEG in libjpeg's draft mode (DCT scaling by 1/2, 1/4 or 1/8, never below ``size``), any
other format in full; then an exact ``INTER_AREA`` resize, the full-size buffer freed at once.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from facedetect.domain.formats import ImageFormat, sniff
from facedetect.errors import ImageTooLarge, InvalidImage, UnsupportedImageFormat

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_PIXELS = 50_000_000
_EXIF_ORIENTATION = 0x0112
_SWAPS_AXES = (5, 6, 7, 8)  # EXIF orientations that turn the picture by 90 degrees


@dataclass(frozen=True, slots=True)
class ImageLimits:
    """Bounds on accepted input: encoded size in bytes and decoded size in pixels."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS


@dataclass(frozen=True, slots=True)
class DecodedImage:
    """Pixels (BGR, ``uint8``, OpenCV's layout) plus what the bytes were."""

    pixels: npt.NDArray[np.uint8]
    format: ImageFormat
    full_size: tuple[int, int] | None = None

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def full_width(self) -> int:
        """Width of the picture before any shrinking (after EXIF orientation)."""
        return self.full_size[0] if self.full_size else self.width

    @property
    def full_height(self) -> int:
        """Height of the picture before any shrinking (after EXIF orientation)."""
        return self.full_size[1] if self.full_size else self.height


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """What the header says: the format and the pixel size as a person sees it (EXIF applied)."""

    format: ImageFormat
    width: int
    height: int


def identify(data: bytes, limits: ImageLimits = ImageLimits()) -> ImageFormat:
    """Check size and format of ``data`` without decoding it.

    Raises
    ------
    InvalidImage
        Empty input, or bytes that are not an image.
    UnsupportedImageFormat
        A recognised image format facedetect does not accept (GIF, HEIC ...).
    ImageTooLarge
        More bytes than ``limits.max_bytes``.
    """
    if not data:
        raise InvalidImage("The image is empty (0 bytes).")
    if len(data) > limits.max_bytes:
        raise ImageTooLarge(
            f"The image is {len(data):,} bytes; the limit is {limits.max_bytes:,} bytes."
        )
    found = sniff(data)
    if found is None:
        raise InvalidImage("The data is not an image (expected JPEG, PNG, WebP, BMP or TIFF).")
    if isinstance(found, str):
        raise UnsupportedImageFormat(
            f"{found} images are not supported; send JPEG, PNG, WebP, BMP or TIFF."
        )
    return found


def probe(data: bytes, limits: ImageLimits = ImageLimits()) -> ImageInfo:
    """Format and size of ``data`` (after EXIF orientation) from its header, without decoding pixels.

    Raises
    ------
    InvalidImage, UnsupportedImageFormat, ImageTooLarge
        As :func:`decode` for what the header shows (a corrupt body is found only by decoding).
    """
    fmt = identify(data, limits)
    with _opened(data, fmt, limits) as img:
        width, height = img.size
        # Pillow loads a whole PNG to look for an eXIf chunk after the pixels: only the header's is read.
        header_only = fmt.name == "PNG" and "exif" not in img.info
        if not header_only and _orientation(img) in _SWAPS_AXES:
            width, height = height, width
    return ImageInfo(fmt, width, height)


def decode(data: bytes, limits: ImageLimits = ImageLimits(), *, size: tuple[int, int] | None = None) -> DecodedImage:
    """Decode ``data`` into BGR pixels, enforcing ``limits`` before allocating the bitmap.

    Parameters
    ----------
    size
        ``(width, height)`` to shrink the picture (as a person sees it) to, with ``INTER_AREA``;
        JPEGs are decoded in draft mode at the smallest DCT scale not below it. ``None``, or a
        size not smaller than the image, decodes at full size.

    Raises
    ------
    InvalidImage, UnsupportedImageFormat, ImageTooLarge
        As :func:`identify`, plus ``InvalidImage`` for corrupt or truncated data and
        ``ImageTooLarge`` when the declared size exceeds ``limits.max_pixels``.
    """
    fmt = identify(data, limits)
    from PIL import ImageOps

    # No warnings.catch_warnings() here: it swaps process-global state and races between threads.
    # Pillow's UserWarnings about damaged metadata reach the caller; the CLI silences them.
    try:
        with _opened(data, fmt, limits) as opened:
            img = opened
            stored = img.size
            if size is not None and fmt.name == "JPEG":  # a JPEG's EXIF is in its header: known before load
                turned = _orientation(img) in _SWAPS_AXES
                img.draft(img.mode, (size[1], size[0]) if turned else size)
            img.load()
            orientation = _orientation(img)
            full = (stored[1], stored[0]) if orientation in _SWAPS_AXES else stored
            if size is None:
                if orientation != 1:  # transposing copies: only when needed
                    img = ImageOps.exif_transpose(img)
                return DecodedImage(_to_bgr(img), fmt, full)
            if (size[0] < size[1]) != (full[0] < full[1]):
                size = (size[1], size[0])  # the orientation was found only after loading (a PNG's late eXIf)
            # Shrink first, then turn the small array: no full-size turned copy.
            shrunk = _to_bgr(img, (size[1], size[0]) if orientation in _SWAPS_AXES else size)
            return DecodedImage(_oriented(shrunk, orientation), fmt, full)
    except (ImageTooLarge, InvalidImage):
        raise
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, KeyError) as exc:
        raise InvalidImage(_describe_corruption(fmt, exc)) from None
    except MemoryError:
        raise ImageTooLarge("The image is too large to decode in the memory available.") from None


@contextmanager
def _opened(data: bytes, fmt: ImageFormat, limits: ImageLimits) -> Iterator[Any]:
    """Pillow's lazily opened image of ``data``, its declared size checked against ``limits``."""
    from PIL import Image

    try:
        img = Image.open(io.BytesIO(data), formats=[fmt.name])
    except Image.DecompressionBombError as exc:  # Pillow's own guard fires in open() for giant headers
        declared = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(declared.group(1)):,} pixels" if declared else "more pixels than Pillow decodes"
        raise ImageTooLarge(f"The image declares {size}; the limit is {limits.max_pixels:,} pixels.") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, KeyError) as exc:
        raise InvalidImage(_describe_corruption(fmt, exc)) from None
    with img:
        _check_pixels(img.width, img.height, limits)
        yield img


def _oriented(pixels: npt.NDArray[np.uint8], orientation: int) -> npt.NDArray[np.uint8]:
    """``pixels`` turned and flipped as EXIF ``orientation`` says (what ``ImageOps.exif_transpose`` does)."""
    import numpy as np

    turns: dict[int, Any] = {
        2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
        5: lambda a: a.swapaxes(0, 1), 6: lambda a: a.swapaxes(0, 1)[:, ::-1],
        7: lambda a: a[::-1, ::-1].swapaxes(0, 1), 8: lambda a: a.swapaxes(0, 1)[::-1],
    }
    turn = turns.get(orientation)
    return pixels if turn is None else cast("npt.NDArray[np.uint8]", np.ascontiguousarray(turn(pixels)))


def _orientation(img: Any) -> int:
    try:
        return int(img.getexif().get(_EXIF_ORIENTATION, 1))
    except (TypeError, ValueError):
        return 1


def _check_pixels(width: int, height: int, limits: ImageLimits) -> None:
    if width <= 0 or height <= 0:
        raise InvalidImage(f"The image declares an impossible size of {width}x{height} pixels.")
    if width * height > limits.max_pixels:
        raise ImageTooLarge(
            f"The image is {width}x{height} = {width * height:,} pixels; "
            f"the limit is {limits.max_pixels:,} pixels."
        )


def _describe_corruption(fmt: ImageFormat, exc: BaseException) -> str:
    text = str(exc).lower()
    if "truncated" in text or isinstance(exc, EOFError):
        return f"The {fmt.name} image is truncated: the file ends before the picture does."
    return f"The {fmt.name} image is corrupt and cannot be decoded."


def _to_bgr(img: object, size: tuple[int, int] | None = None) -> npt.NDArray[np.uint8]:
    """Convert any Pillow image mode to an 8-bit BGR array, as ``cv2.imdecode`` returns.

    Consumes ``img``: its pixel buffer is released as soon as the array holds them, so at most
    two full-size buffers are alive at once (this bounds the peak memory of large photos). With
    ``size`` (smaller than the image) the array is shrunk to it before the colour conversion.
    """
    import cv2
    import numpy as np
    from PIL import Image

    assert isinstance(img, Image.Image)
    if img.mode == "RGB":
        rgb = np.asarray(img)
        img.close()
    elif img.mode in ("L", "RGBA", "LA", "P", "PA", "CMYK", "YCbCr", "1"):
        converted = img.convert("RGB")
        img.close()
        rgb = np.asarray(converted)
        converted.close()
    else:  # 16/32-bit integer modes keep their high byte, as cv2.imdecode does; floats are scaled.
        arr = np.asarray(img)
        if arr.dtype.kind in "iu":
            arr = (np.clip(arr, 0, 65535) >> 8).astype(np.uint8)
        elif arr.dtype != np.uint8:
            span = float(arr.max() - arr.min()) or 1.0
            arr = ((arr - arr.min()) * (255.0 / span)).astype(np.uint8)
        rgb = np.ascontiguousarray(np.stack([arr] * 3, axis=-1) if arr.ndim == 2 else arr[..., :3])
    if size is not None and (size[0] < rgb.shape[1] or size[1] < rgb.shape[0]):
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)  # the full-size array is freed here
    return cast("npt.NDArray[np.uint8]", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
