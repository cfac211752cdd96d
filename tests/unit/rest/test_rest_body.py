"""Reading the image out of a request body: raw or JSON, base64 decoded here, sizes checked first."""

from __future__ import annotations

import base64
import json

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from hypothesis import given
from hypothesis import strategies as st

from facedetect.entrypoints.rest import build_event
from facedetect.entrypoints.rest.body import encoded_length, is_json, media_type, read_image
from facedetect.errors import ImageTooLarge, InvalidInput


def event(body: bytes | str | None, content_type: str | None = None, **changes: object) -> APIGatewayProxyEvent:
    raw = build_event("POST", "/faces", body=body, headers={"Content-Type": content_type} if content_type else None)
    raw.update(changes)
    return APIGatewayProxyEvent(raw)


@given(st.binary(max_size=2048))
def test_binary_bodies_come_back_byte_for_byte(data):
    assert read_image(event(data or b"\x00", "image/jpeg"), max_bytes=4096) == (data or b"\x00")


def test_powertools_decoded_body_would_break_binary_uploads():
    jpeg_start = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01"
    with pytest.raises(UnicodeDecodeError):
        _ = event(jpeg_start, "image/jpeg").decoded_body
    assert read_image(event(jpeg_start, "image/jpeg"), max_bytes=100) == jpeg_start


@given(st.binary(min_size=1, max_size=1024), st.sampled_from(["application/json", "application/vnd.api+json",
                                                              "Application/JSON; charset=utf-8"]))
def test_json_bodies_carry_base64(data, content_type):
    body = json.dumps({"image": base64.b64encode(data).decode(), "ignored": 1})
    assert read_image(event(body, content_type), max_bytes=4096) == data
    # API Gateway with binary media type */* base64-encodes JSON too
    assert read_image(event(body.encode(), content_type), max_bytes=4096) == data


def test_text_bodies_are_taken_as_utf8():
    assert read_image(event("hello", "text/plain"), max_bytes=100) == b"hello"


@pytest.mark.parametrize("body", [None, ""])
def test_an_empty_body_is_invalid(body):
    with pytest.raises(InvalidInput, match="empty"):
        read_image(event(body, "image/jpeg"), max_bytes=100)


def test_oversize_base64_is_rejected_before_decoding():
    limit = 1000
    garbage = "!" * (encoded_length(limit) + 4)  # not even base64: decoding it would be a 400, not a 413
    with pytest.raises(ImageTooLarge):
        read_image(event(garbage, "image/jpeg", isBase64Encoded=True), max_bytes=limit)
    with pytest.raises(ImageTooLarge):
        read_image(event(json.dumps({"image": garbage}), "application/json"), max_bytes=limit)
    with pytest.raises(ImageTooLarge):
        read_image(event("x" * (limit + 1), "image/jpeg"), max_bytes=limit)


def test_bodies_at_the_limit_pass_through():
    data = bytes(range(256)) * 4
    assert read_image(event(data, "image/jpeg"), max_bytes=len(data)) == data
    body = json.dumps({"image": base64.b64encode(data).decode()})
    assert read_image(event(body, "application/json"), max_bytes=len(data)) == data


@pytest.mark.parametrize(("body", "needle"), [
    ("{", "not valid JSON"),
    ("[1, 2]", '"image" string'),
    ('{"image": 5}', '"image" string'),
    ('{"image": "@@@"}', "not valid base64"),
    ('{"image": "é"}', "not valid base64"),
])
def test_bad_json_bodies(body, needle):
    with pytest.raises(InvalidInput, match=needle):
        read_image(event(body, "application/json"), max_bytes=1000)


def test_invalid_transport_base64_and_multipart_are_invalid_input():
    with pytest.raises(InvalidInput, match="base64"):
        read_image(event("a!b=", "image/png", isBase64Encoded=True), max_bytes=1000)
    with pytest.raises(InvalidInput, match="Multipart"):
        read_image(event("--b\r\n", "multipart/form-data; boundary=b"), max_bytes=1000)


def test_content_type_helpers():
    assert media_type(" Image/JPEG ; q=1") == "image/jpeg" and media_type(None) == ""
    assert is_json("application/problem+json") and not is_json("image/png") and not is_json(None)
    assert [encoded_length(n) for n in (0, 1, 2, 3, 4)] == [0, 4, 4, 4, 8]
    assert all(encoded_length(n) == len(base64.b64encode(bytes(n))) for n in range(50))
