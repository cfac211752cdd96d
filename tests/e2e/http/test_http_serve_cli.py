"""``facedetect serve`` as a user runs it: start-up line, bad configuration, default data directory."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from support import imagegen
from support.local_server import LINE_TIMEOUT, serve_process


def test_a_bad_configuration_fails_at_start_up_with_one_line(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEDETECT_")}
    result = subprocess.run([sys.executable, "-m", "facedetect.entrypoints.cli.main", "serve", "--backend", "aws"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "facedetect: error: Invalid configuration: FACEDETECT_S3_BUCKET is required when FACEDETECT_BACKEND=aws"]


@pytest.mark.slow
def test_by_default_it_keeps_data_in_the_per_user_data_directory(tmp_path: Path, user_dirs: Path):
    work = tmp_path / "work"
    work.mkdir()
    data = user_dirs / "xdg_data_home" / "facedetect"
    with serve_process(cwd=work) as server:
        assert f"filesystem store in {data.resolve()}," in server.banner, server.banner
        request = urllib.request.Request(f"{server.url}/faces", data=imagegen.jpeg(),
                                         headers={"Content-Type": "image/jpeg"})
        with urllib.request.urlopen(request, timeout=60) as response:
            detection = json.loads(response.read())["detection"]
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(timeout=LINE_TIMEOUT) == 0
    assert (data / "detections" / f"{detection['id']}.json").is_file()
    assert (data / "images" / detection["image_key"]).is_file()
    assert list(work.iterdir()) == [], "nothing in the working directory"
