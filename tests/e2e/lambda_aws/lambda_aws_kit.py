"""Helpers for driving the Lambda handler on the aws backend against a moto server.

The handler is ``facedetect.entrypoints.aws_lambda.handler``; events are the documents of
``tests/events/`` with their placeholders filled; what the handler stored is read back with
independent boto3 clients of the test (``aws_testkit.Aws``), never through the adapters.
"""

from __future__ import annotations

import base64
import copy
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import cv2
import numpy as np
from aws_testkit import Aws, list_keys, scan_all

EVENTS = Path(__file__).resolve().parents[2] / "events"
IMAGE_PLACEHOLDER = "__IMAGE_BASE64__"
ID_PLACEHOLDER = "__DETECTION_ID__"
BUCKET = "facedetect-lambda-e2e"
TABLE = "faces"
MAX_BYTES = 1_000_000  # FACEDETECT_MAX_BYTES of these tests: the oversize event stays small


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
    """A Lambda proxy result, decoded."""

    status: int
    headers: dict[str, list[str]]
    raw_body: str
    is_base64: bool

    def header(self, name: str) -> str | None:
        for key, values in self.headers.items():
            if key.lower() == name.lower():
                return values[-1]
        return None

    @property
    def json(self) -> Any:
        return json.loads(self.raw_body)


@dataclass
class Deployment:
    """The handler module configured for ``FACEDETECT_BACKEND=aws`` and the moto resources it uses."""

    aws: Aws
    handler: ModuleType
    variant: str  # "reference" (the table as it exists) or "by_created" (plus the optional GSI)

    def invoke(self, event: dict[str, Any]) -> Answer:
        """Call ``handler(event, context)`` as Lambda does, and decode the proxy result."""
        result = self.handler.handler(event, FakeLambdaContext())
        json.dumps(result)  # Lambda serialises the result: it must be plain JSON
        return Answer(result["statusCode"], dict(result.get("multiValueHeaders") or {}), result["body"] or "",
                      result["isBase64Encoded"])

    def objects(self) -> list[str]:
        """Keys in the bucket, from ``list_objects_v2``."""
        return list_keys(self.aws, BUCKET)

    def items(self) -> list[dict[str, Any]]:
        """Every item of the table (consistent Scan), numbers as ``Decimal``."""
        return scan_all(self.aws, TABLE)

    def face_items(self) -> list[dict[str, Any]]:
        """Items carrying the reference face attributes (what a reference consumer would read)."""
        return [item for item in self.items() if "x1" in item]

    def detection_items(self) -> list[dict[str, Any]]:
        return [item for item in self.items() if item.get("item_type") == "detection"]


def fill(template: Any, *, image: bytes | None = None, detection_id: str | None = None) -> Any:
    """A copy of an event document with its placeholders replaced; fails if one stays unfilled."""
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


def load_events() -> dict[str, dict[str, Any]]:
    """Every event document of ``tests/events/`` by file stem."""
    return {path.stem: json.loads(path.read_text()) for path in sorted(EVENTS.glob("*.json"))}


def reference_boxes(image: bytes) -> list[tuple[int, int, int, int]]:
    """What the reference system computed, sorted: raw OpenCV ``detectMultiScale(grey, 1.1, 5)``."""
    decoded = cv2.imdecode(np.frombuffer(image, np.uint8), cv2.IMREAD_COLOR)
    grey = cv2.cvtColor(decoded, cv2.COLOR_BGR2GRAY)
    classifier = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    return sorted((int(x), int(y), int(x + w), int(y + h)) for x, y, w, h in classifier.detectMultiScale(grey, 1.1, 5))


def assert_json_error(answer: Answer, status: int, code: str, request_id: str) -> dict[str, Any]:
    """The answer is the JSON error body with ``code`` and the request's id, and no stack trace."""
    assert answer.status == status, answer.raw_body
    assert answer.header("Content-Type") == "application/json"
    error: dict[str, Any] = answer.json["error"]
    assert set(error) == {"code", "message", "request_id"}
    assert error["code"] == code
    assert error["request_id"] == request_id == answer.header("X-Request-Id")
    assert error["message"] and "Traceback" not in answer.raw_body and 'File "' not in answer.raw_body
    return error
