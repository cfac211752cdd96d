"""Property tests: decoding any bytes either succeeds or raises one of the three input errors."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st
from support import imagegen

from facedetect.domain.imaging import DecodedImage, ImageLimits, decode
from facedetect.errors import ImageTooLarge, InvalidImage, UnsupportedImageFormat

ALLOWED = (InvalidImage, UnsupportedImageFormat, ImageTooLarge)
# Small pixel limit: a corrupted header may declare a big image, and we only care about robustness.
LIMITS = ImageLimits(max_bytes=1_000_000, max_pixels=2_000_000)

MAGIC = [
    b"\xff\xd8\xff", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", b"\x89PNG\r\n\x1a\n", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"RIFF\x00\x01\x00\x00WEBPVP8 ", b"RIFF\x00\x01\x00\x00WEBPVP8L", b"BM", b"II*\x00", b"MM\x00*", b"II+\x00",
    b"GIF89a", b"\x00\x00\x00\x18ftypheic",
]

_TILE = imagegen.astronaut()[150:198, 180:244]  # 48 x 64, includes part of the face
REAL_IMAGES = [imagegen.encode(_TILE, ext) for ext in (".jpg", ".png", ".webp", ".bmp", ".tiff")] + [
    imagegen.jpeg_with_orientation(_TILE, 6),
    imagegen.pil_encode(_TILE, "PNG", optimize=True),
    imagegen.pil_encode(_TILE, "TIFF", compression="tiff_lzw"),
    imagegen.pil_encode(_TILE, "WEBP", lossless=True),
    imagegen.pil_encode(_TILE, "JPEG", progressive=True),
]


def _decode_or_typed_error(data: bytes) -> None:
    try:
        decoded = decode(data, LIMITS)
    except ALLOWED as exc:
        assert exc.message
        assert "\n" not in exc.message
        return
    assert isinstance(decoded, DecodedImage)
    assert decoded.pixels.dtype == np.uint8
    assert decoded.pixels.ndim == 3 and decoded.pixels.shape[2] == 3
    assert decoded.width > 0 and decoded.height > 0
    assert decoded.width * decoded.height <= LIMITS.max_pixels


@given(st.binary(max_size=4096))
def test_arbitrary_bytes(data: bytes) -> None:
    _decode_or_typed_error(data)


@given(st.sampled_from(MAGIC), st.binary(max_size=2048))
def test_arbitrary_bytes_after_a_real_magic_number(magic: bytes, tail: bytes) -> None:
    _decode_or_typed_error(magic + tail)


@st.composite
def corrupted_images(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(REAL_IMAGES)))
    for _ in range(draw(st.integers(1, 6))):
        action = draw(st.sampled_from(["flip", "set", "truncate", "insert", "delete"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if action == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif action == "set" and data:
            data[pos] = draw(st.integers(0, 255))
        elif action == "truncate":
            del data[pos:]
        elif action == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif action == "delete":
            del data[pos:pos + draw(st.integers(1, 16))]
    return bytes(data)


@settings(max_examples=300)
@given(corrupted_images())
@example(REAL_IMAGES[0][: len(REAL_IMAGES[0]) // 2])
@example(REAL_IMAGES[1][:40])
def test_randomly_corrupted_real_images(data: bytes) -> None:
    _decode_or_typed_error(data)


@given(st.sampled_from(REAL_IMAGES))
def test_the_uncorrupted_originals_decode(data: bytes) -> None:
    decoded = decode(data, LIMITS)
    assert {decoded.width, decoded.height} == {64, 48}
