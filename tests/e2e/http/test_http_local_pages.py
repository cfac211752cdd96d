"""The local-only routes (``/``, ``/docs``, ``/static/*``) and their split from the Lambda's API."""

from __future__ import annotations

import json
import re

import pytest
from support.local_server import RunningServer

from facedetect.entrypoints.rest.app import create_app
from facedetect.entrypoints.rest.events import build_event

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


def test_the_upload_page_and_its_assets_are_served_locally(memory_server: RunningServer):
    status, headers, page = memory_server.request("GET", "/")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'self'" in headers["content-security-policy"]
    html = page.decode()
    assert 'id="file-input"' in html and not EXTERNAL.search(html)
    assets = re.findall(r"""(?:src|href)="(/static/[^"]+)\"""", html)
    assert {"/static/app.js", "/static/style.css"} <= set(assets)
    types = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
    for asset in assets:
        status, headers, body = memory_server.request("GET", asset)
        assert status == 200 and body, asset
        assert headers["content-type"].startswith(types[asset[asset.rindex("."):]]), asset
        assert not EXTERNAL.search(body.decode()), asset


def test_the_page_script_talks_only_to_this_server(memory_server: RunningServer):
    script = memory_server.request("GET", "/static/app.js")[2].decode()
    urls = re.findall(r"""fetch\(\s*[`'"]([^`'"]+)""", script)
    assert urls and all(url.startswith("/") and not url.startswith("//") for url in urls), urls


def test_docs_redirect_to_the_apis_swagger_ui_which_loads_nothing_from_elsewhere(memory_server: RunningServer):
    status, headers, _ = memory_server.request("GET", "/docs")
    assert status == 302 and headers["location"] == "/swagger"
    status, headers, body = memory_server.request("GET", "/swagger")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "SwaggerUIBundle" in body.decode() and not EXTERNAL.search(body.decode())


@pytest.mark.parametrize("path", ["/static/../pyproject.toml", "/static/%2e%2e/%2e%2e/settings.py",
                                  "/static/missing.js", "/static/", "/static/app.py"])
def test_static_files_cannot_escape_their_folder_or_be_guessed(memory_server: RunningServer, path: str):
    status, headers, body = memory_server.request("GET", path)
    assert status == 404 and headers["content-type"] == "application/json"
    assert json.loads(body)["error"]["code"] == "not_found"


def test_head_of_the_page_has_no_body(memory_server: RunningServer):
    status, headers, body = memory_server.request("HEAD", "/")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0


def test_the_pages_are_local_only_the_lambda_does_not_serve_them(memory_server: RunningServer):
    api = create_app(lambda: memory_server.service)
    for path in ("/", "/docs", "/static/app.js"):
        assert api.resolve(build_event("GET", path), None)["statusCode"] in (404, 405), path
    # ... while POST / is the API's reference route on both
    status, _headers, body = memory_server.request("POST", "/", b"", {"Content-Type": "image/jpeg"})
    assert status == 400 and json.loads(body)["error"]["code"] == "invalid_input"
