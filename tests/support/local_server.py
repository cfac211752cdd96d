"""Helpers for the local server's end-to-end tests: a server in a thread, or ``facedetect serve`` in a process."""

from __future__ import annotations

import http.client
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from facedetect.adapters.memory import InMemoryDetectionRepository, InMemoryImageStore
from facedetect.composition import bootstrap
from facedetect.entrypoints.local_server.server import make_server


def http_request(host: str, port: int, method: str, path: str, body: bytes | None = None,
                 headers: dict[str, str] | None = None, *, timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
    """One request on a connection of its own: status, headers (lower-case names) and body."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@dataclass
class RunningServer:
    """A started server: where it listens, its service (to inspect the stores), and how to stop it."""

    host: str
    port: int
    service: Any
    stop: Callable[[], None]
    images: Any = None
    detections: Any = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        return http_request(self.host, self.port, method, path, body, headers)


@contextmanager
def server_in_thread(threads: int = 4, detections: int | None = None, upload_wait: float = 5.0,
                     **settings: Any) -> Iterator[RunningServer]:
    """``make_server`` on port 0 with a service from ``settings``, running in a daemon thread.

    On the memory backend the stores are made here, so that the test can look inside them.
    """
    if settings.get("backend") == "memory":
        settings.setdefault("images", InMemoryImageStore())
        settings.setdefault("detections", InMemoryDetectionRepository())
    service = bootstrap(**settings)
    server = make_server(service, port=0, threads=threads, detections=detections, upload_wait=upload_wait)
    thread = threading.Thread(target=server.run, name="test-server", daemon=True)
    thread.start()
    try:
        yield RunningServer(server.host, server.port, service, server.stop, settings.get("images"),
                            settings.get("detections"))
    finally:
        server.stop()
        thread.join(timeout=300)  # generous: only a hang should reach it
        assert not thread.is_alive(), "the server did not stop"


#: Last resort only: a line is waited for until it comes or the process exits, whichever is first.
LINE_TIMEOUT = 600.0


@dataclass
class ServeProcess:
    """``facedetect serve`` running in a child process; its stdout lines in ``lines``, its log in ``log``."""

    process: subprocess.Popen[str]
    url: str
    banner: str
    lines: queue.Queue[str | None]  # stdout lines; ``None`` once stdout closed (the process ended)
    log: queue.Queue[str]  # stderr lines not yet taken
    stderr_seen: list[str]  # every stderr line, for failure messages

    @property
    def host(self) -> str:
        return self.url.removeprefix("http://").rsplit(":", 1)[0]

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def next_line(self, timeout: float = LINE_TIMEOUT) -> str:
        """The next line on stdout; fails at once, with the exit status and stderr, if the process ended."""
        return _next_line(self.lines, self.process, self.stderr_seen, timeout)

    def wait_for_log(self, needle: str, timeout: float = LINE_TIMEOUT) -> list[str]:
        """Log lines up to and including the first one containing ``needle`` (fails after ``timeout``)."""
        seen: list[str] = []
        while True:
            try:
                line = self.log.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no log line with {needle!r} in {timeout} s; saw {seen[-5:]}") from None
            seen.append(line)
            if needle in line:
                return seen

    def logged_so_far(self) -> list[str]:
        """The log lines received and not yet taken."""
        found: list[str] = []
        while True:
            try:
                found.append(self.log.get_nowait())
            except queue.Empty:
                return found

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
                timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
        return http_request(self.host, self.port, method, path, body, headers, timeout=timeout)


def _next_line(lines: queue.Queue[str | None], process: subprocess.Popen[str], stderr_seen: list[str],
               timeout: float) -> str:
    try:
        line = lines.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError(f"no line from facedetect serve in {timeout:.0f} s") from None
    if line is None:
        lines.put(None)  # stays at end of stream for later calls
        status = process.wait(timeout=timeout)
        raise AssertionError(f"facedetect serve exited ({status}) instead of printing a line; stderr:\n"
                             + "\n".join(stderr_seen[-30:]))
    return line


def _pump_stdout(stream: Any, into: queue.Queue[str | None]) -> None:
    for line in stream:
        into.put(line.rstrip("\n"))
    into.put(None)


def _pump_stderr(stream: Any, into: queue.Queue[str], seen: list[str]) -> None:
    for line in stream:
        seen.append(line.rstrip("\n"))
        into.put(line.rstrip("\n"))


@contextmanager
def serve_process(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Iterator[ServeProcess]:
    """Start ``facedetect serve --port 0 ARGS`` in ``cwd``; yields once it printed its URL."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FACEDETECT_")} | (env or {})
    command = [sys.executable, "-m", "facedetect.entrypoints.cli.main", "serve", "--port", "0", *args]
    process = subprocess.Popen(command, cwd=cwd, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, bufsize=1)
    lines: queue.Queue[str | None] = queue.Queue()
    log: queue.Queue[str] = queue.Queue()
    stderr_seen: list[str] = []
    threading.Thread(target=_pump_stdout, args=(process.stdout, lines), daemon=True).start()
    threading.Thread(target=_pump_stderr, args=(process.stderr, log, stderr_seen), daemon=True).start()
    try:
        first = _next_line(lines, process, stderr_seen, LINE_TIMEOUT)
        assert first.startswith("facedetect: serving http://"), first
        url = first.split()[2].rstrip("/")
        yield ServeProcess(process, url, first, lines, log, stderr_seen)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=LINE_TIMEOUT)
