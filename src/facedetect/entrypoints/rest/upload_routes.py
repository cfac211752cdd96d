"""The upload routes: large photos and bulk, sent to storage first and detected on arrival.

``POST /uploads`` records an upload and answers where to send the bytes (an S3 presigned
POST when the service stores in S3; a signed URL of the local server otherwise);
``GET /uploads/{upload_id}`` reports ``pending``, ``done`` (with the detection) or ``failed``
(with the error). ``PUT /uploads/{upload_id}/content`` is the local server's upload URL; with
S3 the bytes go to S3 and that route answers 404.

The upload service is built next to the app's detection service
(:func:`facedetect.composition.build_upload_service`) on first use, and again whenever the
app's service is replaced.
"""

from __future__ import annotations

import json
import threading
import weakref
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, ConfigDict, Field

from facedetect.domain.formats import SUPPORTED
from facedetect.entrypoints.rest.representation import detection_to_json
from facedetect.entrypoints.rest.routes import MaxDimension, MinNeighbors, MinSize, ScaleFactor, detector_options
from facedetect.entrypoints.rest.schemas import DetectionOut, error_responses
from facedetect.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from facedetect.domain.uploads import Upload
    from facedetect.entrypoints.rest.application import FaceDetectApp
    from facedetect.service.detections import FaceDetectionService
    from facedetect.service.uploads import UploadService

