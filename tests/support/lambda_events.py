"""API Gateway events for the Lambda handler, a fake ``LambdaContext``, decoded proxy results.

Events are the documents of ``tests/events/`` (see its README): ``__IMAGE_BASE64__`` stands
for the base64 of an image, ``__DETECTION_ID__`` for a detection id.
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[1] / "events"
IMAGE_PLACEHOLDER = "__IMAGE_BASE64__"
ID_PLACEHOLDER = "__DETECTION_ID__"

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


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

    @classmethod
    def from_result(cls, result: dict[str, Any]) -> Answer:
        """Decode the dictionary a proxy-integration handler returns."""
        return cls(status=result["statusCode"], headers=dict(result.get("multiValueHeaders") or {}),
                   raw_body=result["body"] or "", is_base64=result["isBase64Encoded"], result=result)

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


def invoke_handler(handler: Handler, event: dict[str, Any]) -> Answer:
    """Call ``handler(event, context)`` as Lambda does, with a fake context, and decode the result."""
    result = handler(event, FakeLambdaContext())
    json.dumps(result)  # what Lambda does with it: must be JSON-serialisable
    return Answer.from_result(result)


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


@functools.cache
def load_events() -> dict[str, dict[str, Any]]:
    """Every event document of ``tests/events/`` by file stem (read once; :func:`fill` copies)."""
    return {path.stem: json.loads(path.read_text()) for path in sorted(EVENTS.glob("*.json"))}


def make_api_event(name: str, *, image: bytes | None = None, detection_id: str | None = None,
              request_id: str | None = None) -> dict[str, Any]:
    """The event document ``name`` (file stem) filled, optionally with its own request id."""
    event: dict[str, Any] = fill(load_events()[name], image=image, detection_id=detection_id)
    if request_id is not None:
        event["requestContext"]["requestId"] = request_id
    return event
