"""The application service: decode, detect, store the image, store the detection."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime

from facedetect.core.domain import Detection
from facedetect.core.imaging import ImageLimits, decode, identify
from facedetect.core.ports import DetectionRepository, FaceDetector, ImageStore, Page
from facedetect.errors import DetectionNotFound


def detection_id(image_sha256: str, detector: FaceDetector) -> str:
    """The id of a detection: a hash of the image content and the detector configuration."""
    config = json.dumps({"detector": detector.name, "parameters": detector.parameters}, sort_keys=True)
    return hashlib.sha256(f"{image_sha256}\n{config}".encode()).hexdigest()[:32]


class FaceDetectionService:
    """Finds faces in images and keeps the image and the result.

    Storage rule (every detection that can be read has its image):

    * The image is stored first, then the detection, so a detection is never visible
      without its image.
    * A failed detection write never deletes the image. Images are content-addressed and
      shared by every detection of the same bytes (other detector settings give other
      detections), some of which this call cannot see being committed, and a write whose
      answer was lost may have been applied. An image without a detection is harmless: the
      retry reuses it, so each image is stored once.
    * After a failed detection write, one consistent read decides: the detection is stored
      (the answer was lost) -> the call succeeds with it; it is not, or the read fails too
      -> the write's error propagates.
    * Returning a detection that was already stored first makes sure its image is present
      (``ImageStore.exists``) and stores the bytes again if not, which heals what an
      interrupted or older writer left.

    Idempotence: the detection id derives from the image bytes and the detector settings,
    so the same bytes detected with the same settings return the stored detection without
    running the detector again, and are stored once. Calls that race on new bytes all answer
    with the one detection that was stored.

    Parameters
    ----------
    detector
        The face detector to use.
    images, detections
        Where images and detections are kept.
    limits
        Byte and pixel bounds on accepted images.
    clock
        Returns "now" in UTC; injectable for tests.
    """

    def __init__(
        self,
        detector: FaceDetector,
        images: ImageStore,
        detections: DetectionRepository,
        *,
        limits: ImageLimits | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.detector = detector
        self.images = images
        self.detections = detections
        self.limits = limits or ImageLimits()
        self._clock = clock or (lambda: datetime.now(UTC))

    def detect(self, image_bytes: bytes, *, store: bool = True, detector: FaceDetector | None = None) -> Detection:
        """Detect faces in ``image_bytes`` and, unless ``store`` is false, keep image and result.

        Parameters
        ----------
        image_bytes
            The encoded image (JPEG, PNG, WebP, BMP or TIFF).
        store
            Keep the image and the detection; ``False`` only detects.
        detector
            Use this detector instead of the service's own for this call (per-request options).

        Raises
        ------
        InvalidImage, UnsupportedImageFormat, ImageTooLarge
            Bad input; nothing is stored.
        StorageError, StorageUnavailable
            A store failed; no detection is visible without its image (see the storage rule).
        """
        detector = detector or self.detector
        identify(image_bytes, self.limits)  # cheap checks before hashing megabytes
        sha256 = hashlib.sha256(image_bytes).hexdigest()
        det_id = detection_id(sha256, detector)
        if store:
            try:
                existing = self.detections.get(det_id)
            except DetectionNotFound:
                pass
            else:
                self._ensure_image(existing, image_bytes)
                return existing
        started = time.perf_counter()
        decoded = decode(image_bytes, self.limits)
        faces = detector.detect(decoded.pixels)
        detection = Detection(
            id=det_id,
            sha256=sha256,
            media_type=decoded.format.media_type,
            width=decoded.width,
            height=decoded.height,
            faces=tuple(faces),
            detector=detector.name,
            parameters=detector.parameters,
            created_at=self._clock(),
            duration_ms=round((time.perf_counter() - started) * 1000.0, 3),
        )
        if store and not self._store(detection, image_bytes):
            return self.detections.get(det_id)  # a concurrent call stored it first: answer as it did
        return detection

    def _store(self, detection: Detection, image_bytes: bytes) -> bool:
        """Store image then detection; ``False`` if the detection is already there (see the storage rule)."""
        self.images.put(detection.image_key, image_bytes, media_type=detection.media_type)
        try:
            return self.detections.add(detection)
        except Exception:
            if self._is_stored(detection.id):
                return False  # applied, but its answer was lost: read it like a concurrent call's
            raise  # the image stays: it may be needed, and the retry reuses it

    def _is_stored(self, detection_id: str) -> bool:
        """Whether the detection reads back; ``False`` when that cannot be known either."""
        try:
            self.detections.get(detection_id)
        except Exception:  # DetectionNotFound, or the store is still failing
            return False
        return True

    def _ensure_image(self, detection: Detection, image_bytes: bytes) -> None:
        """Store the image of an already stored detection again if it is missing."""
        if not self.images.exists(detection.image_key):
            self.images.put(detection.image_key, image_bytes, media_type=detection.media_type)

    def get(self, detection_id: str) -> Detection:
        """The stored detection; raises ``DetectionNotFound``."""
        return self.detections.get(detection_id)

    def list(self, *, limit: int = 20, cursor: str | None = None) -> Page:
        """Stored detections, newest first."""
        return self.detections.list(limit=limit, cursor=cursor)

    def image(self, detection_id: str) -> tuple[bytes, str]:
        """The stored image of a detection and its media type."""
        detection = self.detections.get(detection_id)
        return self.images.get(detection.image_key), detection.media_type

    def delete(self, detection_id: str) -> None:
        """Forget a detection (its image stays: other detections may share it)."""
        self.detections.delete(detection_id)
