"""Image formats, told apart by their magic bytes (never by file name or declared content type)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ImageFormat:
    """A format facedetect accepts: its Pillow name, media type and file extension."""

    name: str
    media_type: str
    extension: str


JPEG = ImageFormat("JPEG", "image/jpeg", ".jpg")
PNG = ImageFormat("PNG", "image/png", ".png")
WEBP = ImageFormat("WEBP", "image/webp", ".webp")
BMP = ImageFormat("BMP", "image/bmp", ".bmp")
TIFF = ImageFormat("TIFF", "image/tiff", ".tiff")

SUPPORTED: tuple[ImageFormat, ...] = (JPEG, PNG, WEBP, BMP, TIFF)
_BY_MEDIA_TYPE = {f.media_type: f for f in SUPPORTED}

# Recognisable images we do not accept: named in the 415 message instead of "not an image".
_UNSUPPORTED_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"8BPS", "PSD"),
    (b"\xff\x0a", "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL"),
    (b"%PDF-", "PDF"),
)
_HEIF_BRANDS = {b"heic": "HEIC", b"heix": "HEIC", b"mif1": "HEIF", b"msf1": "HEIF", b"avif": "AVIF"}


def sniff(data: bytes) -> ImageFormat | str | None:
    """Identify ``data`` by its first bytes.

    Returns
    -------
    ImageFormat | str | None
        The supported format; the name of a recognised but unsupported format; or ``None``
        when the bytes do not look like any image.
    """
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"BM") and len(data) >= 26:
        return BMP
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return TIFF
    for signature, name in _UNSUPPORTED_SIGNATURES:
        if head.startswith(signature):
            return name
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return _HEIF_BRANDS[head[8:12]]
    return None


def extension_for(media_type: str) -> str:
    """The file extension (with dot) for a supported media type; ``.bin`` for anything else."""
    fmt = _BY_MEDIA_TYPE.get(media_type)
    return fmt.extension if fmt else ".bin"


def format_for_media_type(media_type: str) -> ImageFormat | None:
    """The supported format with this media type, if any."""
    return _BY_MEDIA_TYPE.get(media_type)
