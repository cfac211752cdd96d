"""``build_event`` makes API Gateway REST proxy events that Powertools reads like real ones."""

from __future__ import annotations

import json
from pathlib import Path

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from facedetect.entrypoints.rest import build_event

REAL = json.loads((Path(__file__).resolve().parents[2] / "events" / "get_faces_list.json").read_text())


def test_the_event_has_the_shape_of_a_real_one():
    made = build_event("GET", "/faces", query={"limit": "2"})
    assert set(made) == set(REAL)
    assert set(made["requestContext"]) <= set(REAL["requestContext"])


def test_bytes_travel_base64_and_text_as_is():
    binary = APIGatewayProxyEvent(build_event("POST", "/", body=b"\xff\x00"))
    assert binary.is_base64_encoded is True and binary.body == "/wA="
    text = APIGatewayProxyEvent(build_event("POST", "/", body="{}"))
    assert text.is_base64_encoded is False and text.body == "{}"
    empty = APIGatewayProxyEvent(build_event("GET", "/"))
    assert empty.body is None and empty.query_string_parameters == {} and empty["pathParameters"] is None


def test_headers_and_query_keep_repeated_values_and_the_last_as_single():
    made = APIGatewayProxyEvent(build_event(
        "get", "/faces/abc", headers={"Accept": ["a/b", "c/d"], "User-Agent": "ua/1"},
        query={"limit": ["1", "2"], "cursor": "x"}, request_id="rid", source_ip="10.0.0.1"))
    assert made.http_method == "GET" and made.path == "/faces/abc"
    assert made.headers["accept"] == "c/d" and made.multi_value_headers["Accept"] == ["a/b", "c/d"]
    assert made.query_string_parameters == {"limit": "2", "cursor": "x"}
    assert made.multi_value_query_string_parameters == {"limit": ["1", "2"], "cursor": ["x"]}
    assert made["pathParameters"] == {"proxy": "faces/abc"} and made["resource"] == "/{proxy+}"
    context = made.request_context
    assert (context.request_id, context.identity.source_ip, context.identity.user_agent) == ("rid", "10.0.0.1", "ua/1")
    assert context.stage == "local" and context.path == "/faces/abc"


def test_each_event_gets_a_fresh_request_id():
    assert build_event("GET", "/")["requestContext"]["requestId"] != build_event("GET", "/")["requestContext"][
        "requestId"]
