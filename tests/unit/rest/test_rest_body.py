"""Reading the image out of a request body: raw or JSON, base64 decoded here, sizes checked first."""

from __future__ import annotations

import base64
import json

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from hypothesis import given
from hypothesis import strategies as st

from facedetect.entrypoints.rest.body import encoded_length, is_json, media_type, read_image
from facedetect.entrypoints.rest.events import build_event
from facedetect.errors import ImageTooLarge, InvalidInput, UnsupportedMediaType


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


def test_non_base64_binary_bodies_are_taken_as_utf8():
    assert read_image(event("hello", "application/octet-stream"), max_bytes=100) == b"hello"


@pytest.mark.parametrize("content_type", [
    None, "", "text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=b", "text/html", "application/xml", "image", "imagex/png",
])
def test_uploads_need_an_image_octet_stream_or_json_content_type(content_type):
    """The types a page on another site may send without asking (and no type at all) cannot upload."""
    jpeg_start = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01"
    with pytest.raises(UnsupportedMediaType) as raised:
        read_image(event(jpeg_start, content_type), max_bytes=100)
    assert raised.value.http_status == 415 and raised.value.code == "unsupported_media_type"
    assert "image/" in raised.value.message and "application/json" in raised.value.message


@pytest.mark.parametrize("content_type", ["image/jpeg", "IMAGE/PNG; q=1", "image/x-anything",
                                          "application/octet-stream"])
def test_image_and_octet_stream_types_upload_raw_bytes(content_type):
    assert read_image(event(b"\x00\x01", content_type), max_bytes=100) == b"\x00\x01"


def test_a_lone_surrogate_in_a_text_body_is_invalid_input():
    with pytest.raises(InvalidInput, match="not valid text"):
        read_image(event("\ud800", "image/jpeg"), max_bytes=100)


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


def test_invalid_transport_base64_is_invalid_input():
    with pytest.raises(InvalidInput, match="base64"):
        read_image(event("a!b=", "image/png", isBase64Encoded=True), max_bytes=1000)


def test_content_type_helpers():
    assert media_type(" Image/JPEG ; q=1") == "image/jpeg" and media_type(None) == ""
    assert is_json("application/problem+json") and not is_json("image/png") and not is_json(None)
    assert [encoded_length(n) for n in (0, 1, 2, 3, 4)] == [0, 4, 4, 4, 8]
    assert all(encoded_length(n) == len(base64.b64encode(bytes(n))) for n in range(50))
