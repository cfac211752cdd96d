"""The OpenAPI document describes every route, parameter, body and error, and is a valid OpenAPI 3.1."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openapi_spec_validator import validate

from facedetect.composition import bootstrap
from facedetect.entrypoints.rest.app import create_app
from facedetect.entrypoints.rest.events import build_event


@pytest.fixture(scope="module")
def app():  # type: ignore[no-untyped-def]
    return create_app(lambda: bootstrap(backend="memory"))


@pytest.fixture(scope="module")
def document(app) -> dict[str, Any]:
    result = app.resolve(build_event("GET", "/openapi.json"), None)
    assert result["statusCode"] == 200
    return json.loads(result["body"])  # type: ignore[no-any-return]


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(method.upper(), path): op for path, ops in document["paths"].items() for method, op in ops.items()}


def test_it_is_valid_openapi(document):
    validate(document)
    assert document["openapi"].startswith("3.1") and document["info"]["title"] == "facedetect"


def test_every_registered_route_is_documented(app, document):
    registered = {(r.method, r.openapi_path) for r in [*app._static_routes, *app._dynamic_routes]}
    assert set(operations(document)) == registered - {("GET", "/swagger")}


def test_query_parameters_are_documented_with_their_bounds(document):
    ops = operations(document)
    for path in ("/", "/faces", "/redact"):
        params = {p["name"]: p for p in ops[("POST", path)]["parameters"]}
        extra = {"style"} if path == "/redact" else set()
        assert set(params) == {"scale_factor", "min_neighbors", "min_size", "max_dimension", "store", "small_faces",
                               *extra}
        assert all(p["in"] == "query" and not p["required"] for p in params.values())
        bounds = params["scale_factor"]["schema"]["anyOf"][0]
        assert bounds["type"] == "number" and bounds["maximum"] == 4.0
        assert bounds.get("minimum", bounds.get("exclusiveMinimum", 0)) >= 1.0
    listing = {p["name"]: p["schema"] for p in ops[("GET", "/faces")]["parameters"]}
    assert listing["limit"]["minimum"] == 1 and listing["limit"]["maximum"] == 1000
    for path in ("/faces/{detection_id}", "/faces/{detection_id}/image"):
        [param] = ops[("GET", path)]["parameters"]
        assert param["in"] == "path" and param["name"] == "detection_id" and param["required"]


def test_the_image_body_is_binary_or_json(document):
    ops = operations(document)
    for path in ("/", "/faces", "/redact"):
        content = ops[("POST", path)]["requestBody"]["content"]
        for media in ("image/jpeg", "image/png", "image/webp", "image/bmp", "image/tiff", "application/octet-stream"):
            assert content[media]["schema"] == {"type": "string", "format": "binary"}
        assert content["application/json"]["schema"]["required"] == ["image"]


def test_redact_answers_an_image_with_the_face_count_header(document):
    ok = operations(document)[("POST", "/redact")]["responses"]["200"]
    assert ok["content"]["image/png"]["schema"] == {"type": "string", "format": "binary"}
    assert ok["headers"]["X-Faces-Redacted"]["schema"] == {"type": "integer"}
    style = {p["name"]: p for p in operations(document)[("POST", "/redact")]["parameters"]}["style"]
    assert set(style["schema"]["enum"]) == {"blur", "pixelate", "fill"}


def test_every_error_response_has_the_error_body(document):
    expected = {("POST", "/"): {400, 413, 415, 500, 503}, ("POST", "/faces"): {400, 413, 415, 500, 503},
                ("POST", "/redact"): {400, 413, 415, 500, 503},
                ("GET", "/faces"): {400, 500, 503}, ("GET", "/faces/{detection_id}"): {404, 500, 503},
                ("GET", "/faces/{detection_id}/image"): {404, 500, 503}, ("GET", "/openapi.json"): set(),
                ("POST", "/uploads"): {400, 413, 415, 500, 503}, ("GET", "/uploads/{upload_id}"): {404, 500, 503},
                ("PUT", "/uploads/{upload_id}/content"): {400, 403, 404, 413, 500}}
    for key, op in operations(document).items():
        codes = {int(code) for code in op["responses"]}
        assert {c for c in codes if c >= 400} == expected[key], key
        for code in expected[key]:
            schema = op["responses"][str(code)]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorResponse"}
    assert "Retry-After" in operations(document)[("POST", "/faces")]["responses"]["503"]["headers"]
    image = operations(document)[("GET", "/faces/{detection_id}/image")]["responses"]
    assert "Location" in image["302"]["headers"] and "image/jpeg" in image["200"]["content"]


def test_only_used_schemas_are_published(document):
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas  # bad parameters are our 400, never Powertools' 422
    assert {"DetectResponse", "DetectionOut", "FaceOut", "ErrorResponse", "ImageLink"} <= set(schemas)
    assert schemas["DetectResponse"]["additionalProperties"] is False
