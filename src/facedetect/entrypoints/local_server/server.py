"""``facedetect serve``: the Lambda's HTTP API, the upload page and the API docs on this machine.

The service is bootstrapped once, at start-up, from the settings (default: the filesystem
backend in the per-user data directory); the REST app is the very one the Lambda function uses
(:func:`facedetect.entrypoints.rest.create_app`), reached through an API Gateway proxy event
for each request (:mod:`~facedetect.entrypoints.local_server.proxy`). waitress serves it with a pool
of worker threads (detection releases the GIL, so they run in parallel); Ctrl-C or SIGTERM
stops accepting, finishes the requests in flight and exits 0; a second Ctrl-C stops at once.
"""

from __future__ import annotations

import importlib.util
import logging
import signal
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

from facedetect.entrypoints.local_server.admission import DEFAULT_UPLOAD_WAIT_SECONDS

if TYPE_CHECKING:
    from facedetect.entrypoints.local_server.waitress_server import LocalServer
    from facedetect.service.detections import FaceDetectionService
    from facedetect.settings import Settings

_MISSING_SERVER_DEPS = ("the local server needs the 'server' extra: pip install 'facedetect[server]' "
                        "(waitress and aws-lambda-powertools)")


def make_server(service: FaceDetectionService, *, host: str = "127.0.0.1", port: int = 8000,
                threads: int | None = None, max_body_bytes: int | None = None, detections: int | None = None,
                upload_wait: float = DEFAULT_UPLOAD_WAIT_SECONDS) -> LocalServer:
    """A bound, not yet running, server for ``service`` (``port=0`` picks a free port).

    Parameters
    ----------
    service
        The service every request uses.
    host, port
        Where to listen. With a loopback ``host``, requests naming another ``Host`` are refused
        (:mod:`~facedetect.entrypoints.local_server.guard`).
    threads
        Worker threads (default: enough for the detections, as many waiting uploads, and four more
        for reads); see :func:`~facedetect.entrypoints.local_server.admission.plan`.
    max_body_bytes
        Largest request body read; default :func:`~facedetect.entrypoints.local_server.wsgi_app.body_limit`
        of the service's image byte limit (room for a base64 JSON upload).
    detections, upload_wait
        Detections run at once (default: one per core), and how long an upload waits for one
        of them before a 503.

    Raises
    ------
    ConfigurationError
        The address cannot be listened on (port taken, permission denied, unknown host): one line.
    """
    from facedetect.entrypoints.local_server.admission import AdmissionGate, plan
    from facedetect.entrypoints.local_server.guard import guard_for
    from facedetect.entrypoints.local_server.waitress_server import LocalServer
    from facedetect.entrypoints.local_server.wsgi_app import LocalApp, body_limit
    from facedetect.entrypoints.rest.app import create_app
    from facedetect.errors import ConfigurationError

    limit = max_body_bytes if max_body_bytes is not None else body_limit(service.limits.max_bytes)
    shares = plan(slots=detections, threads=threads)
    app = LocalApp(create_app(lambda: service), max_body_bytes=limit,
                   gate=AdmissionGate(shares.slots, shares.waiting, upload_wait))
    try:
        server = LocalServer(app, host=host, port=port, threads=shares.threads, max_body_bytes=limit)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        shown = f"[{host}]" if ":" in host else host
        raise ConfigurationError(f"cannot listen on {shown}:{port}: {reason}") from None
    app.guard = guard_for(server.host, server.port)
    server.detection_slots = shares.slots
    return server


def serve(*, host: str = "127.0.0.1", port: int = 8000, settings_overrides: Mapping[str, Any] | None = None,
          threads: int | None = None, out: TextIO | None = None) -> int:
    """Run the local server until Ctrl-C or SIGTERM; return the exit status.

    Temporary files a killed process left in the data directory (over an hour old) are
    removed first.

    Returns
    -------
    int
        0 after a graceful stop (every in-flight request answered), 1 when some were still
        running at the end of the grace period.

    Raises
    ------
    ConfigurationError
        Bad settings, the server's dependencies are not installed, or the address cannot be
        listened on.
    """
    from facedetect.composition import bootstrap
    from facedetect.errors import ConfigurationError
    from facedetect.settings import load_settings

    out = out or sys.stdout
    if not all(importlib.util.find_spec(name) for name in ("waitress", "aws_lambda_powertools")):
        raise ConfigurationError(_MISSING_SERVER_DEPS)
    settings = load_settings(**dict(settings_overrides or {}))
    _configure_logging()
    service = bootstrap(settings)
    _remove_stale_temp_files(service)
    server = make_server(service, host=host, port=port, threads=threads, detections=settings.server_detections,
                         upload_wait=settings.server_upload_wait)
    with _stop_on_signals(server, out):
        print(startup_line(server.url, settings, server.threads, server.detection_slots), file=out, flush=True)
        drained = server.run()
    print("facedetect: stopped" if drained else "facedetect: stopped with requests still running",
          file=out, flush=True)
    return 0 if drained else 1


def startup_line(url: str, settings: Settings, threads: int, slots: int | None = None) -> str:
    """The line printed at start-up: where to go, what is served, where data goes, how much runs at once."""
    where = f"{settings.backend} store in {settings.data_dir.resolve()}" if settings.backend == "filesystem" \
        else f"{settings.backend} store"
    at_once = f" ({slots} for detections)" if slots is not None else ""
    return (f"facedetect: serving {url}/ (upload page; API docs at {url}/docs) with the {settings.detector} "
            f"detector, {where}, {threads} worker threads{at_once}. Ctrl-C to stop.")


def _remove_stale_temp_files(service: FaceDetectionService) -> None:
    """Sweep what a killed writer left behind, in the stores that keep temporary files (the filesystem ones)."""
    removed = service.remove_stale_temp_files()
    if removed:
        logging.getLogger(__name__).info("removed %d stale temporary file(s) from the data directory", removed)


@contextmanager
def _stop_on_signals(server: LocalServer, out: TextIO) -> Iterator[None]:
    """Ctrl-C or SIGTERM: graceful stop; a second one: stop now. Only the main thread can install handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if server.stopping:
            raise KeyboardInterrupt
        busy = server.in_flight()
        print(f"facedetect: stopping: no new connections; finishing {busy} request(s) in flight "
              "(press Ctrl-C again to stop now)", file=out, flush=True)
        server.stop()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _configure_logging() -> None:
    """Log lines on stderr that a request cannot forge (unless the embedding program configured logging).

    waitress's queue notes are quieted.
    """
    from facedetect.entrypoints.local_server.logs import LOG_FORMAT, EscapingFormatter

    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(EscapingFormatter(LOG_FORMAT))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "queue depth" is normal under load
