"""The errors facedetect raises, one small hierarchy for every layer.

Adapters translate SDK errors into these; entrypoints map each to a status
code (``http_status``) and a stable machine-readable ``code``. Messages are
written for the person who sent the image, never contain a stack trace and
never echo the input bytes. They never name the infrastructure either (bucket,
table, index, object keys, hosts, file-system paths): that goes in ``detail``,
which entrypoints log and never send.
"""

from __future__ import annotations


class FaceDetectError(Exception):
    """Base class of every error facedetect raises on purpose."""

    code: str = "internal_error"
    http_status: int = 500

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail or message
        """For the operator's log: what failed, where (resource names, keys, paths); never sent."""


# --- bad input: the caller can fix these -------------------------------------------------


class InvalidInput(FaceDetectError):
    """The request itself is malformed (empty body, bad JSON, bad base64, bad option)."""

    code = "invalid_input"
    http_status = 400


class InvalidImage(InvalidInput):
    """The bytes are not a decodable image (random bytes, text, truncated file)."""

    code = "invalid_image"


class InvalidEvent(InvalidInput):
    """The Lambda was given an event API Gateway would never send (missing method or path, wrong types)."""

    code = "invalid_event"


class UnsupportedMediaType(FaceDetectError):
    """An upload's ``Content-Type`` is not an image, ``application/octet-stream`` or JSON."""

    code = "unsupported_media_type"
    http_status = 415


class UnsupportedImageFormat(FaceDetectError):
    """The bytes are a recognisable image format that facedetect does not accept."""

    code = "unsupported_image_format"
    http_status = 415


class ImageTooLarge(FaceDetectError):
    """The image exceeds the configured byte or pixel limit."""

    code = "image_too_large"
    http_status = 413


# --- lookups -----------------------------------------------------------------------------


class NotFound(FaceDetectError):
    """Something asked for by key does not exist."""

    code = "not_found"
    http_status = 404


class DetectionNotFound(NotFound):
    """No detection is stored under that id."""

    code = "detection_not_found"


class ImageNotFound(NotFound):
    """No image is stored under that key (the key goes in ``detail``, not in the message)."""

    code = "image_not_found"

    def __init__(self, message: str = "The image is not stored.", *, detail: str | None = None) -> None:
        super().__init__(message, detail=detail)


# --- storage and configuration: the operator's side --------------------------------------


class StorageError(FaceDetectError):
    """A store failed in a way retrying will not fix (permissions, missing bucket, corrupt data)."""

    code = "storage_error"
    http_status = 500
    default_message = "Storage failed; the cause is logged under this request's id."

    def __init__(self, message: str | None = None, *, detail: str | None = None) -> None:
        super().__init__(message or self.default_message, detail=detail)


class StorageUnavailable(StorageError):
    """A store is throttling or temporarily unavailable; retrying later may succeed."""

    code = "storage_unavailable"
    http_status = 503
    retry_after_seconds = 1
    default_message = "Storage is busy or cannot be reached right now; retry in a moment."


class NotEnoughTime(FaceDetectError):
    """The detection is predicted not to finish before the caller's deadline; retrying later may succeed."""

    code = "not_enough_time"
    http_status = 503
    retry_after_seconds = 1


class DetectionResourcesExhausted(FaceDetectError):
    """Memory ran out during a detection (OpenCV could not allocate); retrying later may succeed."""

    code = "detection_resources_exhausted"
    http_status = 503
    retry_after_seconds = 5


class ConfigurationError(FaceDetectError):
    """Settings are missing or inconsistent; raised at start-up, never per request."""

    code = "configuration_error"
    http_status = 500


class DetectorError(FaceDetectError):
    """The face detector could not be created (bad cascade name, unreadable model file)."""

    code = "detector_error"
    http_status = 500


# --- uploads (POST /uploads, then the bytes to the upload URL) ----------------------------


class UploadNotFound(NotFound):
    """No upload is recorded under that id."""

    code = "upload_not_found"


class UploadRejected(FaceDetectError):
    """Bytes sent to an upload URL that is not valid (bad signature, expired, wrong type or size)."""

    code = "upload_rejected"
    http_status = 403
