"""``facedetect models``: a verified download into the per-user cache, then ``--detector yunet`` needs no path.

The model is served by a local HTTP server from ``../shared``; no test contacts the real URL.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import imagegen

from facedetect.detectors.models import KNOWN_MODELS


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEDETECT_")}
    return subprocess.run([sys.executable, "-m", "facedetect.entrypoints.cli.main", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def model_server(yunet_model: Path) -> Iterator[str]:
    """The base URL of a local HTTP server whose root is the folder holding the shared model."""
    handler = functools.partial(_QuietHandler, directory=str(yunet_model.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _cache(user_dirs: Path) -> Path:
    return user_dirs / "xdg_cache_home" / "facedetect" / "models"


def test_a_wrong_hash_keeps_nothing_and_says_so_in_one_line(model_server: str, yunet_model: Path,
                                                          user_dirs: Path, tmp_path: Path) -> None:
    result = _run("models", "download", "yunet", "--url", f"{model_server}/{yunet_model.name}",
                  "--sha256", "0" * 64, cwd=tmp_path)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1 and "SHA-256" in result.stderr and "Traceback" not in result.stderr
    assert not (user_dirs / "xdg_cache_home").exists(), "nothing cached, not even an empty folder"


def test_an_http_error_keeps_nothing(model_server: str, user_dirs: Path, tmp_path: Path) -> None:
    result = _run("models", "download", "yunet", "--url", f"{model_server}/missing.onnx", cwd=tmp_path)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1 and "HTTP 404" in result.stderr
    assert not (user_dirs / "xdg_cache_home").exists()


def test_no_network_is_one_line_and_keeps_nothing(user_dirs: Path, tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on: connection refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = _run("models", "download", "yunet", "--url", f"http://127.0.0.1:{port}/m.onnx", cwd=tmp_path)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1 and "Cannot reach" in result.stderr
    assert not (user_dirs / "xdg_cache_home").exists()


def test_the_right_hash_caches_the_model_and_yunet_then_needs_no_path(model_server: str, yunet_model: Path,
                                                                      user_dirs: Path, tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(imagegen.jpeg(imagegen.group()))
    before = _run("detect", str(photo), "--detector", "yunet", "--no-store", cwd=tmp_path)
    assert before.returncode == 2 and "facedetect models download yunet" in before.stderr
    assert before.stderr.count("\n") == 1

    expected = hashlib.sha256(yunet_model.read_bytes()).hexdigest()
    result = _run("models", "download", "yunet", "--url", f"{model_server}/{yunet_model.name}",
                  "--sha256", expected, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    cached = _cache(user_dirs) / KNOWN_MODELS["yunet"].filename
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == expected
    assert [p.name for p in _cache(user_dirs).iterdir()] == [cached.name], "no partial files left"
    assert str(cached) in _run("models", "list", cwd=tmp_path).stdout

    after = _run("detect", str(photo), "--detector", "yunet", "--no-store", cwd=tmp_path)
    assert after.returncode == 0, after.stderr
    [line] = [json.loads(x) for x in after.stdout.splitlines()]
    assert len(line["faces"]) == 3 and all("landmarks" in f for f in line["faces"])


def test_models_list_says_what_is_missing(user_dirs: Path, tmp_path: Path) -> None:
    result = _run("models", "list", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("yunet\tnot downloaded\t")


def test_build_lambda_with_a_model_not_downloaded_says_how_to_get_it(user_dirs: Path, tmp_path: Path) -> None:
    result = _run("build-lambda", "--with-model", "yunet", "--output", str(tmp_path / "f.zip"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == ("facedetect: build-lambda: no yunet model: run 'facedetect models download yunet' "
                             "first\n")
    assert not (tmp_path / "f.zip").exists()
