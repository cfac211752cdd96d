"""The one error mapping: each facedetect error to its status and code, always the JSON error body."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support import imagegen

from facedetect.composition import bootstrap
from facedetect.entrypoints.rest.app import create_app
from facedetect.entrypoints.rest.events import build_event
from facedetect.entrypoints.rest.schemas import ErrorResponse
from facedetect.errors import (
    ConfigurationError,
    DetectionNotFound,
    DetectorError,
    FaceDetectError,
    ImageNotFound,
    ImageTooLarge,
    InvalidImage,
    InvalidInput,
    StorageError,
    StorageUnavailable,
    UnsupportedImageFormat,
)


class FailingService:
    """A service fake whose lookups raise ``error``."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def get(self, *args: Any, **kwargs: Any) -> Any:
        raise self.error

    list = get


class RecordingObserver:
    def __init__(self) -> None:
        self.detections: list[str] = []
        self.failures: list[tuple[str, int]] = []

    def detected(self, detection: Any) -> None:
        self.detections.append(detection.id)

    def failed(self, code: str, status: int) -> None:
        self.failures.append((code, status))


@pytest.mark.parametrize(("error", "status", "code"), [
    (InvalidInput("bad"), 400, "invalid_input"),
    (InvalidImage("bad"), 400, "invalid_image"),
    (UnsupportedImageFormat("gif"), 415, "unsupported_image_format"),
    (ImageTooLarge("big"), 413, "image_too_large"),
    (DetectionNotFound("none"), 404, "detection_not_found"),
    (ImageNotFound("none"), 404, "image_not_found"),
    (StorageError("denied"), 500, "storage_error"),
    (StorageUnavailable("throttled"), 503, "storage_unavailable"),
    (ConfigurationError("no bucket"), 500, "configuration_error"),
    (DetectorError("no cascade"), 500, "detector_error"),
    (KeyError("a bug"), 500, "internal_error"),
])
def test_each_error_has_its_status_code_and_json_body(error, status, code):
    observer = RecordingObserver()
    app = create_app(lambda: FailingService(error), observer=observer)  # type: ignore[arg-type,return-value]
    for path in ("/faces/abc", "/faces"):
        event = build_event("GET", path, request_id="rid-1")
        result = app.resolve(event, None)
        assert result["statusCode"] == status
        body = ErrorResponse.model_validate(json.loads(result["body"]))
        assert (body.error.code, body.error.request_id) == (code, "rid-1")
        if isinstance(error, FaceDetectError):
            assert body.error.message == error.message
        else:
            assert "a bug" not in body.error.message
        retry = result["multiValueHeaders"].get("Retry-After")
        assert retry == (["1"] if status == 503 else None)
    assert observer.failures == [(code, status)] * 2


def test_a_configuration_error_answers_every_route_when_the_service_is_eager():
    def broken() -> Any:
        raise ConfigurationError("Invalid configuration: FACEDETECT_S3_BUCKET is required")

    lazy, eager = create_app(broken), create_app(broken, eager_service=True)
    event = build_event("GET", "/openapi.json")
    assert lazy.resolve(event, None)["statusCode"] == 200  # does not need the service
    assert eager.resolve(event, None)["statusCode"] == 500
    assert eager.resolve(build_event("GET", "/nope"), None)["statusCode"] == 500


def test_a_failing_factory_is_retried_and_a_good_service_built_once():
    calls: list[int] = []

    def flaky() -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise ConfigurationError("not yet")
        return bootstrap(backend="memory")

    app = create_app(flaky)
    assert app.resolve(build_event("GET", "/faces"), None)["statusCode"] == 500
    assert app.resolve(build_event("GET", "/faces"), None)["statusCode"] == 200
    assert app.resolve(build_event("GET", "/faces"), None)["statusCode"] == 200
    assert len(calls) == 2


def test_the_observer_sees_each_detection_and_error():
    observer = RecordingObserver()
    app = create_app(lambda: bootstrap(backend="memory"), observer=observer)
    ok = json.loads(app.resolve(build_event("POST", "/faces", body=imagegen.png(imagegen.shapes()),
                                              headers={"Content-Type": "image/png"}), None)["body"])
    app.resolve(build_event("POST", "/faces", body=b"GIF89a......", headers={"Content-Type": "image/gif"}), None)
    app.resolve(build_event("PUT", "/faces"), None)
    assert observer.detections == [ok["detection"]["id"]]
    assert observer.failures == [("unsupported_image_format", 415), ("method_not_allowed", 405)]
