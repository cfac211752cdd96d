"""Getting the image bytes out of a detection request's body.

Two forms are accepted: the raw image, sent as ``image/*`` or ``application/octet-stream``
(API Gateway delivers these binary media types base64-encoded with ``isBase64Encoded:
true``), and JSON ``{"image": "<base64>"}`` (``application/json`` or ``*/*+json``; a ``data:``
URL prefix and line breaks are tolerated). Any other ``Content-Type``, or none, is a 415
:class:`~facedetect.errors.UnsupportedMediaType`, on every transport. Behind API Gateway
such a body would arrive as text, its bytes mangled; and the three content types a web page
may send to another site without asking (``text/plain``, ``multipart/form-data``,
``application/x-www-form-urlencoded``, or none at all) cannot upload: a page on another
origin cannot store a photo through a local server.

Base64 is decoded here, never with Powertools' ``decoded_body``, which turns the bytes
into text and breaks binary uploads. Sizes are checked on the encoded text *before*
decoding, so an oversized body costs no decode.
"""

from __future__ import annotations

import base64
import binascii
import json

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from facedetect.errors import ImageTooLarge, InvalidInput, UnsupportedMediaType

#: Room for the JSON around the base64 image (braces, key, whitespace).
JSON_OVERHEAD_BYTES = 4096


def encoded_length(size: int) -> int:
    """Length of the base64 text of ``size`` bytes (with padding)."""
    return 4 * ((size + 2) // 3)


def media_type(content_type: str | None) -> str:
    """``"Image/JPEG; q=1"`` -> ``"image/jpeg"``; ``""`` when absent."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_json(content_type: str | None) -> bool:
    """Whether a Content-Type names JSON (``application/json`` or ``*/*+json``)."""
    found = media_type(content_type)
    return found == "application/json" or found.endswith("+json")


def is_binary_upload(content_type: str | None) -> bool:
    """Whether a Content-Type announces raw image bytes (``image/*`` or ``application/octet-stream``)."""
    found = media_type(content_type)
    return found.startswith("image/") or found == "application/octet-stream"


def read_image(event: APIGatewayProxyEvent, *, max_bytes: int) -> bytes:
    """The uploaded image bytes of ``event`` (not yet checked to be an image).

    Raises
    ------
    UnsupportedMediaType
        The Content-Type is not an image type, ``application/octet-stream`` or JSON (or is absent).
    InvalidInput
        Empty body, invalid base64, invalid JSON, a JSON body without an ``image`` string,
        or text that is not UTF-8.
    ImageTooLarge
        The body is certainly larger than ``max_bytes`` once decoded.
    """
    content_type = event.headers.get("content-type")
    as_json = is_json(content_type)
    if not as_json and not is_binary_upload(content_type):
        raise _unsupported(content_type)
    raw = event.body
    if not raw:
        raise InvalidInput(
            "The request body is empty: send the image bytes, or JSON {\"image\": \"<base64>\"}."
        )
    limit = encoded_length(max_bytes) + JSON_OVERHEAD_BYTES if as_json else max_bytes
    payload = _transport_bytes(raw, bool(event.is_base64_encoded), limit=limit, max_bytes=max_bytes)
    return _image_from_json(payload, max_bytes) if as_json else payload


def _transport_bytes(raw: str, is_base64: bool, *, limit: int, max_bytes: int) -> bytes:
    if is_base64:
        if len(raw) > encoded_length(limit):
            raise _too_large(len(raw) * 3 // 4, max_bytes)
        try:
            return base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput("The request body is marked base64-encoded but is not valid base64.") from None
    if len(raw) > limit:  # each character is at least one byte
        raise _too_large(len(raw), max_bytes)
    try:
        return raw.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate: only a hand-made event carries one
        raise InvalidInput("The request body is not valid text; send the image bytes as image/* "
                           "or application/octet-stream.") from None


def _image_from_json(payload: bytes, max_bytes: int) -> bytes:
    try:
        document = json.loads(payload)
    except (ValueError, RecursionError) as exc:
        detail = f": {exc.msg}" if isinstance(exc, json.JSONDecodeError) else ""
        raise InvalidInput(f"The request body is not valid JSON{detail}.") from None
    if not isinstance(document, dict) or not isinstance(document.get("image"), str):
        raise InvalidInput('The JSON body must be an object with an "image" string (the image, base64-encoded).')
    text: str = document["image"]
    if text.startswith("data:") and "," in text[:200]:
        text = text.split(",", 1)[1]  # a data: URL, as FileReader.readAsDataURL gives
    if any(blank in text for blank in (" ", "\n", "\r", "\t")):
        text = "".join(text.split())  # line-wrapped base64, as the base64 tool writes it
    if len(text) > encoded_length(max_bytes):
        raise _too_large(len(text) * 3 // 4, max_bytes)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput('The "image" field is not valid base64.') from None


def _unsupported(content_type: str | None) -> UnsupportedMediaType:
    found = media_type(content_type)
    said = f"Content-Type {found[:60]!r} is" if found else "A missing Content-Type is"
    return UnsupportedMediaType(
        f"{said} not accepted for an upload: send the image bytes as image/* (e.g. image/jpeg) or "
        "application/octet-stream, or JSON {\"image\": \"<base64>\"} as application/json."
    )


def _too_large(size: int, max_bytes: int) -> ImageTooLarge:
    return ImageTooLarge(f"The image is about {size:,} bytes; the limit is {max_bytes:,} bytes.")
