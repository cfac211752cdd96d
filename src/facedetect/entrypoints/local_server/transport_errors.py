"""Errors the local server answers itself, before a request reaches the API.

These are transport matters a deployed API Gateway also handles in front of the Lambda
(a body too large, no ``Content-Length``, a malformed request line). They use the API's
error body, ``{"error": {"code", "message", "request_id"}}``, so clients parse one shape.
The API's own errors (bad image, unknown id ...) are never mapped here: they come from the
REST app, unchanged.
"""

from __future__ import annotations

import json
import uuid
from http import HTTPStatus

from facedetect.errors import ImageTooLarge, InvalidInput

JSON_TYPE = "application/json"

# Waitress's own error classes, by status, mapped to the API's error codes.
_CODE_FOR_STATUS = {
    400: InvalidInput.code,
    411: "length_required",
    413: ImageTooLarge.code,
    431: "headers_too_large",
    500: "internal_error",
    501: "not_implemented",
}


def new_request_id() -> str:
    """A fresh request id, shaped like API Gateway's (a UUID)."""
    return str(uuid.uuid4())


def status_line(status: int) -> str:
    """``"413 Content Too Large"`` style WSGI status line for ``status``."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def error_body(status: int, message: str, request_id: str, code: str | None = None) -> bytes:
    """The API's JSON error body for a transport-level error."""
    payload = {"error": {"code": code or _CODE_FOR_STATUS.get(status, "http_error"), "message": message,
                         "request_id": request_id}}
    return json.dumps(payload, separators=(",", ":")).encode()


def error_headers(body: bytes, request_id: str) -> list[tuple[str, str]]:
    """Headers for an error response carrying ``body``."""
    return [("Content-Type", JSON_TYPE), ("Content-Length", str(len(body))), ("X-Request-Id", request_id),
            ("Cache-Control", "no-store")]
