"""Fixtures for driving ``facedetect.entrypoints.aws_lambda.handler`` with real API Gateway events.

* ``lambda_handler``: the handler module on the memory backend, its cached service reset
  before and after the test (``aws_lambda.reset()``), so each test starts from empty stores.
* ``api_event``: loads a document of ``tests/events/`` and fills its templated body / id.
* ``invoke``: calls the handler with a fake ``LambdaContext`` and decodes the result.
"""

from __future__ import annotations

import base64
import copy
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

EVENTS = Path(__file__).resolve().parents[2] / "events"
IMAGE_PLACEHOLDER = "__IMAGE_BASE64__"
ID_PLACEHOLDER = "__DETECTION_ID__"


@dataclass
class FakeLambdaContext:
    """The attributes of ``LambdaContext`` that Powertools reads."""

    function_name: str = "facedetect"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:facedetect"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/facedetect"
    log_stream_name: str = "2026/11/27/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@dataclass
class Answer:
    """A decoded Lambda proxy result."""

    status: int
    headers: dict[str, list[str]]
    raw_body: str
    is_base64: bool
    result: dict[str, Any]

    def header(self, name: str) -> str | None:
        for key, values in self.headers.items():
            if key.lower() == name.lower():
                return values[-1]
        return None

    @property
    def json(self) -> Any:
        return json.loads(self.raw_body)

    @property
    def content(self) -> bytes:
        return base64.b64decode(self.raw_body) if self.is_base64 else self.raw_body.encode()


def fill(template: Any, *, image: bytes | None = None, detection_id: str | None = None) -> Any:
    """A copy of ``template`` with the placeholders replaced; fails if one is left unfilled."""
    encoded = base64.b64encode(image).decode() if image is not None else None

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str):
            if IMAGE_PLACEHOLDER in value:
                assert encoded is not None, "this event needs image="
                value = value.replace(IMAGE_PLACEHOLDER, encoded)
            if ID_PLACEHOLDER in value:
                assert detection_id is not None, "this event needs detection_id="
                value = value.replace(ID_PLACEHOLDER, detection_id)
        return value

    return walk(copy.deepcopy(template))


@pytest.fixture(scope="session")
def event_templates() -> dict[str, dict[str, Any]]:
    return {path.stem: json.loads(path.read_text()) for path in sorted(EVENTS.glob("*.json"))}


@pytest.fixture
def api_event(event_templates: dict[str, dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """``api_event(name, image=..., detection_id=..., request_id=...)``: a filled event document."""

    def make(name: str, *, image: bytes | None = None, detection_id: str | None = None,
             request_id: str | None = None) -> dict[str, Any]:
        event: dict[str, Any] = fill(event_templates[name], image=image, detection_id=detection_id)
        if request_id is not None:
            event["requestContext"]["requestId"] = request_id
        return event

    return make


@pytest.fixture
def lambda_handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The handler module on a fresh memory backend (``FACEDETECT_BACKEND=memory``)."""
    from facedetect.entrypoints import aws_lambda

    for name in ("FACEDETECT_DATA_DIR", "FACEDETECT_S3_BUCKET", "FACEDETECT_DETECTOR", "FACEDETECT_MAX_BYTES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FACEDETECT_BACKEND", "memory")
    aws_lambda.reset()
    yield aws_lambda
    aws_lambda.reset()


@pytest.fixture
def invoke(lambda_handler: ModuleType) -> Callable[[dict[str, Any]], Answer]:
    """Call the handler with ``event`` and a fake context; returns the decoded :class:`Answer`."""

    def call(event: dict[str, Any]) -> Answer:
        result = lambda_handler.handler(event, FakeLambdaContext())
        json.dumps(result)  # what Lambda does with it: must be JSON-serialisable
        return Answer(status=result["statusCode"], headers=dict(result.get("multiValueHeaders") or {}),
                      raw_body=result["body"] or "", is_base64=result["isBase64Encoded"], result=result)

    return call


@pytest.fixture
def stored(lambda_handler: ModuleType) -> Callable[[], tuple[int, int]]:
    """``stored()``: how many images and detections the handler's memory backend holds now."""

    def count() -> tuple[int, int]:
        service = lambda_handler.app.service
        return len(service.images.objects), len(service.detections.items)

    return count
