"""The upload flow's contract (POST /uploads, send the bytes, GET /uploads/{id}), on both transports.

Both transports run the local flow (filesystem backend): a signed upload URL to the server
itself, processed in the background. The expected detection is what POST /faces answers for
the same bytes; expected boxes come from raw OpenCV.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from support import imagegen

from contract.conftest import MAX_BYTES, Transport
from contract.test_api_contract import assert_error, assert_json, reference_boxes

JSON = {"Content-Type": "application/json"}
WAIT_S = 120  # generous: a loaded 2-core machine; the loop ends as soon as the status changes


def create(transport: Transport, content_type: str = "image/jpeg", length: int = 1000,
           query: dict[str, str] | None = None) -> Any:
    body = json.dumps({"content_type": content_type, "content_length": length}).encode()
    return transport.send("POST", "/uploads", body, JSON, query=query)


def send_bytes(transport: Transport, created: dict[str, Any], data: bytes, content_type: str = "image/jpeg",
               tamper: bool = False) -> Any:
    assert created["method"] == "PUT" and created["fields"] == {}
    url = urlsplit(created["url"])
    query = dict(parse_qsl(url.query))
    if tamper:
        query["signature"] = "0" * 64
    return transport.send("PUT", url.path, data, {"Content-Type": content_type}, query=query)


def wait_done(transport: Transport, upload_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_S
    while True:
        body: dict[str, Any] = assert_json(transport.send("GET", f"/uploads/{upload_id}"), 200)
        if body["status"] != "pending" or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def test_an_upload_is_detected_like_a_direct_post(transport: Transport) -> None:
    data = imagegen.jpeg(imagegen.group())
    created = assert_json(create(transport, length=len(data)), 201)
    assert set(created) == {"upload_id", "url", "method", "fields", "expires_in", "status_url"}
    assert created["status_url"].endswith(f"/uploads/{created['upload_id']}")
    assert urlsplit(created["url"]).path == f"/uploads/{created['upload_id']}/content"
    assert 0 < created["expires_in"] <= 3600
    pending = assert_json(transport.send("GET", f"/uploads/{created['upload_id']}"), 200)
    assert pending["status"] == "pending" and "detection" not in pending
    assert assert_json(send_bytes(transport, created, data), 202)["upload_id"] == created["upload_id"]
    done = wait_done(transport, created["upload_id"])
    assert done["status"] == "done", done
    direct = assert_json(transport.send("POST", "/faces", data, {"Content-Type": "image/jpeg"}), 200)
    assert done["detection"] == direct["detection"]  # stored once, the same JSON as GET /faces/{id}
    boxes = sorted(tuple(f[k] for k in ("x1", "y1", "x2", "y2")) for f in done["detection"]["faces"])
    assert boxes == reference_boxes(data) and len(boxes) >= 2
    stored = assert_json(transport.send("GET", f"/faces/{done['detection']['id']}"), 200)
    assert stored["detection"] == done["detection"]


def test_upload_options_are_used(transport: Transport) -> None:
    data = imagegen.jpeg(imagegen.group())
    created = assert_json(create(transport, length=len(data), query={"min_neighbors": "7"}), 201)
    send_bytes(transport, created, data)
    done = wait_done(transport, created["upload_id"])
    assert done["detection"]["parameters"]["min_neighbors"] == 7


def test_a_non_image_ends_failed(transport: Transport) -> None:
    created = assert_json(create(transport, "image/png", 20), 201)
    assert send_bytes(transport, created, b"this is not a png....", "image/png").status == 202
    failed = wait_done(transport, created["upload_id"])
    assert failed["status"] == "failed" and failed["error"]["code"] == "invalid_image"
    assert failed["error"]["message"] and "detection" not in failed


@pytest.mark.parametrize(("content_type", "length", "status", "code"), [
    ("image/gif", 100, 415, "unsupported_image_format"), ("text/html", 100, 415, "unsupported_image_format"),
    ("image/jpeg", MAX_BYTES + 1, 413, "image_too_large"), ("image/jpeg", 0, 400, "invalid_input"),
])
def test_bad_announcements_are_refused(transport: Transport, content_type: str, length: int, status: int,
                                       code: str) -> None:
    assert_error(create(transport, content_type, length), status, code)


def test_bad_bodies_and_options_are_refused(transport: Transport) -> None:
    assert_error(transport.send("POST", "/uploads", b"not json", JSON), 400, "invalid_input")
    assert_error(transport.send("POST", "/uploads", b'{"content_type": "image/jpeg"}', JSON), 400, "invalid_input")
    assert_error(create(transport, query={"min_neighbors": "-1"}), 400, "invalid_input")


def test_bad_upload_urls_are_refused(transport: Transport) -> None:
    data = imagegen.jpeg()
    created = assert_json(create(transport, length=len(data)), 201)
    assert_error(send_bytes(transport, created, data, tamper=True), 403, "upload_rejected")
    assert_error(send_bytes(transport, created, data, content_type="image/png"), 403, "upload_rejected")
    assert assert_json(transport.send("GET", f"/uploads/{created['upload_id']}"), 200)["status"] == "pending"


def test_unknown_uploads_are_404(transport: Transport) -> None:
    for upload_id in ("0" * 32, "not-an-id"):
        assert_error(transport.send("GET", f"/uploads/{upload_id}"), 404, "upload_not_found")
    assert_error(transport.send("PUT", f"/uploads/{'0' * 32}/content", b"x", {"Content-Type": "image/jpeg"},
                                query={"expires": "1", "signature": "00"}), 404, "upload_not_found")


def test_content_already_detected_needs_no_upload(transport: Transport) -> None:
    import hashlib

    data = imagegen.jpeg(imagegen.astronaut()[::-1])  # bytes no other test sends
    digest = hashlib.sha256(data).hexdigest()

    def ask(query: dict[str, str] | None = None) -> Any:
        body = json.dumps({"content_type": "image/jpeg", "content_length": len(data), "sha256": digest}).encode()
        return transport.send("POST", "/uploads", body, JSON, query=query)

    assert set(assert_json(ask(), 201)) >= {"upload_id", "url"}  # not stored yet: upload it
    direct = assert_json(transport.send("POST", "/faces", data, {"Content-Type": "image/jpeg"}), 200)
    assert assert_json(ask(), 200) == {"status": "done", "detection": direct["detection"]}
    assert set(assert_json(ask({"min_neighbors": "9"}), 201)) >= {"upload_id"}  # other options: another detection
    bad = json.dumps({"content_type": "image/jpeg", "content_length": 5, "sha256": "xyz"}).encode()
    assert_error(transport.send("POST", "/uploads", bad, JSON), 400, "invalid_input")
