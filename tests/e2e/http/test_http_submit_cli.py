"""``facedetect submit`` against ``facedetect serve`` (both real processes): a folder in, one line per image out."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import imagegen
from support.local_server import serve_process

from facedetect.library import detect_faces

pytestmark = pytest.mark.slow


def submit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEDETECT_")}
    return subprocess.run([sys.executable, "-m", "facedetect.entrypoints.cli.main", "submit", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=600, check=False)


def test_a_folder_of_30_images_then_nothing_new_to_upload(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    (photos / "nested").mkdir(parents=True)
    images = imagegen.variants(30, size=160)
    for i, data in enumerate(images):
        (photos / ("nested" if i % 3 == 0 else "") / f"img{i:02d}.png").write_bytes(data)
    server_dir = tmp_path / "server"
    server_dir.mkdir()
    with serve_process("--data-dir", str(server_dir / "facedetect-data"), cwd=server_dir) as server:
        first = submit(str(photos), "--api", server.url, "--concurrency", "4", cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        lines = [json.loads(line) for line in first.stdout.splitlines()]
        assert len(lines) == 30 and len({line["path"] for line in lines}) == 30
        assert "30 image(s): 30 uploaded, 0 failed" in first.stderr
        for line in lines:
            data = Path(line["path"]).read_bytes()
            assert set(line) == {"path", "width", "height", "media_type", "faces", "detection_id", "stored"}
            assert (line["width"], line["height"], line["media_type"]) == (160, 160, "image/png")
            expected = sorted(f.box.to_xyxy() for f in detect_faces(data))
            assert sorted((f["x1"], f["y1"], f["x2"], f["y2"]) for f in line["faces"]) == expected
            stored = json.loads((server_dir / "facedetect-data" / "detections" / f"{line['detection_id']}.json")
                                .read_text())
            assert stored["sha256"] == hashlib.sha256(data).hexdigest()
        records = sorted((server_dir / "facedetect-data" / "uploads").glob("*.json"))
        assert len(records) == 30

        second = submit(str(photos), "--api", server.url, cwd=tmp_path)
        assert second.returncode == 0, second.stderr
        assert "30 image(s): 0 uploaded, 0 failed" in second.stderr
        again = {json.loads(line)["path"]: json.loads(line)["detection_id"] for line in second.stdout.splitlines()}
        assert again == {line["path"]: line["detection_id"] for line in lines}
        assert sorted((server_dir / "facedetect-data" / "uploads").glob("*.json")) == records  # no new upload


def test_a_bad_file_is_reported_and_the_rest_goes_on(tmp_path: Path) -> None:
    (tmp_path / "good.jpg").write_bytes(imagegen.jpeg())
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "fake.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)  # a PNG signature, then garbage
    server_dir = tmp_path / "server"
    server_dir.mkdir()
    with serve_process("--data-dir", str(server_dir / "facedetect-data"), cwd=server_dir) as server:
        done = submit(str(tmp_path / "good.jpg"), str(tmp_path / "notes.txt"), str(tmp_path / "fake.png"),
                      "--api", server.url, cwd=tmp_path)
    assert done.returncode == 1
    lines = {Path(json.loads(line)["path"]).name: json.loads(line) for line in done.stdout.splitlines()}
    assert len(lines["good.jpg"]["faces"]) == 1
    assert lines["notes.txt"]["error"]["code"] == "unsupported_image_format"
    assert lines["fake.png"]["error"]["code"] == "invalid_image"
    assert "Traceback" not in done.stderr and "notes.txt" in done.stderr


def test_an_unreachable_api_is_a_per_file_error(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(imagegen.jpeg())
    done = submit(str(tmp_path / "a.jpg"), "--api", "http://127.0.0.1:9", cwd=tmp_path)
    assert done.returncode == 1
    [line] = [json.loads(line) for line in done.stdout.splitlines()]
    assert line["error"]["code"] == "api_unreachable" and "Traceback" not in done.stderr
