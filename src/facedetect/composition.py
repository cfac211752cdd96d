"""The composition root: the one place that binds ports to adapters from settings."""

from __future__ import annotations

import logging
import weakref
from typing import TYPE_CHECKING, Any

from facedetect.detectors import create_detector
from facedetect.detectors.cache import DetectorCache
from facedetect.domain.imaging import ImageLimits
from facedetect.domain.ports import DetectionRepository, FaceDetector, ImageStore, UploadRepository
from facedetect.errors import ConfigurationError
from facedetect.service.detections import FaceDetectionService
from facedetect.service.uploads import UploadService
from facedetect.settings import Settings, load_settings

if TYPE_CHECKING:
    from facedetect.adapters.aws.dynamodb.repository import DynamoDBDetectionRepository
    from facedetect.adapters.aws.s3 import S3ImageStore

log = logging.getLogger(__name__)

#: The stores ``bootstrap`` gave each service it built: the upload service goes on the same
#: storage (the service itself keeps its stores private).
_STORES: weakref.WeakKeyDictionary[FaceDetectionService, tuple[ImageStore, DetectionRepository]] = \
    weakref.WeakKeyDictionary()


def bootstrap(settings: Settings | None = None, *, images: ImageStore | None = None,
              detections: DetectionRepository | None = None, detector: FaceDetector | str | None = None,
              **overrides: Any) -> FaceDetectionService:
    """Build a ready service: production defaults from ``settings``, or the parts you hand in.

    Parameters
    ----------
    settings
        A complete ``Settings`` (default: the environment, ``FACEDETECT_*``); ``overrides``
        replace some of its fields.
    images, detections
        The stores to use instead of the ones the settings name (tests pass the in-memory
        fakes, or fault-injecting ones, and keep them to look inside). Give both or neither.
    detector
        The detector to use instead of the one the settings name; a name (``"yunet"``) is the
        settings field ``detector``, as in ``FACEDETECT_DETECTOR``.
    **overrides
        Any ``Settings`` field, e.g. ``backend="memory"`` or ``data_dir="/tmp/faces"``.

    The detectors for per-request options (``scale_factor``, ``small_faces``, ...) are built
    and cached here, one cache per service (:class:`~facedetect.detectors.cache.DetectorCache`).

    Examples
    --------
    >>> service = bootstrap(backend="memory")
    >>> detection = service.detect(open("group.jpg", "rb").read())  # doctest: +SKIP
    >>> from facedetect.adapters.memory import InMemoryDetectionRepository, InMemoryImageStore
    >>> service = bootstrap(images=InMemoryImageStore(), detections=InMemoryDetectionRepository())
    """
    if settings is not None and not isinstance(settings, Settings):
        raise ConfigurationError(f"bootstrap() takes a Settings or keywords, not {type(settings).__name__}; "
                                 f"e.g. bootstrap(backend={settings!r}).")
    if (images is None) != (detections is None):
        raise ConfigurationError("bootstrap() takes both images= and detections=, or neither.")
    if isinstance(detector, str):
        overrides["detector"], detector = detector, None
    if settings is None:
        settings = load_settings(**overrides)
    elif overrides:
        settings = load_settings(**{**settings.model_dump(), **overrides})
    if images is None or detections is None:
        images, detections = build_stores(settings)
    if detector is None:
        detector = create_detector(settings.detector, **settings.detector_options())
    limits = ImageLimits(max_bytes=settings.max_bytes, max_pixels=settings.max_pixels)
    service = FaceDetectionService(detector, images, detections, limits=limits,
                                   work_budget_mp=settings.work_budget_mp,
                                   detector_for=DetectorCache().for_request)
    _STORES[service] = (images, detections)
    return service


def build_stores(settings: Settings) -> tuple[ImageStore, DetectionRepository]:
    """The image store and detection repository the settings ask for."""
    if settings.backend == "memory":
        from facedetect.adapters.memory import InMemoryDetectionRepository, InMemoryImageStore

        return InMemoryImageStore(), InMemoryDetectionRepository()
    if settings.backend == "filesystem":
        from facedetect.adapters.filesystem import FilesystemDetectionRepository, FilesystemImageStore

        return FilesystemImageStore(settings.data_dir), FilesystemDetectionRepository(settings.data_dir)
    return build_aws_stores(settings)


def build_aws_stores(settings: Settings) -> tuple[S3ImageStore, DynamoDBDetectionRepository]:
    """The S3 image store and DynamoDB repository ``settings`` name, with their clients.

    The adapters take clients and names; this is where ``FACEDETECT_S3_BUCKET``,
    ``FACEDETECT_S3_PREFIX``, ``FACEDETECT_DYNAMODB_TABLE`` and ``FACEDETECT_AWS_ENDPOINT_URL``
    become them.

    Raises
    ------
    ConfigurationError
        No bucket configured, or no AWS region.
    """
    if not settings.s3_bucket:
        raise ConfigurationError("Invalid configuration: FACEDETECT_S3_BUCKET is required when "
                                 "FACEDETECT_BACKEND=aws")
    from facedetect.adapters.aws.clients import dynamodb_client, s3_client, sdk_versions
    from facedetect.adapters.aws.dynamodb.repository import DynamoDBDetectionRepository
    from facedetect.adapters.aws.s3 import S3ImageStore, supports_conditional_put

    endpoint = settings.aws_endpoint_url or None
    s3 = s3_client(endpoint)
    log.info("AWS SDK %s; conditional S3 writes %s", sdk_versions(),
             "available" if supports_conditional_put(s3) else "unavailable: HeadObject then PutObject")
    images = S3ImageStore(settings.s3_bucket, prefix=settings.s3_prefix, client=s3)
    detections = DynamoDBDetectionRepository(settings.dynamodb_table, client=dynamodb_client(endpoint))
    return images, detections


def build_upload_service(service: FaceDetectionService) -> UploadService:
    """The upload service next to ``service``, on the same kind of storage.

    S3 and DynamoDB stores give presigned POSTs to ``uploads/`` in the same bucket and upload
    records in the same table (processed by the SQS handler); other stores give the local
    server's signed URLs, processed in the background in this process, with records beside
    the detections (filesystem) or in memory. A service ``bootstrap`` did not build gets the
    in-memory kind.
    """
    from facedetect.adapters.aws.dynamodb.repository import DynamoDBDetectionRepository
    from facedetect.adapters.aws.s3 import S3ImageStore
    from facedetect.adapters.filesystem import FilesystemDetectionRepository

    images, detections = _STORES.get(service, (None, None))
    if isinstance(images, S3ImageStore) and isinstance(detections, DynamoDBDetectionRepository):
        from facedetect.adapters.aws.dynamodb.uploads import DynamoDBUploadRepository
        from facedetect.adapters.aws.s3_uploads import S3UploadInbox

        return UploadService(service, DynamoDBUploadRepository(detections.table, client=detections.client),
                             S3UploadInbox(images.bucket, client=images.client))
    from facedetect.adapters.local_inbox import LocalUploadInbox
    from facedetect.service.upload_worker import BackgroundUploads

    records: UploadRepository
    if isinstance(detections, FilesystemDetectionRepository):
        from facedetect.adapters.filesystem_uploads import FilesystemUploadRepository

        records = FilesystemUploadRepository(detections.path.parent)
    else:
        from facedetect.adapters.memory_uploads import InMemoryUploadRepository

        records = InMemoryUploadRepository()
    inbox = LocalUploadInbox()
    uploads = UploadService(service, records, inbox)
    inbox.on_arrival = BackgroundUploads(uploads).submit
    return uploads
