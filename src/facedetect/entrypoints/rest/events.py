"""Build API Gateway REST proxy events (payload v1) from plain HTTP request parts.

The local server turns each HTTP request into one of these and hands it to the same
resolver the Lambda function uses; tests use it to make events for any route.

>>> event = build_event("POST", "/faces", body=b"\\xff\\xd8...", headers={"Content-Type": "image/jpeg"})
>>> event["isBase64Encoded"], event["httpMethod"]
(True, 'POST')
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

Values = str | Sequence[str]


def build_event(
    method: str,
    path: str,
    *,
    body: bytes | str | None = None,
    headers: Mapping[str, Values] | None = None,
    query: Mapping[str, Values] | None = None,
    stage: str = "local",
    request_id: str | None = None,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """An API Gateway REST proxy event, shaped as a ``{proxy+}`` resource delivers it.

    Parameters
    ----------
    method, path
        The HTTP method and the URL path (decoded, without the query string).
    body
        Bytes are sent base64-encoded (``isBase64Encoded: true``), as API Gateway does for
        binary media types; text is sent as is; ``None`` means no body.
    headers, query
        Each name maps to one value or a list of values (repeated headers or parameters).
        The single-value maps keep the last value, as API Gateway does.
    stage, request_id, source_ip
        Request context details; ``request_id`` defaults to a fresh UUID.
    """
    request_id = request_id or str(uuid.uuid4())
    multi_headers = _multi(headers)
    user_agent = next(iter(_lookup(multi_headers, "user-agent")), None)
    if isinstance(body, bytes | bytearray | memoryview):
        encoded: str | None = base64.b64encode(bytes(body)).decode("ascii")
        is_base64 = True
    else:
        encoded, is_base64 = body, False
    proxy = path.lstrip("/")
    now = time.time()
    return {
        "resource": "/{proxy+}" if proxy else "/",
        "path": path,
        "httpMethod": method.upper(),
        "headers": _single(multi_headers),
        "multiValueHeaders": multi_headers,
        "queryStringParameters": _single(_multi(query)),
        "multiValueQueryStringParameters": _multi(query),
        "pathParameters": {"proxy": proxy} if proxy else None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": "localhost",
            "domainPrefix": "localhost",
            "extendedRequestId": request_id,
            "httpMethod": method.upper(),
            "identity": {"sourceIp": source_ip, "userAgent": user_agent},
            "path": path,
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "requestTimeEpoch": int(now * 1000),
            "resourceId": "local",
            "resourcePath": "/{proxy+}" if proxy else "/",
            "stage": stage,
        },
        "body": encoded,
        "isBase64Encoded": is_base64,
    }


def _multi(values: Mapping[str, Values] | None) -> dict[str, list[str]] | None:
    if not values:
        return None
    return {name: [value] if isinstance(value, str) else list(value) for name, value in values.items()}


def _single(values: dict[str, list[str]] | None) -> dict[str, str] | None:
    if not values:
        return None
    return {name: items[-1] for name, items in values.items() if items}


def _lookup(values: dict[str, list[str]] | None, name: str) -> list[str]:
    for key, items in (values or {}).items():
        if key.lower() == name:
            return items
    return []
