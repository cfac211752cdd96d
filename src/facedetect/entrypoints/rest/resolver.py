"""``APIGatewayRestResolver`` made safe for concurrent requests in one process.

Powertools keeps the request being resolved in *shared* places: the event and the Lambda
context on the ``BaseRouter`` class itself, the routing context on the resolver instance,
and each route's middleware stack is built lazily on its first request. That is fine in
Lambda (one invocation per process at a time) but wrong for a threaded local server or
a test firing 50 invocations in parallel: one request would read another's body. Here
all per-request state lives in a ``threading.local``, middleware stacks are built under a
lock, and every response carries the request id. A path with a control character is routed
nowhere: Powertools matches rules with ``match`` and ``$``, which also matches before a final
newline, so ``/faces`` + newline would be answered as ``GET /faces``.

This module is the only one that touches Powertools internals (``_resolve``,
``_build_response``, ``_call_route``, ``_get_base_path``, the route lists); the concurrency
tests guard it, and ``pyproject.toml`` pins Powertools 3.x from 3.37.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from facedetect.entrypoints.rest.events import checked_event
from facedetect.errors import InvalidEvent

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-Id"
#: No route's path holds one of these (a final newline would fool the rules' ``$``).
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


class ConcurrentRestResolver(APIGatewayRestResolver):
    """A REST (API Gateway v1 payload) resolver whose ``resolve`` may run in many threads at once."""

    def __init__(self, **options: Any) -> None:
        self._state = threading.local()
        self._build_lock = threading.Lock()
        options.setdefault("debug", False)  # never let POWERTOOLS_DEV print events or tracebacks
        super().__init__(**options)

    # --- per-thread request state ------------------------------------------------------------

    @property  # type: ignore[override]  # APIGatewayRestResolver narrows it the same way
    def current_event(self) -> APIGatewayProxyEvent:
        event: APIGatewayProxyEvent = self._state.event
        return event

    @current_event.setter
    def current_event(self, value: APIGatewayProxyEvent) -> None:
        self._state.event = value

    @property
    def lambda_context(self) -> LambdaContext:
        context: LambdaContext = self._state.lambda_context
        return context

    @lambda_context.setter
    def lambda_context(self, value: LambdaContext) -> None:
        self._state.lambda_context = value

    @property
    def context(self) -> dict[str, Any]:
        try:
            routing: dict[str, Any] = self._state.routing
        except AttributeError:
            routing = self._state.routing = {}
        return routing

    @context.setter
    def context(self, value: dict[str, Any]) -> None:
        self._state.routing = value

    @property
    def processed_stack_frames(self) -> list[str]:
        try:
            frames: list[str] = self._state.frames
        except AttributeError:
            frames = self._state.frames = []
        return frames

    @processed_stack_frames.setter
    def processed_stack_frames(self, value: list[str]) -> None:
        self._state.frames = value

    @property
    def request_id(self) -> str:
        """The id of the request being resolved: API Gateway's ``requestContext.requestId``.

        Falls back to the Lambda request id, then to a fresh UUID, so it is never empty.
        """
        try:
            request_id: str = self._state.request_id
        except AttributeError:
            request_id = self._state.request_id = str(uuid.uuid4())
        return request_id

    @property
    def base_path(self) -> str:
        """The stage prefix clients use for this request (``/prod`` behind API Gateway, ``""`` locally)."""
        return self._get_base_path()

    def _get_base_path(self) -> str:
        """Powertools' rule (the stage, when the path as called starts with it), tolerating absent fields."""
        context = self.current_event.get("requestContext") or {}
        stage, path = context.get("stage"), context.get("path") or ""
        return f"/{stage}" if stage and stage != "$default" and path.startswith(f"/{stage}") else ""

    # --- resolution ------------------------------------------------------------------------

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        """Resolve one API Gateway REST proxy event into a proxy result (thread-safe).

        Any ``event`` gets an answer: one API Gateway would never send is answered 400
        ``invalid_event`` (see :func:`~facedetect.entrypoints.rest.events.checked_event`).
        """
        try:
            checked = checked_event(event)
        except InvalidEvent as exc:
            self._state.request_id = _request_id({}, context)
            return self.refuse_event(exc)
        self.current_event = APIGatewayProxyEvent(checked, self._json_body_deserializer)
        self.lambda_context = context
        self._state.request_id = _request_id(checked, context)
        try:
            result: dict[str, Any] = self._build_response(self._resolve())
        finally:
            self.context.clear()
        headers = result.setdefault("multiValueHeaders", {})
        headers[REQUEST_ID_HEADER] = [self.request_id]
        return result

    def refuse_event(self, exc: InvalidEvent) -> dict[str, Any]:
        """The proxy result for an event that could not be read (400, the API's JSON error body)."""
        logger.info("%s: %s", exc.code, exc.message,
                    extra={"request_id": self.request_id, "code": exc.code, "status": exc.http_status})
        body = {"error": {"code": exc.code, "message": exc.message, "request_id": self.request_id}}
        return {"statusCode": exc.http_status,
                "multiValueHeaders": {"Content-Type": ["application/json"], "Cache-Control": ["no-store"],
                                      REQUEST_ID_HEADER: [self.request_id]},
                "body": json.dumps(body, separators=(",", ":")), "isBase64Encoded": False}

    def _resolve(self) -> Any:
        event = self.current_event
        if _CONTROL_CHARACTER.search(event.path):
            return self._handle_not_found(method=event.http_method.upper(), path=event.path)
        return super()._resolve()

    def _call_route(self, route: Any, route_arguments: dict[str, str]) -> Any:
        if not route._middleware_stack_built:
            with self._build_lock:  # two first requests must not wrap the stack twice
                if not route._middleware_stack_built:
                    route._build_middleware_stack(router_middlewares=self._router_middlewares, app=self)
        return super()._call_route(route, route_arguments)

    def handle(self, exc_class: type[Exception], handler: Callable[[Any], Response[Any]]) -> None:
        """Answer exceptions of ``exc_class`` (and subclasses) with ``handler(exc)``; typed ``exception_handler``."""
        self.exception_handler_manager.update_exception_handlers({exc_class: handler})

    def allowed_methods(self, path: str) -> list[str]:
        """The methods registered for ``path`` (empty when no route matches it at all; the whole path must)."""
        routes = [*self._static_routes, *self._dynamic_routes]
        return sorted({route.method for route in routes if route.rule.fullmatch(path)})


def _request_id(event: Mapping[str, Any], context: LambdaContext | None) -> str:
    request_context = event.get("requestContext") or {}
    found = request_context.get("requestId") if isinstance(request_context, dict) else None
    if not found and context is not None:
        found = getattr(context, "aws_request_id", None)
    return str(found) if found else str(uuid.uuid4())
