"""Every error of the Lambda through real API Gateway REST events: JSON error body, request id, no 5xx for bad input.

Error bodies are validated against the OpenAPI error model.
"""

from __future__ import annotations

import base64
import json
from typing import Any, ClassVar

import pytest
from support import imagegen

from facedetect.adapters.memory import InMemoryImageStore
from facedetect.entrypoints.rest.events import build_event
from facedetect.entrypoints.rest.schemas import ErrorResponse
from facedetect.errors import StorageUnavailable

OCTET = {"Content-Type": "application/octet-stream"}  # an upload needs an image content type


@pytest.fixture(scope="module")
def jpeg() -> bytes:
    return imagegen.jpeg()


def assert_error(answer: Any, status: int, code: str, request_id: str) -> dict[str, Any]:
    assert answer.status == status, answer.raw_body
    assert answer.header("Content-Type") == "application/json"
    body = ErrorResponse.model_validate(answer.json)
    assert body.error.code == code
    assert body.error.request_id == request_id == answer.header("X-Request-Id")
    assert body.error.message and "Traceback" not in body.error.message
    return answer.json["error"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(("name", "image", "status", "code"), [
    ("post_faces_empty", None, 400, "invalid_input"),
    ("post_faces_text", None, 415, "unsupported_media_type"),
    ("post_faces_truncated", "truncated", 400, "invalid_image"),
    ("post_faces_oversize", "oversize", 413, "image_too_large"),
    ("post_faces_gif", "gif", 415, "unsupported_image_format"),
    ("post_faces_bad_option", "jpeg", 400, "invalid_input"),
    ("get_unknown_route", None, 404, "route_not_found"),
    ("delete_faces", None, 405, "method_not_allowed"),
])
def test_bad_requests_get_a_json_error_and_store_nothing(invoke, api_event, stored, jpeg, name, image, status, code):
    images = {
        None: None,
        "jpeg": jpeg,
        "truncated": jpeg[: len(jpeg) // 2],
        "oversize": b"\xff\xd8\xff\xe0" + bytes(20 * 1024 * 1024),  # just over the default 20 MiB
        "gif": imagegen.pil_encode(imagegen.shapes(), "GIF"),
    }
    event = api_event(name, image=images[image])
    error = assert_error(invoke(event), status, code, event["requestContext"]["requestId"])
    assert stored() == (0, 0)
    if name == "post_faces_bad_option":
        assert "scale_factor" in error["message"]


def test_wrong_method_names_the_allowed_ones(invoke, api_event):
    answer = invoke(api_event("delete_faces"))
    assert answer.header("Allow") == "GET, POST"


@pytest.mark.parametrize("path", ["/uploads/\n", "/uploads\n", "/faces\n", "/faces/\n", "/\n", "/faces\t"])
def test_a_path_with_a_control_character_is_no_route(invoke, stored, path):
    event = build_event("GET", path)
    assert_error(invoke(event), 404, "route_not_found", event["requestContext"]["requestId"])
    assert stored() == (0, 0)


@pytest.mark.parametrize("name", ["get_face", "get_face_image"])
def test_unknown_ids_are_404(invoke, api_event, name):
    for detection_id in ("0123456789abcdef0123456789abcdef", "..%2F..%2Fetc%2Fpasswd", "x" * 300):
        event = api_event(name, detection_id=detection_id)
        answer = invoke(event)
        assert answer.status == 404, (detection_id, answer.raw_body)
        ErrorResponse.model_validate(answer.json)


@pytest.mark.parametrize(("body", "headers", "is_base64", "needle"), [
    ('{"image": ', {"Content-Type": "application/json"}, False, "not valid JSON"),
    ("[" * 100_000, {"Content-Type": "application/json"}, False, "not valid JSON"),
    ('{"picture": "abc"}', {"Content-Type": "application/json"}, False, '"image" string'),
    ('{"image": "not*base64!"}', {"Content-Type": "application/json"}, False, "not valid base64"),
    ("%%%not base64%%%", {"Content-Type": "image/jpeg"}, True, "not valid base64"),
    ("", {"Content-Type": "image/jpeg"}, True, "empty"),
])
def test_malformed_bodies_are_400(invoke, body, headers, is_base64, needle):
    event = build_event("POST", "/faces", body=body, headers=headers)
    event["isBase64Encoded"] = is_base64
    error = assert_error(invoke(event), 400, "invalid_input", event["requestContext"]["requestId"])
    assert needle in error["message"]


@pytest.mark.parametrize("query", [
    {"scale_factor": "1.0"}, {"scale_factor": "nan"}, {"scale_factor": "abc"}, {"min_neighbors": "-1"},
    {"min_size": "0"}, {"max_dimension": "31"}, {"store": "maybe"}, {"min_neighbors": "2.5"},
])
def test_nonsense_options_are_400_before_any_work(invoke, stored, query):
    event = build_event("POST", "/faces", body=b"not even an image", query=query)
    error = assert_error(invoke(event), 400, "invalid_input", event["requestContext"]["requestId"])
    assert next(iter(query)) in error["message"]
    assert stored() == (0, 0)


@pytest.mark.parametrize("query", [{"limit": "0"}, {"limit": "1001"}, {"limit": "x"}, {"cursor": "not-ours"}])
def test_bad_paging_parameters_are_400(invoke, query):
    event = build_event("GET", "/faces", query=query)
    assert_error(invoke(event), 400, "invalid_input", event["requestContext"]["requestId"])


def test_image_over_a_configured_limit_is_413_after_decoding_the_transport(invoke, monkeypatch, lambda_handler, jpeg):
    monkeypatch.setenv("FACEDETECT_MAX_BYTES", str(len(jpeg) - 1))
    lambda_handler.reset()
    for event in (build_event("POST", "/", body=jpeg, headers=OCTET),
                  build_event("POST", "/faces", body=json.dumps({"image": base64.b64encode(jpeg).decode()}),
                              headers={"Content-Type": "application/json"})):
        assert_error(invoke(event), 413, "image_too_large", event["requestContext"]["requestId"])


class _UnavailableRepository:
    """A detection repository that is throttled: every call raises ``StorageUnavailable``."""

    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise StorageUnavailable("DynamoDB is throttling requests; retry shortly.")

        return fail


def test_storage_unavailable_is_503_with_retry_after_and_leaves_no_image(invoke, lambda_handler, stored, jpeg):
    images = InMemoryImageStore()
    lambda_handler.reset(images=images, detections=_UnavailableRepository())
    event = build_event("POST", "/faces", body=jpeg, headers=OCTET)
    answer = invoke(event)
    assert_error(answer, 503, "storage_unavailable", event["requestContext"]["requestId"])
    assert answer.header("Retry-After") == "1"
    assert images.objects == {}


def test_a_bug_is_a_500_without_details_and_its_traceback_goes_to_the_log(invoke, lambda_handler, capsys, jpeg):
    class BrokenDetector:
        name = "haar"
        parameters: ClassVar[dict[str, Any]] = {"secret": "s3cr3t-config"}

        def detect(self, image: Any) -> Any:
            raise ZeroDivisionError("s3cr3t internal state")

    lambda_handler.reset(detector=BrokenDetector())
    event = build_event("POST", "/faces", body=jpeg, headers=OCTET)
    error = assert_error(invoke(event), 500, "internal_error", event["requestContext"]["requestId"])
    assert "s3cr3t" not in error["message"] and event["requestContext"]["requestId"] in error["message"]
    logged = capsys.readouterr().out
    assert "ZeroDivisionError" in logged and "Traceback" in logged
