"""The HTTP API, defined once: routes, request parsing, error mapping and OpenAPI.

Served by the AWS Lambda entrypoint (:mod:`facedetect.entrypoints.aws_lambda`) and by the
local server, which turns HTTP requests into API Gateway events with :func:`build_event`.
"""

from facedetect.entrypoints.rest.app import FaceDetectApp, LazyService, RequestObserver, create_app
from facedetect.entrypoints.rest.events import build_event

__all__ = ["FaceDetectApp", "LazyService", "RequestObserver", "build_event", "create_app"]
