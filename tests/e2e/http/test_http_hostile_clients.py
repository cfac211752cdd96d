"""``facedetect serve`` (a real process) against hostile clients: other names, other origins, forged logs.

One server runs for the module, on the filesystem backend in a temporary directory that
already holds temporary files, old and fresh, as a killed writer and a running one leave them.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import imagegen
from support.local_server import ServeProcess, serve_process

HOUR = 3600


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with leftovers: an old temporary file (killed writer), a fresh one (a write in progress)."""
    root = tmp_path_factory.mktemp("hostile-data")
    for sub in ("images", "detections"):
        (root / sub).mkdir()
        old = root / sub / ".tmp-killed.jpg"
        old.write_bytes(b"half a write")
        os.utime(old, (time.time() - 2 * HOUR, time.time() - 2 * HOUR))
        (root / sub / ".tmp-in-progress.json").write_bytes(b"being written")
    return root


@pytest.fixture(scope="module")
def server(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    with serve_process("--data-dir", str(data_dir), cwd=tmp_path_factory.mktemp("cwd")) as running:
        yield running


def stored(data_dir: Path) -> list[str]:
    return sorted(p.name for p in data_dir.rglob("*") if p.is_file() and not p.name.startswith(".tmp-"))


def error_of(status: int, headers: dict[str, str], body: bytes, expected: int) -> dict[str, str]:
    assert status == expected, body[:300]
    assert headers["content-type"] == "application/json"
    error: dict[str, str] = json.loads(body)["error"]
    assert error["request_id"] == headers["x-request-id"]
    return error


def test_stale_temp_files_were_swept_at_start_up_and_writes_in_progress_kept(server: ServeProcess, data_dir: Path):
    for sub in ("images", "detections"):
        assert sorted(p.name for p in (data_dir / sub).iterdir()) == [".tmp-in-progress.json"]


@pytest.mark.parametrize("host", ["evil.example:{port}", "evil.example", "localhost:1", "127.0.0.1",
                                  "127.0.0.2:{port}", "localhost.evil.example:{port}", "user@localhost:{port}", ""])
def test_requests_naming_another_host_are_refused(server: ServeProcess, host: str):
    for method, path in (("GET", "/faces"), ("GET", "/"), ("GET", "/faces/abc/image")):
        status, headers, body = server.request(method, path, headers={"Host": host.format(port=server.port)})
        assert error_of(status, headers, body, 421)["code"] == "host_not_allowed"


@pytest.mark.parametrize("host", ["localhost:{port}", "127.0.0.1:{port}", "LOCALHOST:{port}", "[::1]:{port}"])
def test_loopback_names_with_the_port_are_served(server: ServeProcess, host: str):
    status, _, body = server.request("GET", "/faces", headers={"Host": host.format(port=server.port)})
    assert status == 200, body


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://localhost:1", "http://127.0.0.1",
                                    "https://evil.example:{port}", "file://", "http://127.0.0.1:{port}.evil.example"])
def test_uploads_from_another_origin_are_refused_and_store_nothing(server: ServeProcess, data_dir: Path, origin: str):
    before = stored(data_dir)
    status, headers, body = server.request("POST", "/faces", imagegen.jpeg(),
                                           {"Content-Type": "image/jpeg", "Origin": origin.format(port=server.port)})
    assert error_of(status, headers, body, 403)["code"] == "cross_origin_refused"
    assert stored(data_dir) == before


def test_an_upload_from_the_servers_own_origin_is_stored(server: ServeProcess, data_dir: Path):
    jpeg = imagegen.jpeg(imagegen.composite([(0, 0, 0.5)], size=(300, 300)))
    status, _, body = server.request("POST", "/faces", jpeg,
                                     {"Content-Type": "image/jpeg", "Origin": f"http://127.0.0.1:{server.port}"})
    assert status == 200, body
    assert f"{json.loads(body)['detection']['id']}.json" in stored(data_dir)


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x"])
def test_simple_content_types_cannot_upload_even_without_an_origin(server: ServeProcess, data_dir: Path,
                                                                    content_type: str | None):
    before = stored(data_dir)
    headers = {"Content-Type": content_type} if content_type else {}
    status, reply_headers, body = server.request("POST", "/faces", imagegen.jpeg(), headers)
    assert error_of(status, reply_headers, body, 415)["code"] == "unsupported_media_type"
    assert stored(data_dir) == before


def test_an_unknown_path_is_echoed_short_and_escaped(server: ServeProcess):
    path = "/<script>alert(1)</script>/" + "a" * 20_000
    status, headers, body = server.request("GET", path)
    message = error_of(status, headers, body, 404)["message"]
    assert len(body) < 500 and "<script>" not in message and "%3Cscript%3E" in message


def test_a_line_break_in_the_path_cannot_forge_a_log_line(server: ServeProcess):
    server.logged_so_far()
    forged = "2026-01-01 00:00:00,000 ERROR facedetect: forged"
    path = "/x%0a" + forged.replace(" ", "%20") + "%0d%0a" + forged.replace(" ", "%20") + "%1b[31m"
    status, _, _ = server.request("GET", path)
    assert status == 404
    server.request("GET", "/faces/" + "%0a" + forged.replace(" ", "%20"))  # and through a route's own message
    server.request("POST", "/x%0a" + forged.replace(" ", "%20"), b"{}", {"Content-Type": "application/json",
                                                                      "Origin": "http://evil.example"})
    lines = server.wait_for_log("cross_origin_refused")
    assert any("forged" in line for line in lines)  # the request was logged...
    assert not [line for line in lines if line.startswith(forged) or "\x1b" in line]  # ...on its own line


def test_a_port_out_of_range_is_a_usage_error(tmp_path: Path):
    for port in ("99999", "-1", "http"):
        done = subprocess.run([sys.executable, "-m", "facedetect.entrypoints.cli.main", "serve", "--port", port],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr.splitlines() == [
            f"facedetect: error: --port {port!r} is not a port: use 1-65535, or 0 for a free one"]


def test_a_port_in_use_is_one_line_and_exit_2(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "facedetect.entrypoints.cli.main", "serve", "--port", str(port),
                               "--backend", "memory"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [f"facedetect: error: cannot listen on 127.0.0.1:{port}: Address already in use"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may listen on any port")
def test_a_privileged_port_is_one_line_and_exit_2(tmp_path: Path):
    done = subprocess.run([sys.executable, "-m", "facedetect.entrypoints.cli.main", "serve", "--port", "1",
                           "--backend", "memory"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert re.fullmatch(r"facedetect: error: cannot listen on 127\.0\.0\.1:1: Permission denied\n", done.stderr)


def test_an_address_not_on_this_machine_is_one_line_and_exit_2(tmp_path: Path):
    done = subprocess.run([sys.executable, "-m", "facedetect.entrypoints.cli.main", "serve", "--host", "192.0.2.1",
                           "--port", "8000", "--backend", "memory"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert done.stderr.splitlines() == ["facedetect: error: cannot listen on 192.0.2.1:8000: "
                                        "Cannot assign requested address"]
