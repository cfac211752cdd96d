"""Helpers for driving the Lambda handler on the aws backend against a moto server.

The handler is ``facedetect.entrypoints.aws_lambda.handler``; events are the documents of
``tests/events/`` with their placeholders filled; what the handler stored is read back with
independent boto3 clients of the test (``support.aws_resources.Aws``), never through the adapters.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

import cv2
import numpy as np

from support.aws_resources import Aws, list_keys, scan_all
from support.lambda_events import Answer, invoke_handler

BUCKET = "facedetect-lambda-e2e"
TABLE = "faces"
MAX_BYTES = 1_000_000  # FACEDETECT_MAX_BYTES of these tests: the oversize event stays small


@dataclass
class Deployment:
    """The handler module configured for ``FACEDETECT_BACKEND=aws`` and the moto resources it uses."""

    aws: Aws
    handler: ModuleType
    variant: str  # "reference" (the table as it exists) or "by_created" (plus the optional GSI)

    def invoke(self, event: dict[str, Any]) -> Answer:
        """Call ``handler(event, context)`` as Lambda does, and decode the proxy result."""
        return invoke_handler(self.handler.handler, event)

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
