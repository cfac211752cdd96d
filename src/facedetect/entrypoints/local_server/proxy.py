"""WSGI <-> API Gateway REST proxy: one HTTP request in, one proxy event out, and back.

The local server has no routing and no error mapping of its own for the API: it turns the
request into the event API Gateway would send the Lambda function (with
:func:`facedetect.entrypoints.rest.events.build_event`), lets the same resolver answer,
and turns the proxy result (``statusCode``, ``headers``, ``multiValueHeaders``, ``body``,
``isBase64Encoded``) back into an HTTP response.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from facedetect.entrypoints.local_server.transport_errors import status_line

# Hop-by-hop headers belong to one connection: a WSGI application must not set them.
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                         "trailers", "transfer-encoding", "upgrade"})
_CGI_HEADERS = {"CONTENT_TYPE": "Content-Type", "CONTENT_LENGTH": "Content-Length"}


@dataclass(frozen=True)
class LocalLambdaContext:
    """The parts of a Lambda context the resolver and Powertools read, for a local request."""

    aws_request_id: str
    function_name: str = "facedetect-local"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:facedetect-local"
    log_group_name: str = "/aws/lambda/facedetect-local"
    log_stream_name: str = "local"
    identity: Any = None
    client_context: Any = None
    tenant_id: str | None = None

    def get_remaining_time_in_millis(self) -> int:
        """A local request has no Lambda deadline: report API Gateway's 29 s."""
        return 29_000


@dataclass
class HttpResponse:
    """A WSGI-ready response: status line, header list, body bytes."""

    status: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def request_path(environ: Mapping[str, Any]) -> str:
    """The decoded URL path (PEP 3333 hands it over as latin-1 code points of the UTF-8 bytes)."""
    raw = str(environ.get("PATH_INFO") or "/")
    try:
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return raw


def request_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """The request headers, names in their usual ``Title-Case`` (WSGI does not keep the client's case)."""
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = "-".join(part.capitalize() for part in key[5:].split("_"))
        elif key in _CGI_HEADERS and value:
            name = _CGI_HEADERS[key]
        else:
            continue
        headers[name] = str(value)
    return headers


def request_query(environ: Mapping[str, Any]) -> dict[str, list[str]]:
    """The query string as ``name -> [values]`` in order (repeated names keep every value)."""
    query: dict[str, list[str]] = {}
    for name, value in parse_qsl(str(environ.get("QUERY_STRING") or ""), keep_blank_values=True):
        query.setdefault(name, []).append(value)
    return query


def to_event(environ: Mapping[str, Any], body: bytes, request_id: str) -> dict[str, Any]:
    """The API Gateway REST proxy event for this WSGI request (``body`` already read and bounded)."""
    from facedetect.entrypoints.rest.events import build_event

    return build_event(
        str(environ.get("REQUEST_METHOD") or "GET"),
        request_path(environ),
        body=body or None,
        headers=request_headers(environ),
        query=request_query(environ),
        request_id=request_id,
        source_ip=str(environ.get("REMOTE_ADDR") or "127.0.0.1"),
    )


def from_proxy_result(result: Mapping[str, Any]) -> HttpResponse:
    """The HTTP response for a Lambda proxy result, as API Gateway would send it.

    ``multiValueHeaders`` and ``headers`` are merged as API Gateway merges them: a name in
    ``multiValueHeaders`` keeps its list, other names add their single value.
    """
    headers: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name, values in (result.get("multiValueHeaders") or {}).items():
        seen.add(name.lower())
        headers.extend((name, str(v)) for v in (values if isinstance(values, list) else [values]))
    for name, value in (result.get("headers") or {}).items():
        if name.lower() not in seen:
            headers.append((name, str(value)))
    raw = result.get("body") or ""
    if result.get("isBase64Encoded"):
        body = base64.b64decode(raw)
    else:
        body = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    kept = [(n, v) for n, v in headers if n.lower() not in _HOP_BY_HOP and n.lower() != "content-length"]
    kept.append(("Content-Length", str(len(body))))
    return HttpResponse(status_line(int(result.get("statusCode", 200))), kept, body)
