"""``build_event`` makes API Gateway REST proxy events that Powertools reads like real ones."""

from __future__ import annotations

import json
from pathlib import Path

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from facedetect.entrypoints.rest.events import build_event

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


def test_checked_event_completes_both_header_and_query_maps():
    from facedetect.entrypoints.rest.events import checked_event

    event = checked_event({"httpMethod": "POST", "path": "/faces",
                           "headers": {"accept": "a/b", "X-Only-Single": "1"},
                           "multiValueHeaders": {"Accept": ["c/d", "e/f"], "Content-Type": ["image/png"]},
                           "multiValueQueryStringParameters": {"limit": ["1", "2"]}})
    assert event["multiValueHeaders"] == {"Accept": ["c/d", "e/f"], "Content-Type": ["image/png"],
                                          "X-Only-Single": ["1"]}
    assert event["headers"] == {"Accept": "e/f", "Content-Type": "image/png", "X-Only-Single": "1"}
    assert event["queryStringParameters"] == {"limit": "2"}
    assert event["isBase64Encoded"] is False and event["requestContext"] == {"path": "/faces"}


def test_checked_event_leaves_a_real_event_as_it_is():
    from facedetect.entrypoints.rest.events import checked_event

    assert checked_event(REAL) == REAL


def test_shown_path_is_escaped_and_short():
    from facedetect.entrypoints.rest.events import SHOWN_PATH_CHARS, shown_path

    assert shown_path("/faces/abc-1_2.x") == "/faces/abc-1_2.x"
    forged = shown_path("/x\r\n2026-01-01 ERROR forged\x1b[31m<script>\u00e9")
    assert forged == "/x%0D%0A2026-01-01%20ERROR%20forged%1B%5B31m%3Cscript%3E%C3%A9"
    long = shown_path("/" + "a" * 20_000)
    assert len(long) == SHOWN_PATH_CHARS + 3 and long.endswith("...")
    assert shown_path("/\ud800") == "/%ED%A0%80"  # a lone surrogate (hand-made events) is shown too
