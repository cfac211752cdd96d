"""Uploads: images sent to storage first and detected on arrival (large photos, bulk ingestion).

The flow: :meth:`UploadService.create` records a *pending* upload and answers where to send
the bytes (an S3 presigned POST, or a signed URL of the local server); when the bytes have
arrived, :meth:`UploadService.process` detects faces with the options recorded at creation —
through :meth:`FaceDetectionService.detect`, so the image and the detection are stored
exactly as a direct upload stores them — records the outcome and deletes the arrived bytes.

Outcomes: bad bytes (``InvalidImage``, ``UnsupportedImageFormat``, ``ImageTooLarge``) end the
upload as *failed* with that error and are not retried; ``StorageUnavailable`` (and other
storage faults) propagate, leaving the upload pending and the bytes in place for a retry.
Processing is idempotent: a second delivery of the same arrival changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from facedetect.domain.formats import SUPPORTED, format_for_media_type
from facedetect.domain.uploads import Upload, UploadTarget, is_upload_id, new_upload_id
from facedetect.errors import (
    FaceDetectError,
    ImageNotFound,
    ImageTooLarge,
    InvalidInput,
    UnsupportedImageFormat,
    UploadNotFound,
)

if TYPE_CHECKING:
    from facedetect.domain.model import Detection
    from facedetect.domain.ports import UploadInbox, UploadRepository
    from facedetect.service.detections import FaceDetectionService

log = logging.getLogger(__name__)

#: Lifetime of an upload URL, seconds.
DEFAULT_UPLOAD_TTL_S = 900

#: Errors that are the bytes' fault: the upload fails for good, no retry.
PERMANENT_ERRORS = (InvalidInput, UnsupportedImageFormat, ImageTooLarge)


class UploadService:
    """Creates uploads, processes the bytes that arrive for them, and reports their status.

    Parameters
    ----------
    detection
        The service that detects and stores (its limits bound the uploads).
    uploads
        Where upload records are kept.
    inbox
        Where the bytes arrive.
    expires_in
        Lifetime of the upload URLs, seconds.
    clock
        Returns "now" in UTC; injectable for tests.
    """

    def __init__(self, detection: FaceDetectionService, uploads: UploadRepository, inbox: UploadInbox, *,
                 expires_in: int = DEFAULT_UPLOAD_TTL_S,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.detection = detection
        self.uploads = uploads
        self.inbox = inbox
        self.expires_in = expires_in
        self._clock = clock or (lambda: datetime.now(UTC))

    @property
    def max_bytes(self) -> int:
        """The largest upload accepted, bytes (the detection service's limit)."""
        return self.detection.limits.max_bytes

    def create(self, *, content_type: str, content_length: int,
               options: Mapping[str, Any] | None = None) -> tuple[Upload, UploadTarget]:
        """Record a pending upload and say where to send its bytes.

        Raises
        ------
        UnsupportedImageFormat
            ``content_type`` is not one of the supported image types (415).
        ImageTooLarge
            ``content_length`` is over the byte limit (413).
        InvalidInput
            A bad length or detector option (400).
        """
        media_type = content_type.split(";", 1)[0].strip().lower()
        if format_for_media_type(media_type) is None:
            accepted = ", ".join(f.media_type for f in SUPPORTED)
            raise UnsupportedImageFormat(f"Content type {content_type[:100]!r} is not supported; send one of "
                                         f"{accepted}.")
        if isinstance(content_length, bool) or not isinstance(content_length, int) or content_length < 1:
            raise InvalidInput("content_length must be a positive integer (the file size in bytes).")
        if content_length > self.max_bytes:
            raise ImageTooLarge(f"The image is {content_length} bytes; the limit is {self.max_bytes} bytes.")
        given = {name: value for name, value in (options or {}).items() if value is not None}
        self.detection.detector_for(given)  # a bad option is refused now, not after the upload
        now = self._clock()
        upload = Upload(upload_id=new_upload_id(), status="pending", content_type=media_type,
                        content_length=content_length, options=given, created_at=now,
                        expires_at=now + timedelta(seconds=self.expires_in))
        target = self.inbox.target(upload.upload_id, content_type=media_type, max_bytes=self.max_bytes,
                                   expires_in=self.expires_in)
        self.uploads.create(upload)
        return upload, target

    def existing(self, sha256: str, options: Mapping[str, Any] | None = None) -> Detection | None:
        """The stored detection of content ``sha256`` with these options, if any (nothing to upload then).

        Raises
        ------
        InvalidInput
            ``sha256`` is not 64 hex digits, or a bad detector option.
        """
        from facedetect.errors import DetectionNotFound
        from facedetect.service.detections import detection_id

        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise InvalidInput("sha256 must be the 64 lower-case hex digits of the file's SHA-256.")
        given = {name: value for name, value in (options or {}).items() if value is not None}
        detector = self.detection.detector_for(given)
        try:
            return self.detection.get(detection_id(sha256, detector))
        except DetectionNotFound:
            return None

    def status(self, upload_id: str) -> tuple[Upload, Detection | None]:
        """The upload and, when done, its detection; ``UploadNotFound`` for unknown ids."""
        if not is_upload_id(upload_id):
            raise UploadNotFound(f"No upload with id {upload_id[:64]!r}.")
        upload = self.uploads.get(upload_id)
        detection = self.detection.get(upload.detection_id) if upload.detection_id else None
        return upload, detection

    def process(self, name: str) -> Upload | None:
        """Detect faces in the bytes that arrived under ``name`` and record the outcome.

        ``name`` is an upload id; bytes under any other name (copied into the inbox directly,
        e.g. with ``aws s3 sync``) are detected with the service's own options and stored,
        without an upload record (``None`` is returned).

        Returns
        -------
        Upload or None
            The upload as recorded after processing (also for a repeated delivery).

        Raises
        ------
        StorageUnavailable, StorageError
            A store failed; the upload stays pending and the bytes stay for a retry.
        """
        upload = self._find(name)
        if upload is not None and upload.status != "pending":
            self.inbox.delete(name)  # a repeated delivery: the outcome is recorded already
            return upload
        try:
            data = self.inbox.read(name, max_bytes=self.max_bytes)
        except ImageNotFound:
            log.info("Nothing to process under %r (already processed, or expired)", name)
            return self._find(name)
        except ImageTooLarge as exc:
            return self._finish(name, upload, error=exc)
        try:
            detector = self.detection.detector_for(upload.options if upload else {})
            detection = self.detection.detect(data, detector=detector)
        except PERMANENT_ERRORS as exc:
            return self._finish(name, upload, error=exc)
        log.info("Processed upload %r: detection %s, %d faces", name, detection.id, len(detection.faces))
        return self._finish(name, upload, detection_id=detection.id)

    def give_up(self, name: str, error: FaceDetectError) -> Upload | None:
        """End the upload ``name`` as failed with ``error`` (where nothing will retry a transient fault)."""
        upload = self._find(name)
        if upload is not None and upload.status == "pending" and not self.uploads.finish(
                upload.failed(error.code, error.message)):
            upload = self.uploads.get(name)
        self.inbox.delete(name)
        return self._find(name) if upload is not None else None

    def _find(self, name: str) -> Upload | None:
        if not is_upload_id(name):
            return None
        try:
            return self.uploads.get(name)
        except UploadNotFound:
            return None

    def _finish(self, name: str, upload: Upload | None, *, detection_id: str | None = None,
                error: InvalidInput | UnsupportedImageFormat | ImageTooLarge | None = None) -> Upload | None:
        if error is not None:
            log.info("Upload %r failed: %s (%s)", name, error.code, error.message)
        if upload is not None:
            outcome = upload.done(detection_id) if detection_id else \
                upload.failed(error.code if error else "internal_error", error.message if error else "")
            if not self.uploads.finish(outcome):
                outcome = self.uploads.get(upload.upload_id)  # a concurrent delivery recorded it first
            upload = outcome
        self.inbox.delete(name)
        return upload

