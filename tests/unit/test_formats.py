"""Format identification by magic bytes (core/formats.py) and the cheap checks of ``identify``."""

from __future__ import annotations

import pytest
from support import imagegen

from facedetect.domain import formats
from facedetect.domain.imaging import ImageLimits, identify
from facedetect.errors import ImageTooLarge, InvalidImage, UnsupportedImageFormat


@pytest.mark.parametrize(
    ("ext", "expected"),
    [(".jpg", formats.JPEG), (".png", formats.PNG), (".webp", formats.WEBP), (".bmp", formats.BMP),
     (".tiff", formats.TIFF)],
)
def test_sniff_recognises_each_supported_format(ext: str, expected: formats.ImageFormat) -> None:
    assert formats.sniff(imagegen.encode(imagegen.noise(16, 16), ext)) == expected


@pytest.mark.parametrize(
    ("head", "name"),
    [(b"GIF87a", "GIF"), (b"GIF89a", "GIF"), (b"%PDF-1.7", "PDF"), (b"8BPS\x00\x01", "PSD"),
     (b"\x00\x00\x00\x18ftypheic", "HEIC"), (b"\x00\x00\x00\x1cftypavif", "AVIF"), (b"\xff\x0a\x00", "JPEG XL")],
)
def test_known_unsupported_formats_are_named(head: bytes, name: str) -> None:
    data = head + b"\x00" * 64
    assert formats.sniff(data) == name
    with pytest.raises(UnsupportedImageFormat, match=name):
        identify(data)


@pytest.mark.parametrize(
    "data",
    [b"hello, world\n" * 8, b"RIFF\x10\x00\x00\x00WAVEfmt ", b"BM\x00\x00", b"\x89PNX\r\n\x1a\n" + b"\x00" * 32,
     b"{\"not\": \"an image\"}"],
)
def test_lookalikes_are_not_images(data: bytes) -> None:
    assert formats.sniff(data) is None
    with pytest.raises(InvalidImage, match="not an image"):
        identify(data)


def test_extension_and_media_type_lookups() -> None:
    for fmt in formats.SUPPORTED:
        assert formats.extension_for(fmt.media_type) == fmt.extension
        assert formats.format_for_media_type(fmt.media_type) is fmt
    assert formats.extension_for("image/gif") == ".bin"
    assert formats.format_for_media_type("text/plain") is None


def test_identify_checks_size_before_format() -> None:
    with pytest.raises(InvalidImage, match="empty"):
        identify(b"")
    with pytest.raises(ImageTooLarge, match="1,001 bytes; the limit is 1,000 bytes"):
        identify(b"x" * 1001, ImageLimits(max_bytes=1000))
    assert identify(imagegen.png(imagegen.noise(8, 8)), ImageLimits(max_bytes=10_000)) == formats.PNG
