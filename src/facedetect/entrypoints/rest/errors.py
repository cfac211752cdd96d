"""The one mapping from failures to HTTP responses: ``{"error": {"code", "message", "request_id"}}``.

* :class:`facedetect.errors.FaceDetectError` -> its ``http_status``, ``code`` and ``message`` (an
  error with ``retry_after_seconds``, e.g. ``StorageUnavailable`` or ``NotEnoughTime``, adds
  ``Retry-After``); its ``detail`` (bucket, table, keys, paths) is logged, never sent;
* invalid query parameters (Powertools' request validation) -> 400 ``invalid_input``;
* no route -> 405 ``method_not_allowed`` with ``Allow`` when the path exists with other
  methods (Powertools itself only answers 404), else 404 ``route_not_found``;
* anything else is a bug -> 500 ``internal_error``, the traceback logged, never sent.

Every failure is logged once (never the body) and reported to the app's observer.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from facedetect.entrypoints.rest.events import shown_path
from facedetect.errors import FaceDetectError

if TYPE_CHECKING:
    from facedetect.entrypoints.rest.application import FaceDetectApp

logger = logging.getLogger(__name__)


def error_response(app: FaceDetectApp, status: int, code: str, message: str,
                   headers: dict[str, str] | None = None) -> Response[Any]:
    """The JSON error response for the request being resolved by ``app``; reports it to the observer."""
    app.observer.failed(code, status)
    body = {"error": {"code": code, "message": message, "request_id": app.request_id}}
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body,
                    headers={"Cache-Control": "no-store", **(headers or {})})


def register_error_handlers(app: FaceDetectApp) -> None:
    """Install the exception handlers on ``app`` (the only place errors become responses)."""

    def known_error(exc: FaceDetectError) -> Response[Any]:
        _log(app, exc.http_status, exc.code, exc.detail)  # the detail names resources: log only
        headers = {}
        retry_after = getattr(exc, "retry_after_seconds", None)  # every retryable error (503) has one
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        return error_response(app, exc.http_status, exc.code, exc.message, headers)

    def invalid_parameter(exc: RequestValidationError) -> Response[Any]:
        message = "; ".join(_describe(error) for error in exc.errors()) or "Invalid request."
        _log(app, 400, "invalid_input", message)
        return error_response(app, 400, "invalid_input", message)

    def no_route(exc: NotFoundError) -> Response[Any]:
        event = app.current_event
        allowed = app.allowed_methods(event.path)
        method, path = shown_path(event.http_method), shown_path(event.path)  # short, escaped: no forged log lines
        if allowed:
            message = f"{method} is not allowed on {path}; use {', '.join(allowed)}."
            _log(app, 405, "method_not_allowed", message)
            return error_response(app, 405, "method_not_allowed", message, {"Allow": ", ".join(allowed)})
        message = f"There is no {method} {path}; see /openapi.json for the routes."
        _log(app, 404, "route_not_found", message)
        return error_response(app, 404, "route_not_found", message)

    def bug(exc: Exception) -> Response[Any]:
        logger.exception("Unhandled error while serving the request",
                         extra={"request_id": app.request_id, "code": "internal_error", "status": 500})
        message = f"An internal error occurred; it has been logged with request id {app.request_id}."
        return error_response(app, 500, "internal_error", message)

    app.handle(FaceDetectError, known_error)
    app.handle(RequestValidationError, invalid_parameter)
    app.handle(NotFoundError, no_route)  # what Powertools raises when no route matches
    app.handle(Exception, bug)


def _log(app: FaceDetectApp, status: int, code: str, message: str) -> None:
    """One line per failure: the client's mistakes at INFO, the server's at WARNING/ERROR, no traceback."""
    level = logging.INFO if status < 500 else logging.WARNING if status == 503 else logging.ERROR
    logger.log(level, "%s: %s", code, message, extra={"request_id": app.request_id, "code": code, "status": status})


def _describe(error: dict[str, Any]) -> str:
    """``{"loc": ("query", "limit"), "msg": "..."}`` -> ``"query parameter limit: ..."`` (never the input)."""
    location = [str(part) for part in error.get("loc", ())]
    where = f"{location[0]} parameter {'.'.join(location[1:])}" if len(location) > 1 else "request"
    return f"{where}: {error.get('msg', 'invalid value')}"
