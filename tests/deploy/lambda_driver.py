"""Run by a clean Python 3.12 (boto3 only) with ``PYTHONPATH`` = the unzipped Lambda artifact.

Usage: ``python -P lambda_driver.py EVENTS_DIR IMAGE OUT.json``. Imports the handler the
way the Lambda runtime does, feeds it API Gateway REST proxy events from ``tests/events``
(POST the image to ``/``, then read the detection, its image URL and the listing back) and
writes the proxy results, plus where each module was imported from, to ``OUT.json``.
Standard library only: nothing of the test environment may leak in.
"""

from __future__ import annotations

import base64
import importlib
import json
import sys
import uuid
from pathlib import Path
from typing import Any


class Context:
    """The attributes of the Lambda context object that Powertools reads."""

    function_name = "facedetect-e2e"
    function_version = "$LATEST"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:facedetect-e2e"
    log_group_name = "/aws/lambda/facedetect-e2e"
    log_stream_name = "2026/11/27/[$LATEST]e2e"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def event(events: Path, name: str, **placeholders: str) -> dict[str, Any]:
    text = (events / name).read_text(encoding="utf-8")
    for placeholder, value in placeholders.items():
        text = text.replace(placeholder, value)
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def main(events: Path, image: Path, out: Path) -> None:
    handler = importlib.import_module("facedetect.entrypoints.aws_lambda").handler
    encoded = base64.b64encode(image.read_bytes()).decode()
    results: dict[str, Any] = {}
    results["post"] = handler(event(events, "post_root_jpeg.json", __IMAGE_BASE64__=encoded), Context())
    detection_id = json.loads(results["post"]["body"])["detection"]["id"]
    for name in ("get_face.json", "get_face_image.json", "get_faces_list.json"):
        results[name] = handler(event(events, name, __DETECTION_ID__=detection_id), Context())
    names = ("facedetect", "cv2", "numpy", "PIL", "pydantic", "aws_lambda_powertools", "boto3", "jmespath")
    results["modules"] = {name: importlib.import_module(name).__file__ for name in names}
    out.write_text(json.dumps(results), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
