"""``POST /redact`` through both transports: the faces change, nothing else does, nothing is stored.

The face boxes the checks use come from raw OpenCV (the reference detector), not from facedetect.
"""

from __future__ import annotations

import base64
import io
import json

import cv2
import numpy as np
import pytest
from PIL import Image
from support import imagegen

from contract.conftest import Transport

#: The margin redaction may add around a box, as a fraction of the box size (the issue's bound).
MAX_MARGIN = 0.25


def reference_boxes(bgr: np.ndarray) -> list[tuple[int, int, int, int]]:
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    return [tuple(int(v) for v in box) for box in cascade.detectMultiScale(grey, 1.1, 5)]


def outside_margins(shape: tuple[int, ...], boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
    """True where a pixel lies outside every box widened by :data:`MAX_MARGIN` on each side."""
    mask = np.ones(shape[:2], bool)
    for x, y, w, h in boxes:
        dx, dy = int(np.ceil(w * MAX_MARGIN)), int(np.ceil(h * MAX_MARGIN))
        mask[max(0, y - dy):y + h + dy, max(0, x - dx):x + w + dx] = False
    return mask


def decoded(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def assert_redacted(original: bytes, redacted: bytes, boxes: list[tuple[int, int, int, int]]) -> None:
    before, after = decoded(original), decoded(redacted)
    assert before.shape == after.shape
    grey_before = cv2.cvtColor(before, cv2.COLOR_RGB2GRAY).astype(float)
    grey_after = cv2.cvtColor(after, cv2.COLOR_RGB2GRAY).astype(float)
    for x, y, w, h in boxes:
        change = np.abs(grey_before[y:y + h, x:x + w] - grey_after[y:y + h, x:x + w]).mean()
        assert change >= 20, f"the face at {(x, y, w, h)} changed by only {change:.1f} grey levels"
    outside = outside_margins(before.shape, boxes)
    assert np.array_equal(before[outside], after[outside]), "pixels outside the faces changed"


@pytest.fixture(scope="module")
def group_png() -> bytes:
    return imagegen.png(imagegen.group())


def test_post_redact_png_hides_the_reference_faces_and_changes_nothing_else(transport: Transport,
                                                                             group_png: bytes):
    boxes = reference_boxes(imagegen.group())
    assert len(boxes) >= 2, "the test image must hold several faces"

    reply = transport.send("POST", "/redact", group_png, {"Content-Type": "image/png"})

    assert reply.status == 200, reply.body[:300]
    assert reply.header("Content-Type") == "image/png"
    assert reply.body.startswith(b"\x89PNG\r\n\x1a\n")
    assert int(reply.header("X-Faces-Redacted") or -1) == len(boxes)
    assert_redacted(group_png, reply.body, boxes)


@pytest.mark.parametrize("style", ["blur", "pixelate", "fill"])
def test_every_style_leaves_the_rest_of_the_image_alone(transport: Transport, group_png: bytes, style: str):
    boxes = reference_boxes(imagegen.group())
    reply = transport.send("POST", "/redact", group_png, {"Content-Type": "image/png"}, query={"style": style})
    assert reply.status == 200, reply.body[:300]
    assert_redacted(group_png, reply.body, boxes)


def test_a_json_body_is_accepted_and_the_answer_has_the_format_sent(transport: Transport):
    jpeg = imagegen.jpeg()
    body = json.dumps({"image": base64.b64encode(jpeg).decode()}).encode()
    reply = transport.send("POST", "/redact", body, {"Content-Type": "application/json"})
    assert reply.status == 200, reply.body[:300]
    assert reply.header("Content-Type") == "image/jpeg"
    original, redacted = Image.open(io.BytesIO(jpeg)), Image.open(io.BytesIO(reply.body))
    assert redacted.format == "JPEG"
    assert redacted.quantization == original.quantization, "JPEG is re-encoded at the input's quality"


def test_nothing_is_stored_unless_asked(transport: Transport, group_png: bytes):
    before = transport.send("GET", "/faces", query={"limit": "100"}).json()["detections"]
    assert transport.send("POST", "/redact", group_png, {"Content-Type": "image/png"}).status == 200
    assert transport.send("GET", "/faces", query={"limit": "100"}).json()["detections"] == before

    stored = transport.send("POST", "/redact", group_png, {"Content-Type": "image/png"}, query={"store": "true"})
    assert stored.status == 200
    after = transport.send("GET", "/faces", query={"limit": "100"}).json()["detections"]
    assert len(after) == len(before) + 1, "store=true keeps the detection"


@pytest.mark.parametrize(("body", "content_type", "query", "status", "code"), [
    (b"not an image at all", "image/png", None, 400, "invalid_image"),
    (b"", "image/png", None, 400, "invalid_input"),
    (b"GIF89a" + b"\0" * 64, "image/gif", None, 415, "unsupported_image_format"),
    (None, "image/png", {"style": "smudge"}, 400, "invalid_input"),
])
def test_bad_requests_are_json_errors(transport: Transport, group_png: bytes, body: bytes | None,
                                      content_type: str, query: dict[str, str] | None, status: int, code: str):
    reply = transport.send("POST", "/redact", group_png if body is None else body, {"Content-Type": content_type},
                           query=query)
    assert reply.status == status, reply.body[:300]
    assert reply.header("Content-Type") == "application/json"
    assert reply.json()["error"]["code"] == code


@pytest.mark.parametrize("path", ["/faces", "/redact"])
def test_small_faces_on_the_haar_service_is_a_bad_option(transport: Transport, group_png: bytes, path: str):
    reply = transport.send("POST", path, group_png, {"Content-Type": "image/png"}, query={"small_faces": "true"})
    assert reply.status == 400, reply.body[:300]
    assert reply.json()["error"]["code"] == "invalid_input" and "yunet" in reply.json()["error"]["message"]
