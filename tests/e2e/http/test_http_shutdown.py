"""Graceful shutdown of ``facedetect serve``: stop accepting, finish what is in flight, exit 0."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import imagegen
import pytest
from http_server_support import serve_process

pytestmark = pytest.mark.slow


def big_group_jpeg() -> bytes:
    """A 3600x2700 composite with six astronauts: a couple of seconds of Haar detection at full size."""
    scene = imagegen.composite([(0, 0, 2.0), (900, 300, 1.6), (1700, 900, 2.0)], size=(2700, 3600))
    return imagegen.jpeg(scene, quality=85)


def post(url: str, body: bytes, into: dict[str, Any]) -> None:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        connection.request("POST", "/faces", body=body, headers={"Content-Type": "image/jpeg"})
        into["sent"].set()
        response = connection.getresponse()
        into["status"], into["body"] = response.status, response.read()
    except Exception as exc:  # reported by the assertions below
        into["error"] = exc
    finally:
        connection.close()


def refused_within(host: str, port: int, *, seconds: float) -> bool:
    """Whether connecting to ``host:port`` is refused at some point in the next ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=5).close()
        except ConnectionRefusedError:
            return True
        time.sleep(0.05)
    return False


def test_sigint_lets_the_request_in_flight_finish_then_exits_0(tmp_path: Path):
    image = big_group_jpeg()
    with serve_process("--data-dir", str(tmp_path / "data"), cwd=tmp_path) as server:
        outcome: dict[str, Any] = {"sent": threading.Event()}
        client = threading.Thread(target=post, args=(server.url, image, outcome))
        client.start()
        assert outcome["sent"].wait(30)
        threading.Event().wait(0.25)  # let the server read it and start detecting
        server.process.send_signal(signal.SIGINT)
        stopping = server.next_line()
        assert "finishing 1 request(s) in flight" in stopping, stopping
        parts = urlsplit(server.url)
        # The listener closes on the server loop's next turn: within a few seconds, and while the
        # request above is still being answered, new connections must be refused.
        assert refused_within(parts.hostname, parts.port, seconds=10), "still accepting while draining"
        assert "status" not in outcome, "the in-flight request must still have been running"
        client.join(timeout=120)
        assert "error" not in outcome, outcome.get("error")
        assert outcome["status"] == 200, outcome["body"][:300]
        assert json.loads(outcome["body"])["detection"]["face_count"] == 6
        assert server.process.wait(timeout=60) == 0
        assert server.next_line() == "facedetect: stopped"
    assert len(list((tmp_path / "data" / "detections").glob("*.json"))) == 1
    assert len(list((tmp_path / "data" / "images").glob("*.jpg"))) == 1


def test_sigterm_on_an_idle_server_exits_0(tmp_path: Path):
    with serve_process("--backend", "memory", cwd=tmp_path) as server:
        server.process.send_signal(signal.SIGTERM)
        assert "finishing 0 request(s)" in server.next_line()
        assert server.process.wait(timeout=30) == 0


def test_keep_alive_connections_do_not_hold_up_the_stop(tmp_path: Path):
    with serve_process("--backend", "memory", cwd=tmp_path) as server:
        parts = urlsplit(server.url)
        idle = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        idle.request("GET", "/faces")
        assert idle.getresponse().read()  # the connection stays open (HTTP/1.1 keep-alive)
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(timeout=30) == 0
        idle.close()
