"""Request bodies are bounded: the server decides from Content-Length, before reading the body."""

from __future__ import annotations

import json
import socket

from support import imagegen
from support.local_server import RunningServer

from facedetect.entrypoints.local_server.wsgi_app import body_limit


def raw_exchange(server: RunningServer, head: str, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """Send ``head`` (request line and headers) and ``body`` on a socket; read until the server closes."""
    head = head.replace("Host: test", f"Host: {server.host}:{server.port}")  # the server serves only its own name
    with socket.create_connection((server.host, server.port), timeout=30) as sock:
        sock.sendall(head.encode("latin-1") + b"\r\n" + body)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    header_block, _, payload = received.partition(b"\r\n\r\n")
    lines = header_block.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, payload


def assert_json_error(status: int, headers: dict[str, str], payload: bytes, expected: int, code: str) -> None:
    assert status == expected, payload
    assert headers["content-type"] == "application/json"
    error = json.loads(payload)["error"]
    assert error["code"] == code and error["message"]
    assert error["request_id"] == headers["x-request-id"]


def test_a_declared_body_over_the_limit_gets_413_json_without_being_sent(memory_server: RunningServer):
    declared = 1_000_000_000  # far more than we send: the server must answer from the header alone
    head = (f"POST /faces HTTP/1.1\r\nHost: test\r\nContent-Type: image/jpeg\r\n"
            f"Content-Length: {declared}\r\n")
    status, headers, payload = raw_exchange(memory_server, head, b"\xff\xd8\xff" + bytes(65_533))
    assert_json_error(status, headers, payload, 413, "image_too_large")
    assert "1,000,000,000" in json.loads(payload)["error"]["message"]
    assert headers.get("connection") == "close"
    assert memory_server.detections.items == {}


def test_the_limit_leaves_room_for_a_base64_json_image_of_the_maximum_size(memory_server: RunningServer):
    limit = body_limit(memory_server.service.limits.max_bytes)
    head = f"POST /faces HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {limit + 1}\r\n"
    status, headers, payload = raw_exchange(memory_server, head)
    assert_json_error(status, headers, payload, 413, "image_too_large")
    assert limit >= memory_server.service.limits.max_bytes * 4 // 3


def test_a_body_between_the_image_limit_and_the_transport_limit_reaches_the_api(memory_server: RunningServer):
    body = imagegen.jpeg()[:2000] + bytes(memory_server.service.limits.max_bytes)
    status, headers, payload = memory_server.request("POST", "/faces", body, {"Content-Type": "image/jpeg"})
    assert_json_error(status, headers, payload, 413, "image_too_large")
    assert "limit is 1,000,000 bytes" in json.loads(payload)["error"]["message"]


def test_post_without_content_length_gets_411_json(memory_server: RunningServer):
    head = "POST /faces HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
    status, headers, payload = raw_exchange(memory_server, head)
    assert_json_error(status, headers, payload, 411, "length_required")


def test_an_invalid_content_length_gets_400_json(memory_server: RunningServer):
    head = "POST /faces HTTP/1.1\r\nHost: test\r\nContent-Length: lots\r\n"
    status, headers, payload = raw_exchange(memory_server, head)
    assert_json_error(status, headers, payload, 400, "invalid_input")


def test_a_chunked_upload_within_the_limit_is_accepted(memory_server: RunningServer):
    image = imagegen.jpeg()
    chunks = b"".join(f"{len(part):x}\r\n".encode() + part + b"\r\n"
                      for part in (image[i:i + 10_000] for i in range(0, len(image), 10_000)))
    head = ("POST /faces HTTP/1.1\r\nHost: test\r\nContent-Type: image/jpeg\r\nTransfer-Encoding: chunked\r\n"
            "Connection: close\r\n")
    status, _headers, payload = raw_exchange(memory_server, head, chunks + b"0\r\n\r\n")
    assert status == 200, payload
    assert json.loads(payload)["detection"]["face_count"] == 1
