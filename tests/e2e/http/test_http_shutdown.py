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

import pytest
from support import imagegen
from support.local_server import LINE_TIMEOUT, serve_process

from facedetect import detect_faces

pytestmark = pytest.mark.slow


def big_group_jpeg() -> bytes:
    """A 3600x2700 composite with six astronauts: a couple of seconds of Haar detection at full size."""
    scene = imagegen.composite([(0, 0, 2.0), (900, 300, 1.6), (1700, 900, 2.0)], size=(2700, 3600))
    return imagegen.jpeg(scene, quality=85)


def post_in_two_steps(url: str, body: bytes, state: dict[str, Any]) -> None:
    """POST ``body`` with ``Expect: 100-continue``: headers first, the body once ``state["send_body"]`` is set.

    The server's ``100 Continue`` proves it has read the headers, i.e. the request is in flight,
    whatever the machine's load; ``state["continued"]`` tells the test so.
    """
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=LINE_TIMEOUT) as sock:
            head = (f"POST /faces HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: image/jpeg\r\n"
                    f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n")
            sock.sendall(head.encode("ascii"))
            interim = b""
            while not interim.endswith(b"\r\n\r\n"):
                chunk = sock.recv(1)
                assert chunk, f"connection closed before 100 Continue: {interim!r}"
                interim += chunk
            assert interim.startswith(b"HTTP/1.1 100 "), interim
            state["continued"].set()
            assert state["send_body"].wait(LINE_TIMEOUT)
            sock.sendall(body)
            response = http.client.HTTPResponse(sock)
            response.begin()
            state["status"], state["body"] = response.status, response.read()
    except Exception as exc:  # reported by the assertions below
        state["error"] = exc
    finally:
        state["continued"].set()


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


def get_faces_until_closed(url: str) -> bytes:
    """``GET /faces`` with ``Connection: close``, read until the server has closed the connection.

    The end of file proves the server has run its loop and forgotten the connection: nothing of
    this request still counts as in flight.
    """
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=LINE_TIMEOUT) as sock:
        sock.sendall(f"GET /faces HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_sigint_lets_the_request_in_flight_finish_then_exits_0(tmp_path: Path):
    image = big_group_jpeg()
    with serve_process("--data-dir", str(tmp_path / "data"), cwd=tmp_path) as server:
        state: dict[str, Any] = {"continued": threading.Event(), "send_body": threading.Event()}
        client = threading.Thread(target=post_in_two_steps, args=(server.url, image, state))
        client.start()
        try:
            assert state["continued"].wait(LINE_TIMEOUT)
            assert "error" not in state, state.get("error")
            server.process.send_signal(signal.SIGINT)
            stopping = server.next_line()
            assert "finishing 1 request(s) in flight" in stopping, stopping
            parts = urlsplit(server.url)
            # While the request above is still in flight (its body not even sent), new connections are refused.
            assert refused_within(parts.hostname, parts.port, seconds=LINE_TIMEOUT), "still accepting while draining"
        finally:
            state["send_body"].set()
            client.join(timeout=LINE_TIMEOUT)
        assert "error" not in state, state.get("error")
        assert state["status"] == 200, state["body"][:300]
        # The answer the library gives for the same bytes (the work budget shrinks this photo alike).
        assert json.loads(state["body"])["detection"]["face_count"] == len(detect_faces(image)) >= 4
        assert server.process.wait(timeout=LINE_TIMEOUT) == 0
        assert server.next_line() == "facedetect: stopped"
    assert len(list((tmp_path / "data" / "detections").glob("*.json"))) == 1
    assert len(list((tmp_path / "data" / "images").glob("*.jpg"))) == 1


def test_sigterm_on_an_idle_server_exits_0(tmp_path: Path):
    with serve_process("--backend", "memory", cwd=tmp_path) as server:
        assert get_faces_until_closed(server.url).startswith(b"HTTP/1.1 200 ")  # the server is in its loop
        server.process.send_signal(signal.SIGTERM)
        assert "finishing 0 request(s)" in server.next_line()
        assert server.process.wait(timeout=LINE_TIMEOUT) == 0


def test_keep_alive_connections_do_not_hold_up_the_stop(tmp_path: Path):
    with serve_process("--backend", "memory", cwd=tmp_path) as server:
        parts = urlsplit(server.url)
        idle = http.client.HTTPConnection(parts.hostname, parts.port, timeout=LINE_TIMEOUT)
        idle.request("GET", "/faces")
        assert idle.getresponse().read()  # the connection stays open (HTTP/1.1 keep-alive)
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(timeout=LINE_TIMEOUT) == 0
        idle.close()
