"""CORS for browser apps on other origins: ``FACEDETECT_ALLOWED_ORIGINS`` (comma-separated; empty: none).

A request whose ``Origin`` is allowed gets ``Access-Control-Allow-Origin`` (that origin, or
``*`` when ``*`` is configured), ``Vary: Origin`` and the response headers a client may read;
a preflight (``OPTIONS`` with ``Access-Control-Request-Method``) from an allowed origin to an
existing path is answered ``204`` with the path's methods and ``Content-Type``/``x-api-key``
as allowed request headers. Anything else is served as if CORS did not exist (a disallowed
origin simply gets no CORS headers, so the browser refuses the response).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

MAX_AGE_S = 600
EXPOSED = "X-Request-Id, Retry-After, Location"


def parse_origins(text: str) -> frozenset[str]:
    """``"https://a.example, https://b.example/"`` -> the set of origins (no trailing slash)."""
    return frozenset(part.strip().rstrip("/") for part in text.split(",") if part.strip())


def _settings_origins() -> frozenset[str]:
    from facedetect.errors import ConfigurationError
    from facedetect.settings import load_settings

    try:
        return parse_origins(load_settings().allowed_origins)
    except ConfigurationError:
        return frozenset()  # the service reports the configuration error itself


class CorsPolicy:
    """Which origins may call the API, read once (from the settings by default) on first use."""

    def __init__(self, origins: Callable[[], frozenset[str]] = _settings_origins) -> None:
        self._load = origins
        self._origins: frozenset[str] | None = None
        self._lock = threading.Lock()

    def allow_origin(self, origin: str | None) -> str | None:
        """The ``Access-Control-Allow-Origin`` value for a request from ``origin`` (``None``: not allowed)."""
        if not origin:
            return None
        if self._origins is None:
            with self._lock:
                if self._origins is None:
                    self._origins = self._load()
        if "*" in self._origins:
            return "*"
        return origin if origin.rstrip("/") in self._origins else None

    def apply(self, event: Mapping[str, Any], allowed_methods: Callable[[str], Sequence[str]],
              resolve: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Answer a preflight, or ``resolve()`` the request and add the CORS headers it earns."""
        raw = event.get("headers") if isinstance(event, Mapping) else None
        if not isinstance(raw, Mapping):
            return resolve()  # not a well-formed proxy event: the resolver answers it as such
        headers = {str(k).lower(): v for k, v in raw.items() if isinstance(v, str)}
        allow = self.allow_origin(headers.get("origin"))
        if allow is None:
            return resolve()
        cors = {"Access-Control-Allow-Origin": allow, "Vary": "Origin"}
        path = event.get("path")
        methods = allowed_methods(path) if isinstance(path, str) else []
        if event.get("httpMethod") == "OPTIONS" and "access-control-request-method" in headers and methods:
            return {"statusCode": 204, "body": "", "isBase64Encoded": False, "headers": {
                **cors, "Access-Control-Allow-Methods": ", ".join(methods),
                "Access-Control-Allow-Headers": "Content-Type, x-api-key", "Access-Control-Max-Age": str(MAX_AGE_S)}}
        result = resolve()
        result["headers"] = {**(result.get("headers") or {}), **cors, "Access-Control-Expose-Headers": EXPOSED}
        if result.get("multiValueHeaders"):
            result["multiValueHeaders"] = {k: v for k, v in result["multiValueHeaders"].items()
                                           if k.lower() not in {"access-control-allow-origin", "vary"}}
        return result
