"""Decoding (core/imaging.py): formats, EXIF orientation, limits, and typed errors for bad input."""

from __future__ import annotations

import tracemalloc

import cv2
import numpy as np
import pytest
from PIL import Image
from support import imagegen

from facedetect.domain import formats
from facedetect.domain.imaging import ImageLimits, decode
from facedetect.errors import FaceDetectError, ImageTooLarge, InvalidImage, UnsupportedImageFormat

SMALL = imagegen.astronaut()[100:220, 150:310]  # 120 x 160, not square


@pytest.mark.parametrize(
    ("ext", "fmt"),
    [(".jpg", formats.JPEG), (".png", formats.PNG), (".webp", formats.WEBP), (".bmp", formats.BMP),
     (".tiff", formats.TIFF)],
)
def test_each_format_decodes_to_its_size_and_media_type(ext: str, fmt: formats.ImageFormat) -> None:
    decoded = decode(imagegen.encode(SMALL, ext))
    assert (decoded.width, decoded.height) == (160, 120)
    assert decoded.format is fmt
    assert decoded.pixels.shape == (120, 160, 3)
    assert decoded.pixels.dtype == np.uint8


@pytest.mark.parametrize("ext", [".png", ".bmp", ".tiff"])
def test_lossless_formats_decode_to_the_exact_bgr_pixels(ext: str) -> None:
    np.testing.assert_array_equal(decode(imagegen.encode(SMALL, ext)).pixels, SMALL)


def test_jpeg_decodes_like_opencv() -> None:
    data = imagegen.jpeg(SMALL)
    ours = decode(data).pixels
    theirs = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert np.abs(ours.astype(int) - theirs.astype(int)).max() <= 2


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "LA", "I;16", "CMYK", "1"])
def test_every_pillow_mode_becomes_three_channel_uint8(mode: str) -> None:
    import io

    fmt = "TIFF" if mode in ("CMYK", "I;16") else "PNG"
    rgb = Image.fromarray(np.ascontiguousarray(SMALL[:, :, ::-1]))
    buf = io.BytesIO()
    rgb.convert(mode).save(buf, fmt)
    decoded = decode(buf.getvalue())
    assert decoded.pixels.shape == (120, 160, 3)
    assert decoded.pixels.dtype == np.uint8
    if mode == "L":  # grey input: all three channels equal the grey values
        grey = np.asarray(rgb.convert("L"))
        for channel in range(3):
            np.testing.assert_array_equal(decoded.pixels[:, :, channel], grey)


def test_the_format_comes_from_the_bytes_not_the_callers_idea() -> None:
    png = imagegen.png(SMALL)
    assert decode(png).format is formats.PNG
    # JPEG magic followed by a PNG body is not a JPEG, and not silently a PNG either.
    with pytest.raises(InvalidImage, match="JPEG"):
        decode(b"\xff\xd8\xff" + png[3:])


@pytest.mark.parametrize(("orientation", "quarter_turns"), [(6, -1), (8, 1), (3, 2)])
def test_exif_orientation_is_applied(orientation: int, quarter_turns: int) -> None:
    upright = decode(imagegen.jpeg_with_orientation(SMALL, None)).pixels
    turned = decode(imagegen.jpeg_with_orientation(SMALL, orientation)).pixels
    expected_shape = (160, 120, 3) if orientation in (6, 8) else (120, 160, 3)
    assert turned.shape == expected_shape
    # np.rot90 with k=-1 turns clockwise, which is what Orientation=6 asks a viewer to do.
    np.testing.assert_array_equal(turned, np.rot90(upright, quarter_turns))


def test_exif_orientation_1_changes_nothing() -> None:
    a = decode(imagegen.jpeg_with_orientation(SMALL, None)).pixels
    b = decode(imagegen.jpeg_with_orientation(SMALL, 1)).pixels
    np.testing.assert_array_equal(a, b)


# --- bad input ----------------------------------------------------------------------------


def test_random_bytes_are_not_an_image() -> None:
    data = np.random.default_rng(3).bytes(4096)
    with pytest.raises(InvalidImage, match=r"not an image \(expected JPEG, PNG, WebP, BMP or TIFF\)"):
        decode(data)


