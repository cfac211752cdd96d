"""Every route of the Lambda, driven by real API Gateway REST events (memory backend).

Success bodies are validated against the OpenAPI models (``extra="forbid"``), so the published
schema and the code cannot drift apart. Errors are in ``test_lambda_errors.py``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from support import imagegen

from facedetect.adapters.memory import InMemoryDetectionRepository, InMemoryImageStore
from facedetect.entrypoints.rest.events import build_event
from facedetect.entrypoints.rest.schemas import (
    DetectionEnvelope,
    DetectionPage,
    DetectResponse,
)

OCTET = {"Content-Type": "application/octet-stream"}  # an upload needs an image content type


@pytest.fixture(scope="module")
def jpeg() -> bytes:
    return imagegen.jpeg()


def test_post_root_with_a_raw_jpeg_answers_the_reference_shape_and_stores_it(invoke, api_event, stored, jpeg):
    event = api_event("post_root_jpeg", image=jpeg)
    answer = invoke(event)
    assert answer.status == 200, answer.raw_body
    body = DetectResponse.model_validate(answer.json)
    assert list(answer.json["faces"]) == [str(i) for i in range(len(body.faces))] and len(body.faces) == 1
    assert body.detection.media_type == "image/jpeg" and (body.detection.width, body.detection.height) == (512, 512)
    assert answer.header("X-Request-Id") == event["requestContext"]["requestId"]
    assert stored() == (1, 1)


def test_post_faces_with_a_binary_png(invoke, api_event, stored):
    answer = invoke(api_event("post_faces_png", image=imagegen.png()))
    assert answer.status == 200, answer.raw_body
    detection = DetectResponse.model_validate(answer.json).detection
    assert detection.media_type == "image/png" and detection.image_key.endswith(".png")
    assert detection.face_count == 1
    assert stored() == (1, 1)


def test_json_base64_body_gives_the_same_detection_as_the_raw_bytes(invoke, api_event, stored, jpeg):
    raw = invoke(api_event("post_root_jpeg", image=jpeg))
    as_json = invoke(api_event("post_faces_json", image=jpeg))
    assert as_json.status == 200, as_json.raw_body
    assert as_json.json["detection"]["id"] == raw.json["detection"]["id"]
    assert as_json.json["faces"] == raw.json["faces"]
    assert stored() == (1, 1)  # same bytes, same settings: stored once


def test_json_body_accepts_a_data_url_and_wrapped_base64(invoke):
    png = imagegen.png(imagegen.shapes())
    wrapped = base64.encodebytes(png).decode()  # 76-column lines
    for image in (f"data:image/png;base64,{base64.b64encode(png).decode()}", wrapped):
        answer = invoke(build_event("POST", "/faces", body=json.dumps({"image": image}),
                                    headers={"Content-Type": "application/json; charset=utf-8"}))
        assert answer.status == 200, answer.raw_body
        assert answer.json["faces"] == {}


def test_get_by_id_returns_the_stored_detection(invoke, api_event, jpeg):
    posted = invoke(api_event("post_root_jpeg", image=jpeg)).json["detection"]
    answer = invoke(api_event("get_face", detection_id=posted["id"]))
    assert answer.status == 200, answer.raw_body
    DetectionEnvelope.model_validate(answer.json)
    assert answer.json["detection"] == posted


def test_get_image_returns_the_stored_bytes_when_the_store_cannot_presign(invoke, api_event, jpeg):
    posted = invoke(api_event("post_root_jpeg", image=jpeg)).json["detection"]
    answer = invoke(api_event("get_face_image", detection_id=posted["id"]))
    assert answer.status == 200
    assert answer.is_base64 and answer.content == jpeg
    assert answer.header("Content-Type") == "image/jpeg"


def test_get_image_redirects_to_the_link_the_store_gives(invoke, api_event, lambda_handler, jpeg):
    asked: list[tuple[str, int]] = []

    class LinkingStore(InMemoryImageStore):
        """A memory store that hands out links, as the S3 store does."""

        def url_for(self, key: str, ttl: int) -> str | None:
            asked.append((key, ttl))
            return f"https://bucket.example/{key}?X-Amz-Expires={ttl}&X-Amz-Signature=abc"

    lambda_handler.reset(images=LinkingStore(), detections=InMemoryDetectionRepository())
    posted = invoke(api_event("post_root_jpeg", image=jpeg)).json["detection"]
    answer = invoke(api_event("get_face_image", detection_id=posted["id"]))
    assert answer.status == 302
    assert asked == [(posted["image_key"], 300)]
    link = f"https://bucket.example/{posted['image_key']}?X-Amz-Expires=300&X-Amz-Signature=abc"
    assert answer.header("Location") == answer.json["url"] == link
    assert answer.json["expires_in"] == 300


def test_list_pages_newest_first_with_a_cursor(invoke, api_event):
    ids = [invoke(build_event("POST", "/faces", body=image, headers=OCTET)).json["detection"]["id"]
           for image in imagegen.variants(3)]
    first = invoke(api_event("get_faces_list"))
    assert first.status == 200, first.raw_body
    page = DetectionPage.model_validate(first.json)
    assert len(page.detections) == 2 and page.next_cursor
    second = invoke(build_event("GET", "/faces", query={"limit": "2", "cursor": page.next_cursor}))
    rest = DetectionPage.model_validate(second.json)
    assert rest.next_cursor is None and len(rest.detections) == 1
    listed = [*page.detections, *rest.detections]
    assert sorted(d.id for d in listed) == sorted(ids)
    stamps = [(d.created_at, d.id) for d in listed]
    assert stamps == sorted(stamps, reverse=True)


def test_detector_options_give_their_own_detection_and_default_values_do_not(invoke, jpeg):
    def post(query: dict[str, str]) -> dict[str, Any]:
        answer = invoke(build_event("POST", "/faces", body=jpeg, query=query, headers=OCTET))
        assert answer.status == 200, answer.raw_body
        return answer.json["detection"]  # type: ignore[no-any-return]

    plain = post({})
    assert post({"scale_factor": "1.1", "min_neighbors": "5"})["id"] == plain["id"]
    tuned = post({"scale_factor": "1.3", "min_neighbors": "3", "min_size": "40", "max_dimension": "256"})
    assert tuned["id"] != plain["id"]
    assert tuned["parameters"] | {"cascade": None} == {
        "cascade": None, "scale_factor": 1.3, "min_neighbors": 3, "min_size": [40, 40], "max_size": None,
        "max_dimension": 256}
    assert post({"max_dimension": "256", "min_size": "40", "min_neighbors": "3", "scale_factor": "1.3"}) == tuned


def test_store_false_detects_without_keeping_anything(invoke, api_event, stored, jpeg):
    answer = invoke(build_event("POST", "/faces", body=jpeg, query={"store": "false"}, headers=OCTET))
    assert answer.status == 200 and len(answer.json["faces"]) == 1
    assert stored() == (0, 0)
    assert invoke(api_event("get_face", detection_id=answer.json["detection"]["id"])).status == 404


def test_openapi_document_is_served_with_the_stage_as_server(invoke, api_event):
    event = api_event("get_unknown_route")
    event.update(path="/openapi.json", pathParameters={"proxy": "openapi.json"})
    event["requestContext"]["path"] = "/prod/openapi.json"
    answer = invoke(event)
    assert answer.status == 200
    document = answer.json
    assert document["servers"] == [{"url": "/prod"}]
    assert {"/", "/faces", "/faces/{detection_id}", "/faces/{detection_id}/image"} <= set(document["paths"])


def test_swagger_page_loads_nothing_from_the_network(invoke):
    answer = invoke(build_event("GET", "/swagger"))
    assert answer.status == 200 and answer.header("Content-Type") == "text/html"
    page = answer.content.decode()
    assert "SwaggerUIBundle" in page and "<style>" in page
    for attribute in ("src=", "href="):
        assert f"{attribute}'http" not in page and f'{attribute}"http' not in page
