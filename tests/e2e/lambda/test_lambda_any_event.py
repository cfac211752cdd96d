"""Any event the handler is given gets a JSON answer: 400 ``invalid_event`` for what API Gateway never sends.

Hand-made events (a console test event, another service's trigger, a fuzzer) must never
make the handler raise or answer 5xx. Real-looking events come from ``tests/events/``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import imagegen
from support.lambda_events import invoke_handler, load_events, make_api_event

from facedetect.entrypoints.rest.events import build_event

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
EVENT_KEYS = ["httpMethod", "path", "headers", "multiValueHeaders", "queryStringParameters",
              "multiValueQueryStringParameters", "pathParameters", "stageVariables", "requestContext", "body",
              "isBase64Encoded", "resource"]


def assert_json_answer(result: Any) -> dict[str, Any]:
    """What Lambda returns to API Gateway: a JSON-serialisable proxy result, never a 5xx, errors in the API's shape."""
    assert isinstance(result, dict)
    json.dumps(result)
    status = result["statusCode"]
    assert isinstance(status, int) and status < 500, result
    if status >= 400:
        body = json.loads(result["body"])
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "request_id"}, body
        assert result["multiValueHeaders"]["X-Request-Id"] == [body["error"]["request_id"]]
    return result


def invalid_event(invoke: Any, event: Any) -> dict[str, Any]:
    answer = invoke(event)
    assert answer.status == 400, answer.raw_body
    assert answer.header("Content-Type") == "application/json"
    error: dict[str, Any] = answer.json["error"]
    assert error["code"] == "invalid_event" and error["request_id"] == answer.header("X-Request-Id")
    return error


def without(event: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k not in names}


@pytest.mark.parametrize("event", [
    None, [], [1, 2], "GET /faces", 42, True, {}, {"path": "/faces"}, {"httpMethod": "GET"},
    {"httpMethod": "GET", "path": "faces"}, {"httpMethod": 1, "path": "/faces"}, {"httpMethod": "", "path": "/"},
], ids=repr)
def test_events_that_are_not_api_gateway_requests_are_400(invoke, event):
    invalid_event(invoke, event)


@pytest.mark.parametrize(("name", "change", "needle"), [
    ("get_faces_list", {"headers": ["Accept", "*/*"]}, "headers"),
    ("get_faces_list", {"headers": {"Accept": 1}}, "headers"),
    ("get_faces_list", {"multiValueHeaders": {"Accept": "*/*"}}, "multiValueHeaders"),
    ("get_faces_list", {"queryStringParameters": {"limit": None}}, "queryStringParameters"),
    ("get_faces_list", {"multiValueQueryStringParameters": {"limit": [None]}}, "multiValueQueryStringParameters"),
    ("get_faces_list", {"pathParameters": ["x"]}, "pathParameters"),
    ("get_faces_list", {"requestContext": "prod"}, "requestContext"),
    ("get_faces_list", {"requestContext": {"path": 5}}, "requestContext.path"),
    ("post_faces_json", {"body": 12345}, "body"),
    ("post_faces_json", {"body": {"image": "abc"}}, "body"),
    ("post_faces_png", {"isBase64Encoded": "true"}, "isBase64Encoded"),
    ("post_faces_png", {"isBase64Encoded": 1}, "isBase64Encoded"),
])
def test_fields_of_the_wrong_type_are_400_naming_the_field(invoke, name, change, needle):
    event = make_api_event(name, image=imagegen.png(imagegen.shapes())) | change
    assert needle in invalid_event(invoke, event)["message"]


def test_a_missing_request_context_or_its_path_is_filled_in(invoke, api_event):
    for event in (without(api_event("get_faces_list"), "requestContext"),
                  {**api_event("get_faces_list"), "requestContext": {"stage": "prod"}}):
        assert invoke(event).status == 200
        openapi = invoke(event | {"path": "/openapi.json"})
        assert openapi.status == 200, openapi.raw_body
        assert openapi.json["servers"] == [{"url": "/"}]


def test_the_smallest_hand_made_event_works(invoke):
    assert invoke({"httpMethod": "GET", "path": "/faces"}).json == {"detections": [], "next_cursor": None}


def test_headers_only_in_multi_value_headers_count(invoke, stored):
    png = imagegen.png(imagegen.shapes())
    event = {"httpMethod": "POST", "path": "/faces", "multiValueHeaders": {"Content-Type": ["image/png"]},
             "body": base64.b64encode(png).decode(), "isBase64Encoded": True}
    answer = invoke(event)
    assert answer.status == 200, answer.raw_body
    assert answer.json["detection"]["media_type"] == "image/png" and stored() == (1, 1)
    query_only_in_multi = {"httpMethod": "GET", "path": "/faces", "multiValueQueryStringParameters": {"limit": ["0"]}}
    assert invoke(query_only_in_multi).status == 400  # limit=0 is out of range: the parameter was read


def test_is_base64_encoded_is_read_strictly(invoke, stored):
    png = imagegen.png(imagegen.shapes())
    encoded = base64.b64encode(png).decode()
    event = build_event("POST", "/faces", body=encoded, headers={"Content-Type": "image/png"})
    for flag in ("true", "True", 1, [True]):
        invalid_event(invoke, event | {"isBase64Encoded": flag})
    assert stored() == (0, 0)
    as_text = invoke(event | {"isBase64Encoded": False})  # the base64 text itself is not an image
    assert (as_text.status, as_text.json["error"]["code"]) == (400, "invalid_image")
    absent = invoke(without(event, "isBase64Encoded"))  # absent means false, like null
    assert (absent.status, absent.json["error"]["code"]) == (400, "invalid_image")
    assert invoke(event | {"isBase64Encoded": True}).status == 200


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(sorted(load_events())), changes=st.dictionaries(st.sampled_from(EVENT_KEYS),
                                                                            JSON_VALUES, max_size=4))
def test_any_change_to_a_real_event_gets_a_json_answer_below_500(lambda_handler, name, changes):
    event = make_api_event(name, image=imagegen.png(imagegen.shapes()), detection_id="abc") | changes
    assert_json_answer(lambda_handler.handler(event, _context()))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=JSON_VALUES | st.dictionaries(st.sampled_from(EVENT_KEYS), JSON_VALUES, max_size=8))
def test_any_json_value_gets_a_json_answer_below_500(lambda_handler, event):
    assert_json_answer(lambda_handler.handler(event, _context()))


def _context() -> Any:
    from support.lambda_events import FakeLambdaContext

    return FakeLambdaContext()


def test_invoke_helper_agrees(invoke):  # the helper used above decodes what the handler returns
    assert invoke_handler.__name__ == "invoke_handler"
    assert invoke({"httpMethod": "GET", "path": "/nowhere"}).status == 404
