"""CORS (rest/cors.py): preflights and response headers for allowed origins only."""

from __future__ import annotations

import json

import pytest

from facedetect.composition import bootstrap
from facedetect.entrypoints.rest.app import create_app
from facedetect.entrypoints.rest.cors import CorsPolicy, parse_origins
from facedetect.entrypoints.rest.events import build_event

APP_ORIGIN = "https://app.example.com"


@pytest.fixture(scope="module")
def service():  # type: ignore[no-untyped-def]
    return bootstrap(backend="memory")


def app_with(service, origins: str):  # type: ignore[no-untyped-def]
    app = create_app(lambda: service)
    app.cors = CorsPolicy(lambda: parse_origins(origins))
    return app


def headers_of(result: dict) -> dict[str, str]:  # type: ignore[type-arg]
    merged = {k.lower(): ", ".join(v) for k, v in (result.get("multiValueHeaders") or {}).items()}
    merged.update({k.lower(): v for k, v in (result.get("headers") or {}).items()})
    return merged


def preflight(app, path: str, origin: str, method: str = "POST") -> dict:  # type: ignore[no-untyped-def,type-arg]
    return app.resolve(build_event("OPTIONS", path, headers={"Origin": origin, "Access-Control-Request-Method":
                                                             method, "Access-Control-Request-Headers": "content-type"}),
                       None)


def test_an_allowed_origin_gets_its_preflight_and_headers(service) -> None:  # type: ignore[no-untyped-def]
    app = app_with(service, f"{APP_ORIGIN}/, http://localhost:3000")
    for path, methods in (("/uploads", {"POST"}), ("/faces", {"GET", "POST"}), ("/uploads/abc", {"GET"})):
        result = preflight(app, path, APP_ORIGIN)
        assert result["statusCode"] == 204, result
        headers = headers_of(result)
        assert headers["access-control-allow-origin"] == APP_ORIGIN
        assert set(headers["access-control-allow-methods"].split(", ")) == methods
        assert "content-type" in headers["access-control-allow-headers"].lower()
    answer = app.resolve(build_event("GET", "/faces", headers={"Origin": APP_ORIGIN}), None)
    assert answer["statusCode"] == 200 and headers_of(answer)["access-control-allow-origin"] == APP_ORIGIN
    assert "X-Request-Id" in headers_of(answer)["access-control-expose-headers"]
    error = app.resolve(build_event("GET", "/faces/nope", headers={"Origin": APP_ORIGIN}), None)
    assert error["statusCode"] == 404 and headers_of(error)["access-control-allow-origin"] == APP_ORIGIN


def test_other_origins_and_no_configuration_get_no_cors(service) -> None:  # type: ignore[no-untyped-def]
    for app, origin in ((app_with(service, APP_ORIGIN), "https://evil.example"), (app_with(service, ""), APP_ORIGIN)):
        result = preflight(app, "/uploads", origin)
        assert result["statusCode"] == 405 and "access-control-allow-origin" not in headers_of(result)
        assert json.loads(result["body"])["error"]["code"] == "method_not_allowed"
        answer = app.resolve(build_event("GET", "/faces", headers={"Origin": origin}), None)
        assert answer["statusCode"] == 200 and "access-control-allow-origin" not in headers_of(answer)


def test_a_wildcard_allows_any_origin_and_unknown_paths_stay_404(service) -> None:  # type: ignore[no-untyped-def]
    app = app_with(service, "*")
    assert headers_of(preflight(app, "/faces", "https://x.example"))["access-control-allow-origin"] == "*"
    assert preflight(app, "/nowhere", "https://x.example")["statusCode"] == 404
