"""Helpers for the local server's end-to-end tests: a server in a thread, or ``facedetect serve`` in a process."""

from __future__ import annotations

import http.client
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from facedetect.composition import bootstrap
from facedetect.entrypoints.http.server import make_server


@dataclass
class RunningServer:
    """A started server: where it listens, its service (to inspect the stores), and how to stop it."""

    host: str
    port: int
    service: Any
    stop: Callable[[], None]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()


@contextmanager
def server_in_thread(threads: int = 4, **settings: Any) -> Iterator[RunningServer]:
    """``make_server`` on port 0 with a service from ``settings``, running in a daemon thread."""
    service = bootstrap(**settings)
    server = make_server(service, port=0, threads=threads)
    thread = threading.Thread(target=server.run, name="test-server", daemon=True)
    thread.start()
    try:
        yield RunningServer(server.host, server.port, service, server.stop)
    finally:
        server.stop()
        thread.join(timeout=300)  # generous: only a hang should reach it
        assert not thread.is_alive(), "the server did not stop"


#: Last resort only: a line is waited for until it comes or the process exits, whichever is first.
LINE_TIMEOUT = 600.0


@dataclass
class ServeProcess:
    """``facedetect serve`` running in a child process."""

    process: subprocess.Popen[str]
    url: str
    banner: str
    lines: queue.Queue[str | None]  # stdout lines; ``None`` once stdout closed (the process ended)
    stderr: Path

    def next_line(self, timeout: float = LINE_TIMEOUT) -> str:
        """The next line on stdout; fails at once, with the exit status and stderr, if the process ended."""
        return _next_line(self.lines, self.process, self.stderr, timeout)


def _next_line(lines: queue.Queue[str | None], process: subprocess.Popen[str], stderr: Path,
               timeout: float) -> str:
    try:
        line = lines.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError(f"no line from facedetect serve in {timeout:.0f} s") from None
    if line is None:
        lines.put(None)  # stays at end of stream for later calls
        status = process.wait(timeout=timeout)
        raise AssertionError(f"facedetect serve exited ({status}) instead of printing a line; stderr:\n"
                             + stderr.read_text(errors="replace")[-2000:])
    return line


@contextmanager
def serve_process(*args: str, cwd: Path) -> Iterator[ServeProcess]:
    """Start ``facedetect serve --port 0 ARGS`` in ``cwd``; yields once it printed its URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEDETECT_")}
    command = [sys.executable, "-m", "facedetect.entrypoints.cli.main", "serve", "--port", "0", *args]
    with tempfile.TemporaryDirectory(prefix="serve-stderr-") as logs:
        stderr = Path(logs) / "stderr.txt"
        with stderr.open("w") as stderr_file:
            process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=stderr_file,
                                       text=True, bufsize=1)
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                lines.put(line.rstrip("\n"))
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        try:
            first = _next_line(lines, process, stderr, LINE_TIMEOUT)
            assert first.startswith("facedetect: serving http://"), first
            url = first.split()[2].rstrip("/")
            yield ServeProcess(process, url, first, lines, stderr)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=LINE_TIMEOUT)
