"""HTTP request <-> API Gateway proxy event translation (``facedetect.entrypoints.local_server.proxy``)."""

from __future__ import annotations

import base64
import io

from facedetect.entrypoints.local_server.proxy import from_proxy_result, to_event


def environ(method: str = "GET", path: str = "/", query: str = "", body: bytes = b"", **headers: str) -> dict:
    env = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "wsgi.input": io.BytesIO(body),
           "REMOTE_ADDR": "127.0.0.9"}
    for name, value in headers.items():
        key = name.upper()
        env[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    return env


def test_a_request_becomes_the_event_api_gateway_would_send():
    raw_path = "/faces/caf\u00e9".encode().decode("latin-1")  # PEP 3333: UTF-8 bytes as latin-1 code points
    event = to_event(environ("POST", raw_path, "limit=2&tag=a&tag=b&empty=", b"\x89PNG",
                             CONTENT_TYPE="image/png", CONTENT_LENGTH="4", X_CUSTOM_HEADER="yes"), b"\x89PNG", "r-1")
    assert event["httpMethod"] == "POST" and event["path"] == "/faces/caf\u00e9"
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\x89PNG"
    assert event["headers"]["Content-Type"] == "image/png" and event["headers"]["X-Custom-Header"] == "yes"
    assert event["multiValueQueryStringParameters"] == {"limit": ["2"], "tag": ["a", "b"], "empty": [""]}
    assert event["queryStringParameters"]["tag"] == "b"  # API Gateway keeps the last value
    assert event["requestContext"]["requestId"] == "r-1"
    assert event["requestContext"]["identity"]["sourceIp"] == "127.0.0.9"


def test_no_body_is_a_null_body():
    event = to_event(environ("GET", "/faces"), b"", "r-2")
    assert event["body"] is None and event["isBase64Encoded"] is False


def test_a_proxy_result_becomes_the_response_api_gateway_would_send():
    response = from_proxy_result({
        "statusCode": 302,
        "headers": {"Location": "https://example.invalid/x", "Content-Type": "application/json", "Vary": "ignored"},
        "multiValueHeaders": {"Vary": ["Accept", "Origin"], "Connection": ["keep-alive"]},
        "body": '{"url": "https://example.invalid/x"}',
        "isBase64Encoded": False,
    })
    assert response.status == "302 Found"
    assert ("Vary", "Accept") in response.headers and ("Vary", "Origin") in response.headers
    assert ("Vary", "ignored") not in response.headers  # multiValueHeaders win for a name in both
    assert ("Location", "https://example.invalid/x") in response.headers
    assert not any(name.lower() == "connection" for name, _ in response.headers)  # hop-by-hop: the server's
    assert ("Content-Length", str(len(response.body))) in response.headers


def test_a_base64_proxy_body_is_sent_as_its_bytes():
    data = bytes(range(256))
    response = from_proxy_result({"statusCode": 200, "headers": {"Content-Type": "image/png"},
                                  "body": base64.b64encode(data).decode(), "isBase64Encoded": True})
    assert response.body == data and response.status == "200 OK"
