"""Every route and every error of the handler, over HTTP to a moto server, driven by ``tests/events/``.

What the handler stored is checked with the test's own boto3 clients (``list_objects_v2``,
``Scan``); the image link is fetched over HTTP from the moto server.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.parse
import urllib.request

import pytest
from support import imagegen
from support.lambda_aws import BUCKET, MAX_BYTES, assert_json_error

PNG = imagegen.png()  # the astronaut, one face
JPEG = imagegen.jpeg(imagegen.composite([(0, 0, 0.5), (300, 40, 0.6)], size=(400, 640)))  # two faces


@pytest.mark.parametrize("deployed", ["reference", "by_created"], indirect=True)
def test_binary_png_base64_json_and_reference_posts_are_stored_and_read_back(deployed, api_event):
    png = deployed.invoke(api_event("post_faces_png", image=PNG))
    as_json = deployed.invoke(api_event("post_faces_json", image=JPEG))
    as_reference = deployed.invoke(api_event("post_root_jpeg", image=JPEG))

    for answer in (png, as_json, as_reference):
        assert answer.status == 200, answer.raw_body
        assert answer.header("Content-Type") == "application/json"
    png_detection, jpeg_detection = png.json["detection"], as_json.json["detection"]
    assert (png_detection["media_type"], png_detection["face_count"]) == ("image/png", 1)
    assert (jpeg_detection["media_type"], jpeg_detection["face_count"]) == ("image/jpeg", 2)
    assert as_reference.json == as_json.json  # same bytes, same settings: the stored detection again

    png_key, jpeg_key = f"{hashlib.sha256(PNG).hexdigest()}.png", f"{hashlib.sha256(JPEG).hexdigest()}.jpg"
    assert sorted(deployed.objects()) == sorted([png_key, jpeg_key])
    assert deployed.aws.s3.head_object(Bucket=BUCKET, Key=png_key)["ContentType"] == "image/png"
    assert len(deployed.detection_items()) == 2 and len(deployed.face_items()) == 3

    for detection in (png_detection, jpeg_detection):
        read = deployed.invoke(api_event("get_face", detection_id=detection["id"]))
        assert read.status == 200, read.raw_body
        assert read.json == {"detection": detection}

    listed = deployed.invoke(api_event("get_faces_list"))  # ?limit=2
    assert listed.status == 200, listed.raw_body
    assert [d["id"] for d in listed.json["detections"]] == [jpeg_detection["id"], png_detection["id"]]
    assert listed.json["next_cursor"] is None


def test_image_route_redirects_to_a_presigned_url_that_the_moto_server_honours(deployed, api_event, moto_url):
    detection = deployed.invoke(api_event("post_faces_png", image=PNG)).json["detection"]

    answer = deployed.invoke(api_event("get_face_image", detection_id=detection["id"]))

    assert answer.status == 302, answer.raw_body
    url = answer.header("Location")
    assert url == answer.json["url"] and answer.json["expires_in"] == 300
    parts = urllib.parse.urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == moto_url and parts.path == f"/{BUCKET}/{detection['image_key']}"
    query = urllib.parse.parse_qs(parts.query)
    assert query["X-Amz-Expires"] == ["300"] and query["X-Amz-Signature"]
    with urllib.request.urlopen(url, timeout=30) as response:  # over HTTP, from the moto server
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/png"
        assert response.read() == PNG
    with pytest.raises(urllib.error.HTTPError) as unsigned:
        urllib.request.urlopen(url.split("?", 1)[0], timeout=30).close()
    assert unsigned.value.code == 403  # the bucket is not public


@pytest.mark.parametrize(("name", "image", "status", "code"), [
    ("post_faces_empty", None, 400, "invalid_input"),
    ("post_faces_text", None, 415, "unsupported_media_type"),
    ("post_faces_truncated", JPEG[: len(JPEG) // 2], 400, "invalid_image"),
    ("post_faces_oversize", b"\xff\xd8\xff\xe0" + bytes(MAX_BYTES), 413, "image_too_large"),
    ("post_faces_gif", imagegen.pil_encode(imagegen.shapes(), "GIF"), 415, "unsupported_image_format"),
    ("post_faces_bad_option", JPEG, 400, "invalid_input"),
    ("get_unknown_route", None, 404, "route_not_found"),
    ("delete_faces", None, 405, "method_not_allowed"),
])
def test_bad_requests_get_a_json_error_with_the_request_id_and_store_nothing(deployed, api_event, name, image,
                                                                              status, code):
    event = api_event(name, image=image, request_id=f"req-{name}")
    answer = deployed.invoke(event)
    assert_json_error(answer, status, code, f"req-{name}")
    if name == "delete_faces":
        assert answer.header("Allow") == "GET, POST"
    assert deployed.objects() == [] and deployed.items() == []


@pytest.mark.parametrize("name", ["get_face", "get_face_image"])
def test_unknown_ids_are_404_even_next_to_stored_detections(deployed, api_event, name):
    stored = deployed.invoke(api_event("post_faces_png", image=PNG)).json["detection"]["id"]
    unknown = "0" * 32 if stored != "0" * 32 else "1" * 32
    event = api_event(name, detection_id=unknown, request_id="req-unknown")
    assert_json_error(deployed.invoke(event), 404, "detection_not_found", "req-unknown")
    assert deployed.invoke(api_event(name, detection_id=stored)).status in (200, 302)
