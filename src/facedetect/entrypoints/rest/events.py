"""API Gateway REST proxy events (payload v1): built from HTTP request parts, and checked.

The local server turns each HTTP request into one of these (:func:`build_event`) and hands
it to the same resolver the Lambda function uses; tests use it to make events for any route.
:func:`checked_event` is what the resolver does first with *any* event it is given: events
API Gateway would never send (hand-made ones, another service's) are refused with
:class:`~facedetect.errors.InvalidEvent`, so every event gets a JSON answer.

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
from urllib.parse import quote

from facedetect.errors import InvalidEvent

Values = str | Sequence[str]

#: Longest part of a request path repeated in a message.
SHOWN_PATH_CHARS = 100
# What stays readable when a path is shown: RFC 3986 unreserved and sub-delims, ':', '@', '/', '%'.
_PATH_SAFE = "/-._~!$&'()*+,;=:@%"


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


def shown_path(path: str) -> str:
    """``path`` fit to repeat in a message or a log line: percent-escaped, at most ~100 characters.

    Control characters (``%0a`` decoded to a line break), quotes, ``<`` and non-ASCII come
    out percent-encoded, so nothing a client puts in a path can forge a log line or inject markup.

    >>> shown_path("/a b\\n<x>")
    '/a%20b%0A%3Cx%3E'
    """
    shown = quote(path, safe=_PATH_SAFE, errors="surrogatepass")
    return shown if len(shown) <= SHOWN_PATH_CHARS else shown[:SHOWN_PATH_CHARS] + "..."


def checked_event(event: object) -> dict[str, Any]:
    """``event`` as the resolver may read it, or :class:`~facedetect.errors.InvalidEvent`.

    What API Gateway (REST, proxy integration) always sends is required: a string
    ``httpMethod``, a ``path`` starting with ``/``, string-valued ``headers`` and query
    maps (or ``null``), lists of strings in their ``multiValue*`` twins, a string (or
    ``null``) ``body`` and a JSON boolean ``isBase64Encoded`` (a string ``"true"`` is refused:
    guessing would decode text, or mangle bytes). Header and query names found only in
    ``multiValueHeaders`` / ``multiValueQueryStringParameters`` count too (their last value),
    as in events API Gateway sends, where both maps carry every name. A missing
    ``requestContext`` (or its ``path``) is filled in, so the routes can rely on it.

    Returns
    -------
    dict
        A shallow copy of ``event`` with both header maps and both query maps complete.
    """
    if not isinstance(event, Mapping):
        raise InvalidEvent(f"The event is not an API Gateway REST proxy event: a JSON object is needed, "
                           f"not {_json_type(event)}.")
    checked = dict(event)
    method, path = checked.get("httpMethod"), checked.get("path")
    if not isinstance(method, str) or not method.strip():
        raise InvalidEvent("The event is not an API Gateway REST proxy event: it has no httpMethod string.")
    if not isinstance(path, str) or not path.startswith("/"):
        raise InvalidEvent("The event is not an API Gateway REST proxy event: it has no path starting with '/'.")
    for single, multi in (("headers", "multiValueHeaders"),
                          ("queryStringParameters", "multiValueQueryStringParameters")):
        checked[single], checked[multi] = _merged(checked, single, multi)
    for name in ("pathParameters", "stageVariables"):
        _require_strings(checked.get(name), name)
    body = checked.get("body")
    if body is not None and not isinstance(body, str):
        raise InvalidEvent(f"The event's body must be a string or null, not {_json_type(body)}.")
    encoded = checked.get("isBase64Encoded", False)
    if encoded is None:
        encoded = False
    if not isinstance(encoded, bool):
        raise InvalidEvent(f"The event's isBase64Encoded must be true or false, not {_json_type(encoded)}.")
    checked["isBase64Encoded"] = encoded
    context = checked.get("requestContext")
    if context is None:
        context = {}
    if not isinstance(context, Mapping):
        raise InvalidEvent(f"The event's requestContext must be an object, not {_json_type(context)}.")
    context = dict(context)
    for name in ("path", "stage", "requestId"):
        if context.get(name) is not None and not isinstance(context[name], str):
            raise InvalidEvent(f"The event's requestContext.{name} must be a string.")
    context.setdefault("path", path)
    if context["path"] is None:
        context["path"] = path
    checked["requestContext"] = context
    return checked


def _merged(event: Mapping[str, Any], single: str, multi: str) -> tuple[dict[str, str] | None,
                                                                           dict[str, list[str]] | None]:
    """Both maps of one kind, each complete: a name in either counts (the list wins for its values)."""
    one = _require_strings(event.get(single), single)
    many = event.get(multi)
    if many is not None and (not isinstance(many, Mapping) or not all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(i, str) for i in v)
            for k, v in many.items())):
        raise InvalidEvent(f"The event's {multi} must be an object of string lists, or null.")
    merged: dict[str, list[str]] = {name: list(values) for name, values in (many or {}).items() if values}
    known = {name.lower() for name in merged} if single == "headers" else set(merged)
    for name, value in (one or {}).items():
        if (name.lower() if single == "headers" else name) not in known:
            merged[name] = [value]
    if not merged:
        return None, None
    return {name: values[-1] for name, values in merged.items()}, merged


def _require_strings(value: object, name: str) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str)
                                                 for k, v in value.items()):
        raise InvalidEvent(f"The event's {name} must be an object of strings, or null.")
    return dict(value)


def _json_type(value: object) -> str:
    """The JSON name of ``value``'s type, for messages (never the value itself)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    return "an object" if isinstance(value, Mapping) else type(value).__name__
