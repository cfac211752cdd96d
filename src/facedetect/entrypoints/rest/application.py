"""``FaceDetectApp``: the resolver that serves the API, with its lazily built service and observer.

A Powertools ``APIGatewayRestResolver`` made thread-safe
(:mod:`~facedetect.entrypoints.rest.resolver`). The routes and the error handlers are
registered on it by :func:`facedetect.entrypoints.rest.app.create_app`; they name its type, and
this module imports none of them, so no import goes in a circle.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from facedetect.entrypoints.rest.cors import CorsPolicy
from facedetect.entrypoints.rest.resolver import ConcurrentRestResolver
from facedetect.entrypoints.rest.schemas import API_DESCRIPTION

if TYPE_CHECKING:
    from facedetect.domain.model import Detection
    from facedetect.errors import InvalidEvent
    from facedetect.service.detections import FaceDetectionService

ServiceFactory = Callable[[], "FaceDetectionService"]


class RequestObserver(Protocol):
    """Told about each detection served and each error answered (metrics hook)."""

    def detected(self, detection: Detection) -> None:
        """A detection was returned to the client."""

    def failed(self, code: str, status: int) -> None:
        """An error response with this ``code`` and ``status`` was returned."""


class NullObserver:
    """The default observer: ignores everything."""

    def detected(self, detection: Detection) -> None:
        return None

    def failed(self, code: str, status: int) -> None:
        return None


class LazyService:
    """Calls ``factory`` on first use, keeps the service, and builds it once even under concurrency.

    A failing factory is not remembered: the next request tries again (and fails the
    same way, loudly, if the configuration is wrong).
    """

    def __init__(self, factory: ServiceFactory) -> None:
        self._factory = factory
        self._service: FaceDetectionService | None = None
        self._lock = threading.Lock()

    def get(self) -> FaceDetectionService:
        """The service, built on the first call."""
        service = self._service
        if service is None:
            with self._lock:
                if self._service is None:
                    self._service = self._factory()
                service = self._service
        return service

    def reset(self) -> None:
        """Forget the service; the next :meth:`get` builds a new one (tests, configuration reloads)."""
        with self._lock:
            self._service = None

    def set(self, service: FaceDetectionService) -> None:
        """Keep ``service`` as if the factory had built it (tests install a prepared one)."""
        with self._lock:
            self._service = service


class FaceDetectApp(ConcurrentRestResolver):
    """The resolver serving the facedetect API, with its lazily built service.

    Attributes
    ----------
    services
        The :class:`LazyService` holding the service.
    observer
        Receives each detection and error (the Lambda records metrics with it).
    deadline_margin_s
        With a value, detections must finish this many seconds before the Lambda context's
        remaining time runs out (time to store and answer); ``None``: no deadline.
    """

    def __init__(self, service_factory: ServiceFactory | LazyService, *,
                 observer: RequestObserver | None = None,
                 deadline_margin_s: float | None = None) -> None:
        super().__init__(enable_validation=False)  # enabled per route: only routes with query parameters
        self.services = service_factory if isinstance(service_factory, LazyService) else LazyService(service_factory)
        self.observer: RequestObserver = observer or NullObserver()
        self.deadline_margin_s = deadline_margin_s
        self._openapi_cache: dict[str, str] = {}
        self.cors = CorsPolicy()

    def resolve(self, event: Any, context: Any) -> dict[str, Any]:
        """Resolve one proxy event, with CORS for allowed origins (:mod:`~facedetect.entrypoints.rest.cors`)."""
        return self.cors.apply(event, self.allowed_methods, lambda: super(FaceDetectApp, self).resolve(event, context))

    def time_left_s(self) -> float | None:
        """Seconds a detection may take in this request (``None``: no deadline)."""
        remaining = getattr(self.lambda_context, "get_remaining_time_in_millis", None)
        if self.deadline_margin_s is None or remaining is None:
            return None
        return float(remaining()) / 1000.0 - self.deadline_margin_s

    def refuse_event(self, exc: InvalidEvent) -> dict[str, Any]:
        self.observer.failed(exc.code, exc.http_status)
        return super().refuse_event(exc)

    @property
    def service(self) -> FaceDetectionService:
        """The service (built on first use)."""
        return self.services.get()

    def openapi_document(self, base_path: str = "") -> str:
        """The OpenAPI document as JSON, with ``base_path`` (e.g. ``/prod``) as the server URL."""
        cached = self._openapi_cache.get(base_path)
        if cached is None:
            from aws_lambda_powertools.event_handler.openapi.models import Server

            from facedetect import __version__
            from facedetect.entrypoints.rest.schemas import without_unused_schemas

            cached = without_unused_schemas(self.get_openapi_json_schema(
                title="facedetect", version=__version__, description=API_DESCRIPTION,
                servers=[Server(url=base_path or "/")],
            ))
            self._openapi_cache[base_path] = cached
        return cached
