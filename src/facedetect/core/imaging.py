"""Decoding image bytes into pixels, safely.

The format is decided by magic bytes (:mod:`facedetect.core.formats`). Pillow parses the
header lazily, so the byte and pixel limits are enforced *before* any bitmap is allocated:
a 1 MB PNG that declares 30000x30000 pixels is rejected without decoding it. Truncated files
are errors, not half-grey pictures. EXIF orientation is applied, as ``cv2.imread`` does, so
boxes refer to the image as a person sees it.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from facedetect.core.formats import ImageFormat, sniff
from facedetect.errors import ImageTooLarge, InvalidImage, UnsupportedImageFormat

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_PIXELS = 50_000_000
_EXIF_ORIENTATION = 0x0112


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

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


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


def decode(data: bytes, limits: ImageLimits = ImageLimits()) -> DecodedImage:
    """Decode ``data`` into BGR pixels, enforcing ``limits`` before allocating the bitmap.

    Raises
    ------
    InvalidImage, UnsupportedImageFormat, ImageTooLarge
        As :func:`identify`, plus ``InvalidImage`` for corrupt or truncated data and
        ``ImageTooLarge`` when the declared size exceeds ``limits.max_pixels``.
    """
    fmt = identify(data, limits)
    from PIL import Image, ImageOps

    # No warnings.catch_warnings() here: it swaps process-global state and races between threads.
    # Pillow's UserWarnings about damaged metadata reach the caller; the CLI silences them.
    try:
        img: Image.Image = Image.open(io.BytesIO(data), formats=[fmt.name])
        _check_pixels(img.width, img.height, limits)
        img.load()
        if img.getexif().get(_EXIF_ORIENTATION, 1) != 1:  # transposing copies: only when needed
            img = ImageOps.exif_transpose(img)
        return DecodedImage(_to_bgr(img), fmt)
    except (ImageTooLarge, InvalidImage):
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own guard fires in open() for giant headers
        declared = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(declared.group(1)):,} pixels" if declared else "more pixels than Pillow decodes"
        raise ImageTooLarge(f"The image declares {size}; the limit is {limits.max_pixels:,} pixels.") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, KeyError) as exc:
        raise InvalidImage(_describe_corruption(fmt, exc)) from None
    except MemoryError:
        raise ImageTooLarge("The image is too large to decode in the memory available.") from None


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


def _to_bgr(img: object) -> npt.NDArray[np.uint8]:
    """Convert any Pillow image mode to an 8-bit BGR array, as ``cv2.imdecode`` returns.

    Consumes ``img``: its pixel buffer is released as soon as the array holds them, so at most
    two full-size buffers are alive at once (this bounds the peak memory of large photos).
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
    return cast("npt.NDArray[np.uint8]", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
