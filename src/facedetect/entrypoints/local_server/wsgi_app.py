"""The local server's WSGI application: its own pages, else the Lambda's API through the proxy.

First the :mod:`~facedetect.entrypoints.local_server.guard` refuses foreign ``Host`` names and
cross-site writes. Then the split is explicit: :mod:`facedetect.entrypoints.local_server.static_site`
answers ``GET /``, ``/docs`` and ``/static/...``; every other request becomes an API Gateway
proxy event for the REST resolver. Before that, the body is bounded here using
``Content-Length`` (the waitress server already refuses oversized bodies before reading them;
this check keeps the application safe under any WSGI server), and a request with a body (an
upload) must get a detection slot from the :mod:`~facedetect.entrypoints.local_server.admission`
gate, else it is answered 503 with ``Retry-After``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, BinaryIO, Protocol, cast

from facedetect.entrypoints.local_server import static_site
from facedetect.entrypoints.local_server.admission import AdmissionGate, ServerBusy
from facedetect.entrypoints.local_server.guard import RequestGuard
from facedetect.entrypoints.local_server.proxy import (
    HttpResponse,
    LocalLambdaContext,
    from_proxy_result,
    request_path,
    to_event,
)
from facedetect.entrypoints.local_server.transport_errors import error_body, error_headers, new_request_id, status_line
from facedetect.entrypoints.rest.events import shown_path

logger = logging.getLogger(__name__)

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_READ_CHUNK = 1 << 20


class EventResolver(Protocol):
    """What the API must offer: Powertools' ``resolve(event, context) -> proxy result``."""

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]: ...


def body_limit(max_image_bytes: int, slack: int = 64 * 1024) -> int:
    """The largest request body worth reading: a base64 JSON image of ``max_image_bytes`` plus ``slack``."""
    return max_image_bytes * 4 // 3 + slack


class LocalApp:
    """WSGI application serving the local pages and, through the proxy, the API.

    Parameters
    ----------
    api
        The REST resolver (the one the Lambda handler uses), safe to call from many threads.
    max_body_bytes
        Requests declaring a longer body get 413 without it being read.
    guard
        Refuses foreign ``Host`` names and cross-site writes (``None``: no checks).
    gate
        Detection slots for requests with a body (``None``: no bound).
    """

    def __init__(self, api: EventResolver, *, max_body_bytes: int, guard: RequestGuard | None = None,
                 gate: AdmissionGate | None = None) -> None:
        self.api = api
        self.max_body_bytes = max_body_bytes
        self.guard = guard
        self.gate = gate

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD") or "GET").upper()
        path = request_path(environ)
        request_id = new_request_id()
        refusal = self.guard.refusal(method, environ) if self.guard is not None else None
        try:
            if refusal is not None:
                logger.warning("%s (%d) for %s %s", refusal.code, refusal.status, method[:16], shown_path(path))
                response = _error(refusal.status, refusal.message, request_id, code=refusal.code)
            elif static_site.handles(method, path):
                response = static_site.respond(path)
            else:
                response = self._call_api(environ, method, request_id)
        except Exception:  # a bug in the bridge: the resolver itself never raises
            logger.exception("Unhandled error in the local server (request id %s)", request_id)
            response = _error(500, f"An internal error occurred; it has been logged with request id {request_id}.",
                              request_id)
        start_response(response.status, response.headers)
        return [] if method == "HEAD" else [response.body]

    def _call_api(self, environ: dict[str, Any], method: str, request_id: str) -> HttpResponse:
        declared = str(environ.get("CONTENT_LENGTH") or "").strip()
        if not declared:
            if method in _BODY_METHODS:
                return _error(411, f"{method} needs a Content-Length header (the size of the body in bytes).",
                              request_id)
            length = 0
        elif not declared.isdigit():
            return _error(400, "The Content-Length header is not a whole number of bytes.", request_id)
        else:
            length = int(declared)
        if length > self.max_body_bytes:
            return _error(413, too_large_message(length, self.max_body_bytes), request_id)
        body = _read_exactly(cast(BinaryIO, environ["wsgi.input"]), length)
        if len(body) < length:
            return _error(400, f"The request body ended after {len(body):,} of the {length:,} bytes announced.",
                          request_id)
        if self.gate is None or method not in _BODY_METHODS:
            return self._resolve(environ, body, request_id)
        try:
            with self.gate.slot():
                return self._resolve(environ, body, request_id)
        except ServerBusy as busy:
            response = _error(503, "The server is busy with other uploads; retry in a few seconds.", request_id,
                              code="server_busy")
            response.headers.append(("Retry-After", str(busy.retry_after_seconds)))
            return response

    def _resolve(self, environ: dict[str, Any], body: bytes, request_id: str) -> HttpResponse:
        result = self.api.resolve(to_event(environ, body, request_id), LocalLambdaContext(request_id))
        return from_proxy_result(result)


def too_large_message(length: int | None, limit: int) -> str:
    """The 413 message for a request body over ``limit`` bytes."""
    size = f" of {length:,} bytes" if length is not None else ""
    return f"The request body{size} is larger than this server accepts ({limit:,} bytes); send a smaller image."


def _read_exactly(stream: BinaryIO, length: int) -> bytes:
    chunks: list[bytes] = []
    remaining = length
    while remaining > 0:
        chunk = stream.read(min(remaining, _READ_CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _error(status: int, message: str, request_id: str, code: str | None = None) -> HttpResponse:
    body = error_body(status, message, request_id, code=code)
    return HttpResponse(status_line(status), error_headers(body, request_id), body)
