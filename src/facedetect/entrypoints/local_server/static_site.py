"""The local server's own pages: the upload page and its assets, and ``/docs``.

These routes exist only on the local server; they are not part of the API the Lambda
serves. Only ``GET``/``HEAD`` of ``/``, ``/docs`` and ``/static/<file>`` are answered here;
every other request goes to the API. ``/docs`` redirects to the API's own ``/swagger``
(Swagger UI with its script and styles inlined by Powertools: no CDN). The upload page is
sent with a Content-Security-Policy that lets the browser load nothing from elsewhere.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

from facedetect.entrypoints.local_server.proxy import HttpResponse
from facedetect.entrypoints.local_server.transport_errors import error_body, error_headers, new_request_id, status_line

PAGES = {"/": "index.html"}
DOCS_PATHS = ("/docs", "/docs/")
SWAGGER_PATH = "/swagger"
STATIC_PREFIX = "/static/"

CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' blob: data:; connect-src 'self'; "
                           "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'")
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\.(html|js|css|svg|png|ico)")
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".html": "text/html; charset=utf-8", ".png": "image/png", ".svg": "image/svg+xml",
          ".ico": "image/x-icon"}


def handles(method: str, path: str) -> bool:
    """Whether this request is for a local page rather than the API."""
    return method in ("GET", "HEAD") and (path in PAGES or path in DOCS_PATHS or path.startswith(STATIC_PREFIX))


def respond(path: str) -> HttpResponse:
    """The page or asset at ``path`` (a path :func:`handles` accepted), or a plain 404."""
    if path in DOCS_PATHS:
        return HttpResponse(status_line(302), [("Location", SWAGGER_PATH), ("Content-Length", "0")])
    if path in PAGES:
        return _file(_static_dir() / PAGES[path])
    name = path[len(STATIC_PREFIX):]
    return _file(_static_dir() / name) if _SAFE_NAME.fullmatch(name) else _not_found()


def _file(path: Path) -> HttpResponse:
    data = _read(str(path))
    if data is None:
        return _not_found()
    return _ok(data, _TYPES[path.suffix])


def _ok(body: bytes, content_type: str) -> HttpResponse:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body))),
               ("Content-Security-Policy", CONTENT_SECURITY_POLICY), ("X-Content-Type-Options", "nosniff"),
               ("Cache-Control", "no-cache")]
    return HttpResponse(status_line(200), headers, body)


def _not_found() -> HttpResponse:
    request_id = new_request_id()
    body = error_body(404, "There is no such file under /static/.", request_id, code="not_found")
    return HttpResponse(status_line(404), error_headers(body, request_id), body)


@lru_cache(maxsize=64)
def _read(path: str) -> bytes | None:
    """File contents, cached (the files ship with the package and never change while serving)."""
    try:
        return Path(path).read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


@lru_cache(maxsize=1)
def _static_dir() -> Path:
    return Path(str(resources.files("facedetect.entrypoints.local_server") / "static"))
