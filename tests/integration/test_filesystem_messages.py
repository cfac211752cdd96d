"""Storage errors of the filesystem backend: the body names no path or key; the log does.

The handler (the same REST app the local server serves) runs on a data directory whose
name is easy to spot; each test breaks one part of it and requests the route that reads or
writes that part.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support import imagegen
from support.lambda_events import Answer, invoke_handler, make_api_event

PNG = imagegen.png()
KEY = f"{hashlib.sha256(PNG).hexdigest()}.png"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "secret-data-dir"


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Iterator[Any]:
    for name in [n for n in os.environ if n.startswith("FACEDETECT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("FACEDETECT_BACKEND", "filesystem")
    monkeypatch.setenv("FACEDETECT_DATA_DIR", str(data_dir))
    from facedetect.entrypoints import aws_lambda

    aws_lambda.reset()
    yield aws_lambda.handler
    aws_lambda.reset()


def replace_with_file(path: Path) -> None:
    shutil.rmtree(path)
    path.write_text("not a directory")


def break_images(data_dir: Path, detection_id: str) -> None:
    replace_with_file(data_dir / "images")


def break_detections(data_dir: Path, detection_id: str) -> None:
    replace_with_file(data_dir / "detections")


def corrupt_detection(data_dir: Path, detection_id: str) -> None:
    (data_dir / "detections" / f"{detection_id}.json").write_text('{"id": "trunc')


def image_becomes_a_directory(data_dir: Path, detection_id: str) -> None:
    image = data_dir / "images" / KEY
    image.unlink()
    image.mkdir()


def forget_detection(data_dir: Path, detection_id: str) -> None:
    (data_dir / "detections" / f"{detection_id}.json").unlink()


def both(*steps: Callable[[Path, str], None]) -> Callable[[Path, str], None]:
    def run(data_dir: Path, detection_id: str) -> None:
        for step in steps:
            step(data_dir, detection_id)
    return run


@pytest.mark.parametrize(("route", "sabotage", "status"), [
    ("post_faces_png", both(forget_detection, break_images), 500),  # writing the image fails
    ("post_faces_png", break_detections, 500),  # reading (then writing) the detection fails
    ("get_faces_list", break_detections, 500),
    ("get_face", corrupt_detection, 500),
    ("get_face", break_detections, 500),
    ("get_face_image", image_becomes_a_directory, 500),
    ("get_face_image", both(break_images), 500),
])
def test_storage_errors_name_no_path_or_key(handler: Any, data_dir: Path, capsys: pytest.CaptureFixture[str],
                                           route: str, sabotage: Callable[[Path, str], None], status: int) -> None:
    stored = invoke_handler(handler, make_api_event("post_faces_png", image=PNG))
    assert stored.status == 200, stored.raw_body
    detection_id = stored.json["detection"]["id"]
    sabotage(data_dir, detection_id)
    capsys.readouterr()

    answer: Answer = invoke_handler(handler, make_api_event(route, image=PNG, detection_id=detection_id,
                                                           request_id="req-fs"))

    assert answer.status == status, answer.raw_body
    assert answer.json["error"]["request_id"] == "req-fs"
    for name in ("secret-data-dir", str(data_dir.parent), KEY, ".json", "images", "detections", "Errno"):
        assert name not in answer.raw_body, f"{name!r} in {answer.raw_body}"
    assert "secret-data-dir" in capsys.readouterr().out  # the log says where