Expires = Annotated[str, Query(max_length=20, description="From the upload URL.")]
Signature = Annotated[str, Query(max_length=128, description="From the upload URL.")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UploadRequest(_Strict):
    content_type: str = Field(description="The image's media type: " + ", ".join(f.media_type for f in SUPPORTED))
    content_length: int = Field(ge=1, description="The file size, bytes (at most the service's byte limit).")
    sha256: str | None = Field(None, description="Hex SHA-256 of the file: when its detection with these "
                                                 "options is stored already, the answer is 200 with it and "
                                                 "nothing needs uploading.")


class UploadCreated(_Strict):
    upload_id: str
    url: str = Field(description="Where to send the bytes.")
    method: str = Field(description="POST: multipart/form-data with every entry of fields, then the file as "
                                    "'file' (an S3 presigned POST). PUT: the raw bytes with the announced "
                                    "Content-Type (the local server).")
    fields: dict[str, str] = Field(description="Form fields to send before the file (POST).")
    expires_in: int = Field(description="Seconds the URL stays valid.")
    status_url: str = Field(description="GET it for the outcome.")


class AlreadyDone(_Strict):
    status: str = Field(description="done")
    detection: DetectionOut


class UploadError(_Strict):
    code: str
    message: str


class UploadStatus(_Strict):
    upload_id: str
    status: str = Field(description="pending, done or failed.")
    created_at: str
    expires_at: str = Field(description="When the upload URL stops being valid.")
    detection: DetectionOut | None = Field(None, description="The detection (done): as GET /faces/{id}.")
    error: UploadError | None = Field(None, description="Why it failed (failed).")


def _errors(*statuses: int) -> dict[int, Any]:
    """The error responses of the upload routes (404 and 403 in their upload sense)."""
    responses: dict[int, Any] = error_responses(*(s if s != 403 else 400 for s in statuses))
    if 404 in responses:
        responses[404] = {**responses[404], "description": "No upload with this id."}
    if 403 in statuses:
        responses[403] = {**responses[400], "description": "The upload URL is not valid: bad signature, expired, "
                                                           "or a Content-Type other than the announced one."}
    return responses


class UploadServices:
    """The upload service of one app, built next to the app's current detection service."""

    def __init__(self, app: FaceDetectApp) -> None:
        self._app = app
        self._built: tuple[FaceDetectionService, UploadService] | None = None
        self._lock = threading.Lock()

    def get(self) -> UploadService:
        """The upload service, (re)built when the app's detection service changed."""
        service = self._app.service
        with self._lock:
            if self._built is None or self._built[0] is not service:
                from facedetect.composition import build_upload_service

                self._built = (service, build_upload_service(service))
            return self._built[1]

    def set(self, uploads: UploadService) -> None:
        """Use ``uploads`` while the app's detection service is ``uploads.detection``."""
        with self._lock:
            self._built = (uploads.detection, uploads)


_SERVICES: weakref.WeakKeyDictionary[FaceDetectApp, UploadServices] = weakref.WeakKeyDictionary()


def upload_services(app: FaceDetectApp) -> UploadServices:
    """The :class:`UploadServices` of ``app`` (made on first use)."""
    found = _SERVICES.get(app)
    if found is None:
        found = _SERVICES.setdefault(app, UploadServices(app))
    return found


def register_upload_routes(app: FaceDetectApp) -> None:
    """Add ``POST /uploads``, ``GET /uploads/{upload_id}`` and ``PUT /uploads/{upload_id}/content``."""
    services = upload_services(app)

    @app.post("/uploads", operation_id="createUpload", enable_validation=True, tags=["uploads"],
              summary="Start an upload of a large image (or many): get where to send the bytes",
              description="Send JSON {content_type, content_length}; the detector options go in the query, as on "
                          "POST /faces. Then send the bytes as the answer says and poll status_url.",
              responses={200: {"description": "Already done (the sha256 given): the stored detection.",
                               "content": {"application/json": {"model": AlreadyDone}}},
                         201: {"description": "Where to send the bytes.",
                               "content": {"application/json": {"model": UploadCreated}}},
                         **_errors(400, 413, 415, 500, 503)},
              openapi_extensions={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": UploadRequest.model_json_schema()}}}})
    def create_upload(scale_factor: ScaleFactor = None, min_neighbors: MinNeighbors = None,
                      min_size: MinSize = None, max_dimension: MaxDimension = None) -> Response[Any]:
        options = detector_options(locals())
        request = _upload_request(app)
        uploads = services.get()
        if request.sha256 is not None:
            found = uploads.existing(request.sha256.lower(), options)
            if found is not None:
                return _json({"status": "done", "detection": detection_to_json(found)})
        upload, target = uploads.create(content_type=request.content_type, content_length=request.content_length,
                                        options=options)
        base = _api_base(app)
        url = target.url if "://" in target.url else base + target.url
        return _json({"upload_id": upload.upload_id, "url": url, "method": target.method, "fields": target.fields,
                      "expires_in": target.expires_in, "status_url": f"{base}/uploads/{upload.upload_id}"},
                     status=201)

    @app.get("/uploads/<upload_id>", operation_id="getUpload", tags=["uploads"],
             summary="The status of an upload, with its detection once done",
             responses={200: {"description": "The upload.", "content": {"application/json": {"model": UploadStatus}}},
                        **_errors(404, 500, 503)})
    def get_upload(upload_id: str) -> Response[Any]:
        upload, detection = services.get().status(upload_id)
        body = _status_json(upload)
        if detection is not None:
            body["detection"] = detection_to_json(detection)
        return _json(body)

    @app.put("/uploads/<upload_id>/content", operation_id="sendUploadContent", enable_validation=True,
             tags=["uploads"], summary="The local server's upload URL (not with S3 storage)",
             description="The raw image bytes with the announced Content-Type, to the URL POST /uploads gave.",
             responses={202: {"description": "Received; processing in the background.",
                              "content": {"application/json": {"model": UploadStatus}}},
                        **_errors(400, 403, 404, 413, 500)},
             openapi_extensions={"requestBody": {"required": True, "content": {
                 fmt.media_type: {"schema": {"type": "string", "format": "binary"}} for fmt in SUPPORTED}}})
    def send_upload_content(upload_id: str, expires: Expires, signature: Signature) -> Response[Any]:
        uploads = services.get()
        accept = getattr(uploads.inbox, "accept", None)
        if accept is None:
            raise NotFound("Uploads go to the URL POST /uploads answers, not here.")
        upload, _ = uploads.status(upload_id)
        event = app.current_event
        data = _body_bytes(event)
        accept(upload_id, data, content_type=event.headers.get("content-type") or "", expires=expires,
               signature=signature, max_bytes=uploads.max_bytes)
        return _json(_status_json(upload), status=202)


def _body_bytes(event: Any) -> bytes:
    import base64
    import binascii

    raw = event.body or ""
    try:
        return base64.b64decode(raw) if event.is_base64_encoded else raw.encode("utf-8", "surrogateescape")
    except (binascii.Error, ValueError):
        raise InvalidInput("The request body is not valid base64.") from None


def _upload_request(app: FaceDetectApp) -> UploadRequest:
    from pydantic import ValidationError

    body = app.current_event.body or ""
    if app.current_event.is_base64_encoded:
        import base64

        body = base64.b64decode(body).decode("utf-8", "replace")
    try:
        return UploadRequest.model_validate(json.loads(body))
    except (ValueError, ValidationError) as exc:
        detail = exc.errors()[0] if isinstance(exc, ValidationError) else None
        where = f" ({'.'.join(str(p) for p in detail['loc'])}: {detail['msg']})" if detail else ""
        raise InvalidInput("Send JSON {\"content_type\": \"image/jpeg\", \"content_length\": <bytes>}" + where
                           + ".") from None


def _api_base(app: FaceDetectApp) -> str:
    """``scheme://host/stage`` of the API as the client called it."""
    headers = app.current_event.headers
    host = headers.get("host") or headers.get("Host") or "localhost"
    scheme = headers.get("x-forwarded-proto") or headers.get("X-Forwarded-Proto") or "http"
    return f"{scheme}://{host}{app.base_path}"


def _status_json(upload: Upload) -> dict[str, Any]:
    body: dict[str, Any] = {"upload_id": upload.upload_id, "status": upload.status,
                            "created_at": upload.created_at.isoformat(), "expires_at": upload.expires_at.isoformat()}
    if upload.status == "failed":
        body["error"] = {"code": upload.error_code or "internal_error", "message": upload.error_message or ""}
    return body


def _json(body: dict[str, Any], *, status: int = 200) -> Response[Any]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body,
                    headers={"Cache-Control": "no-store"})
