"""Test images made on the fly: no file from ../shared is needed by the core tests.

``astronaut()`` is scikit-image's public-domain portrait of Eileen Collins (one frontal
face). Composites paste it at several positions and scales on a plain background, so
tests have images with several faces of known rough location.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np


@lru_cache(maxsize=1)
def astronaut() -> np.ndarray:
    """The 512x512 astronaut as a BGR uint8 array (read-only: copy before changing it)."""
    from skimage import data

    image = np.ascontiguousarray(data.astronaut()[:, :, ::-1])
    image.setflags(write=False)
    return image


def composite(placements: list[tuple[int, int, float]], size: tuple[int, int] = (900, 1200),
              background: int = 128) -> np.ndarray:
    """A BGR canvas of ``size`` (height, width) with the astronaut pasted at ``(x, y, scale)`` each."""
    canvas = np.full((*size, 3), background, np.uint8)
    for x, y, scale in placements:
        tile = cv2.resize(astronaut(), None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        h = min(tile.shape[0], size[0] - y)
        w = min(tile.shape[1], size[1] - x)
        canvas[y:y + h, x:x + w] = tile[:h, :w]
    return canvas


def group() -> np.ndarray:
    """Three astronauts at different scales: a composite with three faces."""
    return composite([(0, 0, 0.6), (380, 80, 0.8), (820, 300, 0.7)])


def shapes() -> np.ndarray:
    """Drawn rectangles and circles on white: an image with no faces."""
    canvas = np.full((300, 400, 3), 255, np.uint8)
    cv2.rectangle(canvas, (20, 20), (180, 140), (0, 0, 255), -1)
    cv2.circle(canvas, (280, 180), 70, (255, 0, 0), -1)
    cv2.line(canvas, (0, 299), (399, 0), (0, 128, 0), 5)
    return canvas


def noise(height: int = 240, width: int = 320, seed: int = 0) -> np.ndarray:
    """Uniform random pixels."""
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def encode(image: np.ndarray, ext: str = ".jpg", params: list[int] | None = None) -> bytes:
    """Encode with OpenCV (``.jpg``, ``.png``, ``.webp``, ``.bmp``, ``.tiff``)."""
    ok, buf = cv2.imencode(ext, image, params or [])
    assert ok, ext
    return buf.tobytes()


def jpeg(image: np.ndarray | None = None, quality: int = 92) -> bytes:
    return encode(astronaut() if image is None else image, ".jpg", [cv2.IMWRITE_JPEG_QUALITY, quality])


def png(image: np.ndarray | None = None) -> bytes:
    return encode(astronaut() if image is None else image, ".png")


def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A small PNG whose header declares ``width`` x ``height`` pixels (a decompression bomb)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    row = b"\x00" + b"\x00" * width
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(min(height, 2000))) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def pil_encode(image: np.ndarray, fmt: str, **save_options: object) -> bytes:
    """Encode a BGR array with Pillow (``"JPEG"``, ``"PNG"``, ``"GIF"`` ...), passing ``save_options``."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image[:, :, ::-1])).save(buf, fmt, **save_options)
    return buf.getvalue()


def jpeg_with_orientation(image: np.ndarray, orientation: int | None, quality: int = 90) -> bytes:
    """A Pillow JPEG of ``image`` carrying EXIF Orientation ``orientation`` (no EXIF when ``None``).

    The compressed pixels do not depend on the tag, so two calls differing only in
    ``orientation`` decode to the same stored pixels.
    """
    from PIL import Image

    options: dict[str, object] = {"quality": quality}
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation  # Orientation
        options["exif"] = exif.tobytes()
    return pil_encode(image, "JPEG", **options)


def variants(count: int, size: int = 96, seed: int = 0) -> list[bytes]:
    """``count`` distinct small PNGs: astronaut crops at different offsets, resized, with a unique pixel.

    Cheap to detect (``size`` x ``size``) yet real photographic content; no two are byte-equal.
    """
    rng = np.random.default_rng(seed)
    base = astronaut()
    out = []
    for i in range(count):
        side = int(rng.integers(200, 400))
        x = int(rng.integers(0, 512 - side + 1))
        y = int(rng.integers(0, 512 - side + 1))
        tile = cv2.resize(base[y:y + side, x:x + side], (size, size), interpolation=cv2.INTER_AREA)
        tile[0, 0] = (i % 256, (i // 256) % 256, 7)  # makes every variant's bytes unique
        out.append(png(tile))
    return out
