"""Run by a clean Python 3.12 (boto3 only) with ``PYTHONPATH`` = the unzipped Lambda artifact.

Usage: ``python -P lambda_driver.py EVENTS_DIR IMAGE OUT.json``. Imports the handler the
way the Lambda runtime does, feeds it API Gateway REST proxy events from ``tests/events``
(POST the image to ``/``, read the detection, its image URL and the listing back, POST the
same image again and read its image URL again) and writes the proxy results, where each
module was imported from, the modules of the task root that were not loaded from their
``__pycache__`` bytecode and the botocore version to ``OUT.json``. Standard library only:
nothing of the test environment may leak in.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
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


def from_bytecode(task_root: Path) -> tuple[int, list[str]]:
    """The number of source modules imported from ``task_root``, and those without their cached bytecode.

    A source module's loader reads ``__cached__`` when that file is valid for this Python; a
    module listed here had none (or the runtime could not use it) and was compiled at import.
    """
    root = str(task_root.resolve())
    count, missing = 0, []
    for name, module in sorted(sys.modules.items()):
        path = getattr(module, "__file__", None) or ""
        if not path.endswith(".py") or not str(Path(path).resolve()).startswith(root + "/"):
            continue
        count += 1
        cached = getattr(module, "__cached__", None)
        if not cached or not Path(cached).is_file():
            missing.append(name)
    return count, missing


def main(events: Path, image: Path, out: Path) -> None:
    handler = importlib.import_module("facedetect.entrypoints.aws_lambda").handler
    encoded = base64.b64encode(image.read_bytes()).decode()
    results: dict[str, Any] = {}
    results["post"] = handler(event(events, "post_root_jpeg.json", __IMAGE_BASE64__=encoded), Context())
    # A failed POST is reported by the test (with its answer); the reads then go to an unknown id.
    detection_id = json.loads(results["post"]["body"]).get("detection", {}).get("id", "0" * 64)
    for name in ("get_face.json", "get_face_image.json", "get_faces_list.json"):
        results[name] = handler(event(events, name, __DETECTION_ID__=detection_id), Context())
    results["post_again"] = handler(event(events, "post_root_jpeg.json", __IMAGE_BASE64__=encoded), Context())
    results["get_face_image_again"] = handler(event(events, "get_face_image.json", __DETECTION_ID__=detection_id),
                                              Context())
    names = ("facedetect", "cv2", "numpy", "PIL", "pydantic", "aws_lambda_powertools", "boto3", "jmespath")
    results["modules"] = {name: importlib.import_module(name).__file__ for name in names}
    results["botocore"] = importlib.import_module("botocore").__version__
    results["task_root_modules"], results["not_from_bytecode"] = from_bytecode(Path(os.environ["LAMBDA_TASK_ROOT"]))
    out.write_text(json.dumps(results), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