def test_zero_bytes_are_an_empty_image() -> None:
    with pytest.raises(InvalidImage, match=r"empty \(0 bytes\)"):
        decode(b"")


def test_a_text_file_is_not_an_image() -> None:
    with pytest.raises(InvalidImage, match="not an image"):
        decode(b"#!/bin/sh\necho 'this is a shell script, not a picture'\n")


def test_gif_is_unsupported_and_named() -> None:
    gif = imagegen.pil_encode(SMALL, "GIF")
    assert gif.startswith(b"GIF8")
    with pytest.raises(UnsupportedImageFormat, match="GIF images are not supported"):
        decode(gif)


JPEG = imagegen.jpeg(SMALL)
PNG = imagegen.png(SMALL)


@pytest.mark.parametrize("fraction", [0.0, 0.02, 0.1, 0.5, 0.9, 0.99])
@pytest.mark.parametrize(("name", "data"), [("JPEG", JPEG), ("PNG", PNG)])
def test_truncated_images_are_invalid(name: str, data: bytes, fraction: float) -> None:
    # Cut inside the header (just after the magic) up to just before the end of the pixel data.
    cut = max(len(data) * fraction, 4 if name == "JPEG" else 9)
    with pytest.raises(InvalidImage, match=f"The {name} image is (truncated|corrupt)") as info:
        decode(data[: int(cut)])
    assert "\n" not in info.value.message


@pytest.mark.parametrize("fraction", [0.3, 0.6, 0.95])
def test_truncation_inside_the_pixel_data_says_truncated(fraction: float) -> None:
    for data, name in ((JPEG, "JPEG"), (PNG, "PNG")):
        with pytest.raises(InvalidImage, match=f"The {name} image is truncated"):
            decode(data[: int(len(data) * fraction)])


def test_over_max_bytes_is_too_large_before_decoding() -> None:
    with pytest.raises(ImageTooLarge, match=f"{len(PNG):,} bytes; the limit is 1,000 bytes"):
        decode(PNG, ImageLimits(max_bytes=1000))
    assert decode(PNG, ImageLimits(max_bytes=len(PNG))).width == 160  # the limit itself is accepted


def test_over_max_pixels_is_too_large() -> None:
    with pytest.raises(ImageTooLarge, match=r"160x120 = 19,200 pixels; the limit is 19,199 pixels"):
        decode(PNG, ImageLimits(max_pixels=19_199))
    assert decode(PNG, ImageLimits(max_pixels=19_200)).height == 120


def _pillow_allocations() -> tuple[int, int]:
    stats = Image.core.get_stats()  # Pillow's own image-memory allocator (not seen by tracemalloc)
    return stats["new_count"], stats["allocated_blocks"]


def test_pillow_allocation_probe_sees_a_real_decode() -> None:
    # The control for the bomb test: decoding does show up in Pillow's allocator statistics.
    before = _pillow_allocations()
    decode(PNG)
    after = _pillow_allocations()
    assert after[0] > before[0]


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize(("width", "height", "limit"),
                         [(30000, 30000, None), (12000, 12000, None), (9000, 9000, None), (3000, 2000, 10**6)])
def test_decompression_bomb_is_rejected_without_allocating_the_bitmap(width: int, height: int,
                                                                       limit: int | None) -> None:
    bomb = imagegen.png_bomb(width, height)
    limits = ImageLimits(max_pixels=limit) if limit else ImageLimits()
    assert len(bomb) < 2_000_000  # a small file ...
    before = _pillow_allocations()
    tracemalloc.start()
    try:
        with pytest.raises(ImageTooLarge, match="pixels") as info:
            decode(bomb, limits)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert _pillow_allocations() == before  # ... whose bitmap Pillow never allocated
    assert peak < width * height // 10  # and Python/NumPy allocated next to nothing
    assert f"{limits.max_pixels:,}" in info.value.message


def test_errors_are_facedetect_errors_with_one_line_messages() -> None:
    for bad in (b"", b"\x00" * 100, JPEG[:200], PNG[:100], imagegen.pil_encode(SMALL, "GIF"), imagegen.png_bomb()):
        with pytest.raises(FaceDetectError) as info:
            decode(bad)
        assert info.value.message and "\n" not in info.value.message
        assert type(info.value) in (InvalidImage, UnsupportedImageFormat, ImageTooLarge)
