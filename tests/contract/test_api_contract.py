"""The HTTP API's contract, checked identically through Lambda events and through ``facedetect serve``.

Every test runs once per transport (see ``conftest.py``): same requests, same expected
statuses, JSON shapes, error codes and content types. Expected face boxes come from raw
OpenCV, not from facedetect.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import cv2
import numpy as np
import pytest
from support import imagegen

from contract.conftest import MAX_BYTES, Reply, Transport

JPEG = "image/jpeg"
ERROR_KEYS = {"code", "message", "request_id"}


@pytest.fixture(scope="module")
def astronaut_jpeg() -> bytes:
    return imagegen.jpeg()


def reference_boxes(data: bytes) -> list[tuple[int, int, int, int]]:
    """What the reference system answers: raw OpenCV Haar, default cascade, 1.1 / 5, grey, full size."""
    grey = cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2GRAY)
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    return sorted((int(x), int(y), int(x + w), int(y + h)) for x, y, w, h in cascade.detectMultiScale(grey, 1.1, 5))


def assert_json(reply: Reply, status: int) -> Any:
    assert reply.status == status, reply.body[:500]
    assert reply.header("Content-Type") == "application/json"
    return reply.json()


def assert_error(reply: Reply, status: int, code: str) -> dict[str, Any]:
    body = assert_json(reply, status)
    assert set(body) == {"error"} and set(body["error"]) == ERROR_KEYS, body
    error: dict[str, Any] = body["error"]
    assert error["code"] == code, error
    assert error["message"] and "Traceback" not in error["message"]
    assert error["request_id"] and error["request_id"] == reply.header("X-Request-Id")
    return error


def detect(transport: Transport, data: bytes, path: str = "/faces", content_type: str = JPEG) -> dict[str, Any]:
    body: dict[str, Any] = assert_json(transport.send("POST", path, data, {"Content-Type": content_type}), 200)
    return body


def test_post_faces_answers_the_reference_faces_and_the_detection(transport: Transport, astronaut_jpeg: bytes):
    body = detect(transport, astronaut_jpeg)
    assert set(body) == {"faces", "detection"}
    faces = body["faces"]
    assert list(faces) == [str(i) for i in range(len(faces))]
    assert all(set(box) == {"x1", "y1", "x2", "y2"} and all(type(v) is int for v in box.values())
               for box in faces.values())
    assert sorted(tuple(box.values()) for box in faces.values()) == reference_boxes(astronaut_jpeg)
    detection = body["detection"]
    assert (detection["width"], detection["height"], detection["media_type"]) == (512, 512, JPEG)
    assert detection["face_count"] == len(faces) == len(detection["faces"]) == 1
    assert [(f["x1"], f["y1"], f["x2"], f["y2"]) for f in detection["faces"]] == [
        tuple(faces[str(i)].values()) for i in range(len(faces))]


def test_post_root_is_the_reference_path_with_the_same_answer(transport: Transport, astronaut_jpeg: bytes):
    assert detect(transport, astronaut_jpeg, path="/") == detect(transport, astronaut_jpeg, path="/faces")


def test_json_base64_upload_gives_the_same_detection_as_raw_bytes(transport: Transport, astronaut_jpeg: bytes):
    raw = detect(transport, astronaut_jpeg)
    document = json.dumps({"image": base64.b64encode(astronaut_jpeg).decode()}).encode()
    as_json = detect(transport, document, content_type="application/json")
    assert as_json["detection"]["id"] == raw["detection"]["id"]
    assert as_json["faces"] == raw["faces"]


def test_png_without_faces(transport: Transport):
    body = detect(transport, imagegen.png(imagegen.shapes()), content_type="image/png")
    assert body["faces"] == {} and body["detection"]["faces"] == []
    assert body["detection"]["media_type"] == "image/png"
    assert body["detection"]["image_key"].endswith(".png")


def test_detector_options_in_the_query_change_the_detection(transport: Transport, astronaut_jpeg: bytes):
    default = detect(transport, astronaut_jpeg)["detection"]
    reply = transport.send("POST", "/faces", astronaut_jpeg, {"Content-Type": JPEG}, {"min_neighbors": "3"})
    tuned = assert_json(reply, 200)["detection"]
    assert tuned["parameters"]["min_neighbors"] == 3 and tuned["id"] != default["id"]


def _oversize() -> bytes:
    return imagegen.jpeg()[:2000] + bytes(MAX_BYTES + 200_000)


@pytest.mark.parametrize(("name", "body", "content_type", "query", "status", "code"), [
    ("empty body", None, JPEG, None, 400, "invalid_input"),
    ("text", b"hello, I am not a picture", "application/octet-stream", None, 400, "invalid_image"),
    ("jpeg as text/plain", imagegen.jpeg(), "text/plain", None, 415, "unsupported_media_type"),
    ("jpeg as a form", imagegen.jpeg(), "application/x-www-form-urlencoded", None, 415, "unsupported_media_type"),
    ("multipart form", b"--b\r\n\r\n--b--\r\n", "multipart/form-data; boundary=b", None, 415,
     "unsupported_media_type"),
    ("no content type", imagegen.jpeg(), None, None, 415, "unsupported_media_type"),
    ("random bytes", bytes(range(256)) * 8, "application/octet-stream", None, 400, "invalid_image"),
    ("truncated jpeg", imagegen.jpeg()[:6000], JPEG, None, 400, "invalid_image"),
    ("bad json", b'{"image": ', "application/json", None, 400, "invalid_input"),
    ("json without image", b'{"picture": "abc"}', "application/json", None, 400, "invalid_input"),
    ("bad base64", b'{"image": "***not base64***"}', "application/json", None, 400, "invalid_input"),
    ("gif", imagegen.pil_encode(imagegen.shapes(), "GIF"), "image/gif", None, 415, "unsupported_image_format"),
    ("over the byte limit", _oversize(), JPEG, None, 413, "image_too_large"),
    ("option out of range", imagegen.jpeg(), JPEG, {"scale_factor": "0.5"}, 400, "invalid_input"),
    ("option not a number", imagegen.jpeg(), JPEG, {"min_neighbors": "many"}, 400, "invalid_input"),
], ids=lambda v: v if isinstance(v, str) and " " in v else None)
def test_bad_uploads_get_the_documented_error(transport: Transport, name: str, body: bytes | None,
                                             content_type: str | None, query: dict[str, str] | None, status: int,
                                             code: str):
    headers = {"Content-Type": content_type} if content_type is not None else {}
    reply = transport.send("POST", "/faces", body, headers, query)
    assert_error(reply, status, code)


def test_a_stored_detection_reads_back_by_id_with_its_image(transport: Transport, astronaut_jpeg: bytes):
    posted = detect(transport, astronaut_jpeg)["detection"]
    got = assert_json(transport.send("GET", f"/faces/{posted['id']}"), 200)
    assert got == {"detection": posted}
    image = transport.send("GET", f"/faces/{posted['id']}/image")
    assert image.status == 200 and image.header("Content-Type") == JPEG
    assert image.body == astronaut_jpeg


def test_listing_is_newest_first_and_pages_with_a_cursor(transport: Transport):
    ids = [detect(transport, png, content_type="image/png")["detection"]["id"] for png in imagegen.variants(3)]
    page = assert_json(transport.send("GET", "/faces", query={"limit": "2"}), 200)
    assert set(page) == {"detections", "next_cursor"} and len(page["detections"]) == 2
    assert [d["id"] for d in page["detections"]] == ids[::-1][:2]
    rest = assert_json(transport.send("GET", "/faces", query={"limit": "1000", "cursor": page["next_cursor"]}), 200)
    assert ids[0] in [d["id"] for d in rest["detections"]]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(("method", "path", "query", "status", "code"), [
    ("GET", "/faces/0123456789abcdef0123456789abcdef", None, 404, "detection_not_found"),
    ("GET", "/faces/0123456789abcdef0123456789abcdef/image", None, 404, "detection_not_found"),
    ("GET", "/faces/not..an..id", None, 404, "detection_not_found"),
    ("GET", "/faces/_starts_with_underscore", None, 404, "detection_not_found"),
    ("GET", "/faces/-starts-with-dash/image", None, 404, "detection_not_found"),
    ("GET", "/faces", {"limit": "0"}, 400, "invalid_input"),
    ("GET", "/faces", {"cursor": "garbage!"}, 400, "invalid_input"),
    ("GET", "/no/such/route", None, 404, "route_not_found"),
    ("DELETE", "/faces", None, 405, "method_not_allowed"),
    ("PUT", "/", None, 405, "method_not_allowed"),
])
def test_reads_and_routing_errors(transport: Transport, method: str, path: str, query: dict[str, str] | None,
                                  status: int, code: str):
    reply = transport.send(method, path, query=query)
    assert_error(reply, status, code)
    if status == 405:
        assert "POST" in (reply.header("Allow") or "")


def test_openapi_document_describes_every_route(transport: Transport):
    document = assert_json(transport.send("GET", "/openapi.json"), 200)
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    assert {"/", "/faces", "/faces/{detection_id}", "/faces/{detection_id}/image"} <= set(paths)
    assert {"post"} <= set(paths["/faces"]) and {"get"} <= set(paths["/faces"])
    assert "requestBody" in paths["/faces"]["post"]
    assert {"400", "413", "415"} <= set(paths["/faces"]["post"]["responses"])
