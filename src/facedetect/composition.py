"""The composition root: the one place that binds ports to adapters from settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from facedetect.core.imaging import ImageLimits
from facedetect.core.ports import DetectionRepository, ImageStore
from facedetect.core.service import FaceDetectionService
from facedetect.detection import create_detector
from facedetect.errors import ConfigurationError
from facedetect.settings import Settings, load_settings

if TYPE_CHECKING:
    from facedetect.adapters.dynamodb import DynamoDBDetectionRepository
    from facedetect.adapters.s3 import S3ImageStore


def bootstrap(settings: Settings | None = None, **overrides: Any) -> FaceDetectionService:
    """Build a ready service from ``settings`` (default: the environment) plus ``overrides``.

    Parameters
    ----------
    settings
        A complete ``Settings``; when given, ``overrides`` replace some of its fields.
    **overrides
        Any ``Settings`` field, e.g. ``backend="memory"`` or ``data_dir="/tmp/faces"``.

    Examples
    --------
    >>> service = bootstrap(backend="memory")
    >>> detection = service.detect(open("group.jpg", "rb").read())  # doctest: +SKIP
    """
    if settings is not None and not isinstance(settings, Settings):
        raise ConfigurationError(f"bootstrap() takes a Settings or keywords, not {type(settings).__name__}; "
                                 f"e.g. bootstrap(backend={settings!r}).")
    if settings is None:
        settings = load_settings(**overrides)
    elif overrides:
        settings = load_settings(**{**settings.model_dump(), **overrides})
    images, detections = build_stores(settings)
    detector = create_detector(settings.detector, **settings.detector_options())
    limits = ImageLimits(max_bytes=settings.max_bytes, max_pixels=settings.max_pixels)
    return FaceDetectionService(detector, images, detections, limits=limits, work_budget_mp=settings.work_budget_mp)


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
    from facedetect.adapters.aws import dynamodb_client, s3_client
    from facedetect.adapters.dynamodb import DynamoDBDetectionRepository
    from facedetect.adapters.s3 import S3ImageStore

    endpoint = settings.aws_endpoint_url or None
    images = S3ImageStore(settings.s3_bucket, prefix=settings.s3_prefix, client=s3_client(endpoint))
    detections = DynamoDBDetectionRepository(settings.dynamodb_table, client=dynamodb_client(endpoint))
    return images, detections
