"""The routes of the HTTP API, their parameters and their OpenAPI descriptions.

Query parameters are declared with Powertools ``Query`` so that one declaration both
validates them (a bad value is a 400, see :mod:`~facedetect.entrypoints.rest.errors`) and
documents them in ``/openapi.json``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query

from facedetect.detectors.cache import DETECTOR_OPTIONS
from facedetect.domain.formats import SUPPORTED
from facedetect.domain.ports import MAX_PAGE_SIZE
from facedetect.entrypoints.rest.body import read_image
from facedetect.entrypoints.rest.representation import detection_to_json, reference_faces
from facedetect.entrypoints.rest.schemas import (
    API_DESCRIPTION,
    IMAGE_REQUEST_BODY,
    DetectionEnvelope,
    DetectionPage,
    DetectResponse,
    error_responses,
    image_responses,
    ok,
)
from facedetect.errors import DetectionNotFound

if TYPE_CHECKING:
    from facedetect.domain.model import Detection
    from facedetect.entrypoints.rest.application import FaceDetectApp

#: Lifetime of the presigned image URLs, seconds.
IMAGE_URL_TTL_S = 300

ScaleFactor = Annotated[float | None, Query(ge=1.01, le=4.0, description="Haar pyramid step; default 1.1.")]
MinNeighbors = Annotated[int | None, Query(ge=0, le=1000, description="Haar: neighbours to keep a face; default 5.")]
MinSize = Annotated[int | None, Query(ge=1, le=100_000, description="Smallest face side, pixels.")]
MaxDimension = Annotated[int | None, Query(ge=32, le=100_000,
                                           description="Shrink larger images to this side first (faster).")]
RedactStyle = Annotated[Literal["blur", "pixelate", "fill"],
                        Query(description="How faces are hidden: blur (default), pixelate or fill (black).")]
SmallFaces = Annotated[bool | None, Query(description="YuNet: add an upscaled pass that finds small faces.")]
Store = Annotated[bool, Query(description="Keep the image and the detection (false: only detect).")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size.")]
Cursor = Annotated[str | None, Query(max_length=1024, description="next_cursor of the previous page.")]

_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]{0,127}")
_DETECT_ERRORS = error_responses(400, 413, 415, 500, 503)
_READ_ERRORS = error_responses(404, 500, 503)


def register_routes(app: FaceDetectApp) -> None:
    """Add every route of the API to ``app``."""

    def detect_body(options: dict[str, Any], *, store: bool) -> tuple[bytes, Detection]:
        """The request's image and its detection with the request's detector options, within its time."""
        service = app.service
        detector = service.detector_for(options)
        image = read_image(app.current_event, max_bytes=service.limits.max_bytes)
        detection = service.detect(image, store=store, detector=detector, time_left_s=app.time_left_s())
        app.observer.detected(detection)
        return image, detection

    @app.post("/", operation_id="detectFacesReference", enable_validation=True, tags=["detection"],
              summary="Detect faces (the reference system's path)",
              description="Same as POST /faces; kept so clients of the reference system work unchanged.",
              responses={**ok(DetectResponse, "The faces found."), **_DETECT_ERRORS},
              openapi_extensions={"requestBody": IMAGE_REQUEST_BODY})
    @app.post("/faces", operation_id="detectFaces", enable_validation=True, tags=["detection"],
              summary="Detect faces in an image and keep the image and the result",
              description="The same bytes with the same options always give the same detection id; "
                          "detector options other than the service's build (and cache) a detector for them.",
              responses={**ok(DetectResponse, "The faces found."), **_DETECT_ERRORS},
              openapi_extensions={"requestBody": IMAGE_REQUEST_BODY})
    def detect(scale_factor: ScaleFactor = None, min_neighbors: MinNeighbors = None, min_size: MinSize = None,
               max_dimension: MaxDimension = None, store: Store = True, small_faces: SmallFaces = None,
               ) -> Response[Any]:
        _, detection = detect_body(detector_options(locals()), store=store)
        return _json({"faces": reference_faces(detection), "detection": detection_to_json(detection)})

    def redact(scale_factor: ScaleFactor = None, min_neighbors: MinNeighbors = None, min_size: MinSize = None,
               max_dimension: MaxDimension = None, small_faces: SmallFaces = None, style: RedactStyle = "blur",
               store: Annotated[bool, Query(description="Also keep the original image and the detection.")] = False,
               ) -> Response[Any]:
        from facedetect.domain.redaction import redact_faces

        image, detection = detect_body(detector_options(locals()), store=store)
        redacted = redact_faces(image, detection.faces, style=style, limits=app.service.limits)
        return Response(status_code=200, content_type=redacted.media_type, body=redacted.data,
                        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                                 "X-Faces-Redacted": str(len(redacted.faces))})

    app.post("/redact", operation_id="redactFaces", enable_validation=True, tags=["detection"],
             summary="The image with every face hidden, in the format sent",
             description="Detects as POST /faces does (same body rules and options), then answers the image "
                          "with each face box (widened by 10 % of its size on each side) blurred, pixelated or "
                          "filled; every other pixel is unchanged (lossless formats) and JPEG keeps its "
                          "quantisation tables. X-Faces-Redacted carries the number of faces hidden. Nothing is "
                          "stored unless store=true.",
             responses={200: {"description": "The redacted image.",
                               "headers": {"X-Faces-Redacted": {"description": "Faces hidden.",
                                                                "schema": {"type": "integer"}}},
                               "content": {fmt.media_type: {"schema": {"type": "string", "format": "binary"}}
                                           for fmt in SUPPORTED}},
                         **_DETECT_ERRORS},
             openapi_extensions={"requestBody": IMAGE_REQUEST_BODY})(_binary_response(redact))

    @app.get("/faces", operation_id="listDetections", enable_validation=True, tags=["detections"],
             summary="Stored detections, newest first",
             responses={**ok(DetectionPage, "One page of detections."), **error_responses(400, 500, 503)})
    def list_detections(limit: Limit = 20, cursor: Cursor = None) -> Response[Any]:
        page = app.service.list(limit=limit, cursor=cursor)
        return _json({"detections": [detection_to_json(d) for d in page.items], "next_cursor": page.next_cursor})

    @app.get("/faces/<detection_id>", operation_id="getDetection", tags=["detections"],
             summary="One stored detection", responses={**ok(DetectionEnvelope, "The detection."), **_READ_ERRORS})
    def get_detection(detection_id: str) -> Response[Any]:
        return _json({"detection": detection_to_json(app.service.get(_checked(detection_id)))})

    @app.get("/faces/<detection_id>/image", operation_id="getDetectionImage", tags=["detections"],
             summary="The image of a detection",
             description=f"With S3: a 302 to a presigned URL valid {IMAGE_URL_TTL_S} s (the bucket stays "
                         "private). With local storage: the image bytes.",
             responses={**image_responses(), **_READ_ERRORS})
    def get_detection_image(detection_id: str) -> Response[Any]:
        service = app.service
        url = service.image_url(_checked(detection_id), ttl=IMAGE_URL_TTL_S)
        if url is not None:
            return _json({"url": url, "expires_in": IMAGE_URL_TTL_S}, status=302, headers={"Location": url})
        data, media_type = service.image(detection_id)
        return Response(status_code=200, content_type=media_type, body=data,
                        headers={"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"})

    @app.get("/openapi.json", operation_id="getOpenApi", tags=["docs"], summary="This API's OpenAPI document",
             responses={200: {"description": "The OpenAPI 3.1 document.",
                              "content": {"application/json": {"schema": {"type": "object"}}}}})
    def openapi() -> Response[Any]:
        return Response(status_code=200, content_type=content_types.APPLICATION_JSON,
                        body=app.openapi_document(app.base_path))

    # Powertools inlines Swagger UI's JS and CSS in the page: no CDN request.
    from facedetect import __version__

    app.enable_swagger(path="/swagger", title="facedetect", version=__version__, description=API_DESCRIPTION)


def _binary_response(route: Callable[..., Response[Any]]) -> Callable[..., Response[Any]]:
    """Hide ``route``'s return annotation from Powertools, which would otherwise serialise its bytes as JSON.

    Query parameters are still validated; only the (binary) response is left as it is.
    """
    route.__signature__ = inspect.signature(route).replace(  # type: ignore[attr-defined]
        return_annotation=inspect.Signature.empty)
    return route


def detector_options(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The detector options among a route's parameters (``locals()``), by the names of
    :data:`~facedetect.detectors.cache.DETECTOR_OPTIONS`; ``None``: not given."""
    return {name: parameters.get(name) for name in DETECTOR_OPTIONS}


def _checked(detection_id: str) -> str:
    """Ids are short URL-safe tokens; anything else cannot exist (and never reaches a store)."""
    if not _ID.fullmatch(detection_id):
        raise DetectionNotFound(f"No detection with id {detection_id[:64]!r}.")
    return detection_id


def _json(body: dict[str, Any], *, status: int = 200, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body,
                    headers={"Cache-Control": "no-store", **(headers or {})})
