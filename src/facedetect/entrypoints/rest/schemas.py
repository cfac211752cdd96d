"""OpenAPI descriptions of the HTTP API: response models, the image request body, error responses.

The models document what :mod:`facedetect.entrypoints.rest.representation` produces (the routes return
that JSON, not these models); the tests validate real responses against them, so the
schema cannot drift from the code. ``extra="forbid"`` makes undocumented fields an error.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, ConfigDict, Field

from facedetect.domain.formats import SUPPORTED

#: The API's description, in the OpenAPI document and on the Swagger page.
API_DESCRIPTION = (
    "Find faces in images and keep both the image and the face coordinates. POST an image to / or /faces; "
    "read detections back by id. Every error is JSON {\"error\": {\"code\", \"message\", \"request_id\"}}; "
    "an unknown path is a 404 route_not_found, a known path with the wrong method a 405 method_not_allowed."
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReferenceBox(_Strict):
    """A face as the reference system reports it: top-left and bottom-right corners, pixels."""

    x1: int
    y1: int
    x2: int
    y2: int


class Ratios(_Strict):
    """The box as fractions of the image size."""

    left: float
    top: float
    width: float
    height: float


class FaceOut(_Strict):
    """One face: reference corners, the box as x/y/width/height, ratios, confidence, landmarks."""

    x1: int
    y1: int
    x2: int
    y2: int
    x: int
    y: int
    width: int
    height: int
    confidence: float = Field(ge=0, le=1)
    ratios: Ratios
    landmarks: dict[str, list[float]] | None = Field(None, description="YuNet only: five [x, y] points.")


class DetectionOut(_Strict):
    """A stored (or, with ``store=false``, unstored) detection."""

    id: str = Field(description="Derived from the image bytes and the detector settings.")
    sha256: str
    image_key: str
    media_type: str
    width: int
    height: int
    detector: str
    parameters: dict[str, Any]
    created_at: datetime
    duration_ms: float
    face_count: int
    faces: list[FaceOut]


class DetectResponse(_Strict):
    """``faces`` is exactly the reference system's response; ``detection`` has the rest."""

    faces: dict[str, ReferenceBox] = Field(description='Keyed "0", "1", ... most confident first.')
    detection: DetectionOut


class DetectionEnvelope(_Strict):
    detection: DetectionOut


class DetectionPage(_Strict):
    detections: list[DetectionOut] = Field(description="Newest first.")
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null at the end.")


class ImageLink(_Strict):
    url: str = Field(description="A presigned URL of the private bucket, valid for expires_in seconds.")
    expires_in: int


class ErrorDetail(_Strict):
    code: str = Field(description="Stable machine-readable code, e.g. invalid_image.")
    message: str
    request_id: str


class ErrorResponse(_Strict):
    error: ErrorDetail


_BINARY: dict[str, Any] = {"schema": {"type": "string", "format": "binary"}}

#: The request body of POST / and POST /faces (not expressible as a Powertools Body parameter).
IMAGE_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "description": "The image: raw bytes (any image or octet-stream content type; the format is read from the "
                   "bytes), or JSON {\"image\": \"<base64>\"}.",
    "content": {
        **{fmt.media_type: _BINARY for fmt in SUPPORTED},
        "application/octet-stream": _BINARY,
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["image"],
                "properties": {
                    "image": {"type": "string", "contentEncoding": "base64",
                              "description": "The image bytes, base64 (a data: URL is accepted too)."},
                },
            },
        },
    },
}

_ERRORS = {
    400: "Bad input: empty body, invalid JSON or base64, not an image, truncated image, or a bad option.",
    404: "No detection with this id.",
    413: "The image is larger than the byte or pixel limit.",
    415: "The Content-Type is not image/*, application/octet-stream or JSON (unsupported_media_type), or the "
         "image is in a recognised format that is not supported: GIF, HEIC, ... (unsupported_image_format).",
    500: "A fault on the server's side (configuration, storage permissions, a bug); details are in the logs.",
    503: "Storage is throttling or unavailable, or memory ran out for a detection; retry after Retry-After seconds.",
}


def error_responses(*statuses: int) -> dict[int, OpenAPIResponse]:
    """OpenAPI responses for the given error statuses, each with the JSON error body."""
    out: dict[int, OpenAPIResponse] = {}
    for status in statuses:
        response: OpenAPIResponse = {
            "description": _ERRORS[status],
            "content": {"application/json": {"model": ErrorResponse}},
        }
        if status == 503:
            response["headers"] = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}
        out[status] = response
    return out


def ok(model: type[BaseModel], description: str) -> dict[int, OpenAPIResponse]:
    """A 200 response with a JSON ``model`` body."""
    return {200: {"description": description, "content": {"application/json": {"model": model}}}}


def image_responses() -> dict[int, OpenAPIResponse]:
    """GET /faces/{id}/image: a redirect to a presigned URL, or the bytes themselves."""
    return {
        200: {"description": "The stored image (stores without presigned URLs).",
              "content": {fmt.media_type: _BINARY for fmt in SUPPORTED}},  # type: ignore[misc]
        302: {"description": "Redirect to a short-lived presigned URL of the private bucket.",
              "headers": {"Location": {"description": "The presigned URL.", "schema": {"type": "string"}}},
              "content": {"application/json": {"model": ImageLink}}},
    }


_REF = re.compile(r'"#/components/schemas/([^"]+)"')


def without_unused_schemas(document: str) -> str:
    """Drop component schemas nothing refers to (Powertools always adds its validation-error ones)."""
    parsed = json.loads(document)
    schemas: dict[str, Any] = parsed.get("components", {}).get("schemas", {})
    used: set[str] = set()
    pending = set(_REF.findall(json.dumps(parsed["paths"])))
    while pending:
        name = pending.pop()
        if name not in used and name in schemas:
            used.add(name)
            pending |= set(_REF.findall(json.dumps(schemas[name])))
    for name in set(schemas) - used:
        del schemas[name]
    return json.dumps(parsed, indent=2)
