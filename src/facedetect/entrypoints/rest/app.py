"""``create_app``: the HTTP API, defined once, for the Lambda function and the local server.

The app is a :class:`~facedetect.entrypoints.rest.application.FaceDetectApp`: the Lambda hands
it API Gateway REST proxy events, the local server translates each HTTP request into such an
event (:func:`~facedetect.entrypoints.rest.events.build_event`). Routes are in
:mod:`~facedetect.entrypoints.rest.routes` and :mod:`~facedetect.entrypoints.rest.upload_routes`,
the error mapping in :mod:`~facedetect.entrypoints.rest.errors`.

>>> from facedetect.composition import bootstrap
>>> from facedetect.entrypoints.rest.events import build_event
>>> app = create_app(lambda: bootstrap(backend="memory"))
>>> app.resolve(build_event("GET", "/faces"), None)["statusCode"]  # doctest: +SKIP
200
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from facedetect.entrypoints.rest.application import (
    FaceDetectApp,
    LazyService,
    RequestObserver,
    ServiceFactory,
)
from facedetect.entrypoints.rest.errors import register_error_handlers
from facedetect.entrypoints.rest.routes import register_routes
from facedetect.entrypoints.rest.upload_routes import register_upload_routes

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import Response

__all__ = ["FaceDetectApp", "LazyService", "RequestObserver", "create_app"]


def create_app(service_factory: ServiceFactory | LazyService, *, observer: RequestObserver | None = None,
               eager_service: bool = False, deadline_margin_s: float | None = None) -> FaceDetectApp:
    """Build the API around the service ``service_factory`` returns.

    Parameters
    ----------
    service_factory
        Zero-argument callable returning the :class:`~facedetect.service.detections.FaceDetectionService`;
        called on the first request that needs it, once, and the result reused.
    observer
        Told about detections and errors (default: nothing is recorded).
    eager_service
        Build the service before *every* route, so a configuration error answers every
        request with the 500 JSON error instead of only the routes that need storage
        (the Lambda uses this: a misconfigured function fails loudly from its first call).
    deadline_margin_s
        Refuse detections predicted to end less than this many seconds before the Lambda
        context's deadline (503 ``not_enough_time``); ``None`` (the local server): no deadline.
    """
    app = FaceDetectApp(service_factory, observer=observer, deadline_margin_s=deadline_margin_s)
    register_error_handlers(app)
    if eager_service:
        app.use([_require_service])
    register_routes(app)
    register_upload_routes(app)
    return app


def _require_service(app: FaceDetectApp, next_middleware: NextMiddleware) -> Response[Any]:
    app.services.get()
    return next_middleware(app)

