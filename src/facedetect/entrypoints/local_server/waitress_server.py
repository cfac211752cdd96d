"""A waitress server with JSON transport errors and a graceful stop.

waitress (pure Python, multi-threaded) parses requests in one I/O thread and runs the
application in a pool of worker threads. Two things are added here:

* its own error answers (body over the limit — decided from ``Content-Length`` before the
  body is read —, malformed request, headers too large) use the API's JSON error body;
* :meth:`LocalServer.stop` stops accepting at once, lets in-flight requests finish and
  their responses drain to the clients, closes idle keep-alive connections, then returns.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any

from waitress.channel import HTTPChannel  # type: ignore[import-untyped]
from waitress.server import create_server  # type: ignore[import-untyped]
from waitress.task import ErrorTask  # type: ignore[import-untyped]

from facedetect.entrypoints.local_server.transport_errors import (
    JSON_TYPE,
    error_body,
    new_request_id,
    status_line,
)
from facedetect.entrypoints.local_server.wsgi_app import too_large_message

_LOOP_TIMEOUT = 0.2
LINGER_SECONDS = 10.0
LINGER_IDLE_SECONDS = 2.0
LINGER_READ_BYTES = 256 * 1024


class _JsonErrorTask(ErrorTask):  # type: ignore[misc]
    """waitress's answer to a request it refused itself, as the API's JSON error body."""

    def execute(self) -> None:
        error = self.request.error
        request_id = new_request_id()
        if error.code == 413:
            message = too_large_message(self.request.content_length or None,
                                        self.channel.server.adj.max_request_body_size - 1)
        else:
            message = f"{error.reason}: {error.body}."
        body = error_body(error.code, message, request_id)
        self.status = status_line(error.code)
        self.response_headers.extend([("Content-Type", JSON_TYPE), ("X-Request-Id", request_id)])
        self.set_close_on_finish()
        self.channel.linger_on_close = True  # the client may still be sending the body we refused
        self.content_length = len(body)
        self.write(body)


class _JsonErrorChannel(HTTPChannel):  # type: ignore[misc]
    """waitress's channel, with JSON errors and a lingering close after refusing a request.

    Closing a socket while the client is still sending makes the kernel answer with a
    reset, and the client may lose the error response it has not read yet. So, as web
    servers do, the channel first shuts down its sending side (the client reads the whole
    answer, then end-of-file), then reads and discards what still arrives, until the client
    closes, or for at most ``LINGER_SECONDS`` (``LINGER_IDLE_SECONDS`` without data).
    """

    error_task_class = _JsonErrorTask
    linger_on_close = False
    _linger_deadline: float | None = None
    _linger_idle_deadline = 0.0

    def handle_close(self) -> None:
        if self.linger_on_close and self._linger_deadline is None and self.connected:
            try:
                self.socket.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            else:
                now = time.monotonic()
                self._linger_deadline = now + LINGER_SECONDS
                self._linger_idle_deadline = now + LINGER_IDLE_SECONDS
                self.will_close = False
                return
        super().handle_close()

    def readable(self) -> bool:
        if self._linger_deadline is None:
            return bool(super().readable())
        now = time.monotonic()
        if now > self._linger_deadline or now > self._linger_idle_deadline:
            super().handle_close()
            return False
        return True

    def writable(self) -> bool:
        return False if self._linger_deadline is not None else bool(super().writable())

    def handle_read(self) -> None:
        if self._linger_deadline is None:
            super().handle_read()
            return
        try:
            data = self.socket.recv(LINGER_READ_BYTES)
        except OSError:
            data = b""
        if data:
            self._linger_idle_deadline = time.monotonic() + LINGER_IDLE_SECONDS
        else:  # the client has read the answer and closed: done
            super().handle_close()


class LocalServer:
    """Serve a WSGI application on ``host:port`` with ``threads`` workers until :meth:`stop`.

    The socket is bound on construction (``port=0`` picks a free port; see :attr:`port`).

    Parameters
    ----------
    app
        The WSGI application.
    host, port
        Where to listen.
    threads
        Worker threads: how many requests run at once.
    max_body_bytes
        Bodies declared longer are refused with 413 before being read.
    drain_seconds
        How long :meth:`run` waits, once stopped, for in-flight requests.
    """

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 8000, threads: int = 4,
                 max_body_bytes: int, drain_seconds: float = 60.0) -> None:
        self._server = create_server(app, host=host, port=port, threads=threads, ident="facedetect",
                                     max_request_body_size=max_body_bytes + 1, expose_tracebacks=False,
                                     channel_timeout=60, connection_limit=1000)
        self._server.channel_class = _JsonErrorChannel
        self.threads = threads
        self.detection_slots: int | None = None  # set by make_server: uploads admitted at once
        self.drain_seconds = drain_seconds
        self._stop = threading.Event()

    @property
    def host(self) -> str:
        return str(self._server.effective_host)

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        """Ask :meth:`run` to stop; safe from any thread and from a signal handler."""
        self._stop.set()
        with contextlib.suppress(OSError):
            self._server.pull_trigger()

    def in_flight(self) -> int:
        """Connections with a request being received, run or answered."""
        return sum(1 for channel in self._channels() if _busy(channel))

    def run(self) -> bool:
        """Serve until :meth:`stop`, then drain; ``True`` when every in-flight request finished.

        An exception (a second Ctrl-C raises ``KeyboardInterrupt``) abandons the drain at once.
        """
        server = self._server
        drained = False
        try:
            while not self._stop.is_set():
                server.asyncore.loop(timeout=_LOOP_TIMEOUT, map=server._map, use_poll=True, count=1)
            server.del_channel()  # stop accepting: new connections are refused from now on
            server.socket.close()
            deadline = time.monotonic() + self.drain_seconds
            while time.monotonic() < deadline:
                for channel in self._channels():
                    if not _busy(channel):
                        channel.handle_close()  # idle keep-alive connection
                if not self._channels():
                    break
                server.asyncore.loop(timeout=_LOOP_TIMEOUT, map=server._map, use_poll=True, count=1)
            drained = not self._channels()
        finally:
            server.task_dispatcher.shutdown(cancel_pending=True, timeout=5 if drained else 0)
            for channel in self._channels():
                channel.handle_close()
            server.trigger.close()
        return drained

    def _channels(self) -> list[Any]:
        return [d for d in list(self._server._map.values()) if isinstance(d, HTTPChannel)]


def _busy(channel: Any) -> bool:
    """Whether a connection is mid-request: receiving one, running it, or sending the answer."""
    return bool(channel.requests or channel.total_outbufs_len or channel.request is not None)
