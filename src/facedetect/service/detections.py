"""The application service: plan, decode, detect, store the image, store the detection."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from facedetect.domain.budget import DEFAULT_WORK_BUDGET_MP, MAX_FACES, WorkPlan, WorkRate, plan_work
from facedetect.domain.imaging import ImageInfo, ImageLimits, decode, identify, probe
from facedetect.domain.model import Detection, Face
from facedetect.domain.ports import DetectionRepository, FaceDetector, ImageStore, Page
from facedetect.errors import DetectionNotFound, InvalidInput, NotEnoughTime

#: Builds the detector for per-request options over the service's own (``None``: the own one).
DetectorFor = Callable[[FaceDetector, Mapping[str, Any]], "FaceDetector | None"]


def detection_id(image_sha256: str, detector: FaceDetector, parameters: dict[str, Any] | None = None) -> str:
    """The id of a detection: a hash of the image content and the detector configuration.

    ``parameters`` (default: the detector's) are what the detection records; they differ from the
    detector's only when the work budget shrank the image (``scaled_to``), so other ids never change.
    """
    parameters = detector.parameters if parameters is None else parameters
    config = json.dumps({"detector": detector.name, "parameters": parameters}, sort_keys=True)
    return hashlib.sha256(f"{image_sha256}\n{config}".encode()).hexdigest()[:32]


def recorded_parameters(detector: FaceDetector, plan: WorkPlan) -> dict[str, Any]:
    """The detector's parameters, plus ``scaled_to: [width, height]`` when the budget shrank the image
    further than the detector's own ``max_dimension`` asks."""
    parameters = dict(detector.parameters)
    max_dimension = parameters.get("max_dimension")
    by_option = max_dimension is not None and max(plan.width, plan.height) >= max_dimension
    if plan.downscaled and not by_option:
        parameters["scaled_to"] = [plan.width, plan.height]
    return parameters


def detect_as_planned(detector: FaceDetector, image_bytes: bytes, plan: WorkPlan,
                      limits: ImageLimits) -> tuple[list[Face], ImageInfo]:
    """Decode ``image_bytes`` at the plan's size, detect, and map the faces back to original pixels.

    Returns the faces (at most :data:`~facedetect.domain.budget.MAX_FACES`, most confident first)
    and the format and full size of the picture (after EXIF orientation).
    """
    decoded = decode(image_bytes, limits, size=(plan.width, plan.height) if plan.downscaled else None)
    # Shrunk: sizes in original pixels shrink alike, boxes come back in working pixels. Full size:
    # the detector is called exactly as on its own.
    found = detector.detect(decoded.pixels, scale=plan.scale) if plan.downscaled else detector.detect(decoded.pixels)
    info = ImageInfo(decoded.format, decoded.full_width, decoded.full_height)
    del decoded  # the pixels are not needed any more
    faces = [face for face in (f.unscaled(plan.scale, image_width=info.width, image_height=info.height)
                               for f in found[:MAX_FACES]) if face is not None]
    return faces, info


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
    work_budget_mp
        Most work one detection may cost, in pyramid megapixels (:mod:`facedetect.domain.budget`);
        larger images are shrunk to fit before detection. ``None``: no bound.
    work_rate
        Predicts a detection's duration, for callers with a deadline (default: a fresh one).
    detector_for
        Builds (and may cache) the detector for per-request options layered over ``detector``;
        returns ``None`` for "use ``detector``" and raises ``InvalidInput`` for options it refuses
        (:class:`facedetect.detectors.cache.DetectorCache` is what ``bootstrap`` passes).
        Default: no per-request options; any given is refused.
    clock
        Returns "now" in UTC; injectable for tests.

    The detector and the stores are the service's own: callers use its methods, never them.
    """

    def __init__(
        self,
        detector: FaceDetector,
        images: ImageStore,
        detections: DetectionRepository,
        *,
        limits: ImageLimits | None = None,
        work_budget_mp: float | None = DEFAULT_WORK_BUDGET_MP,
        work_rate: WorkRate | None = None,
        detector_for: DetectorFor | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._detector = detector
        self._images = images
        self._detections = detections
        self._detector_for = detector_for
        self.limits = limits or ImageLimits()
        self.work_budget_mp = work_budget_mp
        self.work_rate = work_rate or WorkRate()
        self._clock = clock or (lambda: datetime.now(UTC))

    @property
    def detector_name(self) -> str:
        """The name of the service's own detector (``haar``, ``haar-multi``, ``yunet``)."""
        return self._detector.name

    def describe(self) -> dict[str, str]:
        """What this service is made of, for start-up logs: detector name and store classes."""
        return {"detector": self._detector.name, "images": type(self._images).__name__,
                "detections": type(self._detections).__name__}

    def detector_for(self, options: Mapping[str, Any]) -> FaceDetector:
        """The detector for per-request ``options`` (``None`` values: not given) over the service's own.

        Raises
        ------
        InvalidInput
            The options do not apply to this service's detector, or a value is out of range.
        """
        given = {name: value for name, value in options.items() if value is not None}
        if not given:
            return self._detector
        if self._detector_for is None:
            raise InvalidInput(f"This service takes no detector options ({', '.join(sorted(given))}).")
        return self._detector_for(self._detector, given) or self._detector

    def remove_stale_temp_files(self) -> int:
        """Delete what a killed writer left in stores that keep temporary files; how many went."""
        removed = 0
        for store in (self._images, self._detections):
            sweep = getattr(store, "remove_stale_temp_files", None)
            if callable(sweep):
                removed += int(sweep())
        return removed

    def detect(self, image_bytes: bytes, *, store: bool = True, detector: FaceDetector | None = None,
               time_left_s: float | None = None) -> Detection:
        """Detect faces in ``image_bytes`` and, unless ``store`` is false, keep image and result.

        Parameters
        ----------
        image_bytes
            The encoded image (JPEG, PNG, WebP, BMP or TIFF).
        store
            Keep the image and the detection; ``False`` only detects.
        detector
            Use this detector instead of the service's own for this call (per-request options).
        time_left_s
            Seconds the caller can wait; a detection predicted to take longer is refused
            (``NotEnoughTime``) rather than started. ``None``: no deadline.

        Raises
        ------
        InvalidImage, UnsupportedImageFormat, ImageTooLarge
            Bad input; nothing is stored.
        NotEnoughTime
            Predicted not to finish within ``time_left_s``; nothing is stored.
        StorageError, StorageUnavailable
            A store failed; no detection is visible without its image (see the storage rule).
        """
        if not isinstance(image_bytes, bytes | bytearray | memoryview):
            raise InvalidInput(f"detect() takes the image's bytes, not {type(image_bytes).__name__}; for a file, "
                               "pass open(path, 'rb').read(), or use facedetect.detect_faces(path).")
        image_bytes = bytes(image_bytes)
        detector = detector or self._detector
        identify(image_bytes, self.limits)  # cheap checks before hashing megabytes
        info = probe(image_bytes, self.limits)  # the header only: plan before decoding
        plan = plan_work(detector.name, detector.parameters, info.width, info.height, self.work_budget_mp)
        parameters = recorded_parameters(detector, plan)
        sha256 = hashlib.sha256(image_bytes).hexdigest()
        det_id = detection_id(sha256, detector, parameters)
        if store:
            try:
                existing = self._detections.get(det_id)
            except DetectionNotFound:
                pass
            else:
                self._ensure_image(existing, image_bytes)
                return existing
        predicted = self.work_rate.predict(plan, info.width * info.height)
        if time_left_s is not None and predicted > time_left_s:
            raise NotEnoughTime(f"The detection would take about {predicted:.0f} s; only {max(0.0, time_left_s):.0f} s "
                                "are left to answer. Try again, or send a smaller image.")
        started = time.perf_counter()
        faces, decoded = detect_as_planned(detector, image_bytes, plan, self.limits)
        self.work_rate.observe(plan.work, time.perf_counter() - started)
        detection = Detection(
            id=det_id,
            sha256=sha256,
            media_type=decoded.format.media_type,
            width=decoded.width,
            height=decoded.height,
            faces=tuple(faces),
            detector=detector.name,
            parameters=parameters,
            created_at=self._clock(),
            duration_ms=round((time.perf_counter() - started) * 1000.0, 3),
        )
        if store and not self._store(detection, image_bytes):
            return self._detections.get(det_id)  # a concurrent call stored it first: answer as it did
        return detection

    def _store(self, detection: Detection, image_bytes: bytes) -> bool:
        """Store image then detection; ``False`` if the detection is already there (see the storage rule)."""
        self._images.put(detection.image_key, image_bytes, media_type=detection.media_type)
        try:
            return self._detections.add(detection)
        except Exception:
            if self._is_stored(detection.id):
                return False  # applied, but its answer was lost: read it like a concurrent call's
            raise  # the image stays: it may be needed, and the retry reuses it

    def _is_stored(self, detection_id: str) -> bool:
        """Whether the detection reads back; ``False`` when that cannot be known either."""
        try:
            self._detections.get(detection_id)
        except Exception:  # DetectionNotFound, or the store is still failing
            return False
        return True

    def _ensure_image(self, detection: Detection, image_bytes: bytes) -> None:
        """Store the image of an already stored detection again if it is missing."""
        if not self._images.exists(detection.image_key):
            self._images.put(detection.image_key, image_bytes, media_type=detection.media_type)

    def get(self, detection_id: str) -> Detection:
        """The stored detection; raises ``DetectionNotFound``."""
        return self._detections.get(detection_id)

    def list(self, *, limit: int = 20, cursor: str | None = None) -> Page:
        """Stored detections, newest first."""
        return self._detections.list(limit=limit, cursor=cursor)

    def image(self, detection_id: str) -> tuple[bytes, str]:
        """The stored image of a detection and its media type."""
        detection = self._detections.get(detection_id)
        return self._images.get(detection.image_key), detection.media_type

    def image_url(self, detection_id: str, *, ttl: int) -> str | None:
        """A link to the stored image of a detection, valid ``ttl`` seconds; ``None``: use :meth:`image`.

        Raises ``DetectionNotFound`` for an unknown detection.
        """
        detection = self._detections.get(detection_id)
        return self._images.url_for(detection.image_key, ttl)

    def delete(self, detection_id: str) -> None:
        """Forget a detection (its image stays: other detections may share it)."""
        self._detections.delete(detection_id)
