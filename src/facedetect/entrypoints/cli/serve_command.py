"""``facedetect serve``: the Lambda's HTTP API on this machine (see facedetect.entrypoints.local_server)."""

from __future__ import annotations

import argparse
from typing import Any

from facedetect.entrypoints.cli.options import add_detector_options, add_storage_options, overrides


def register(subparsers: Any) -> None:
    """Add the ``serve`` subcommand."""
    parser = subparsers.add_parser(
        "serve", help="serve the HTTP API and upload page locally",
        description="Serve the same API as the AWS Lambda on this machine, with an upload page at / and the API "
                    "docs at /docs. Data goes to the filesystem store in the per-user data directory unless told "
                    "otherwise (--data-dir, FACEDETECT_DATA_DIR). "
                    "Ctrl-C finishes the requests in flight, then exits.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", default="8000", help="port, 1-65535; 0 picks a free one (default 8000)")
    parser.add_argument("--detections", type=_positive, default=None, metavar="N",
                        help="detections run at once; more uploads wait, then get 503 (default: one per core; "
                             "FACEDETECT_SERVER_DETECTIONS)")
    parser.add_argument("--upload-wait", type=_seconds, default=None, metavar="SECONDS",
                        help="how long an upload waits for a detection slot before a 503 (default 5; "
                             "FACEDETECT_SERVER_UPLOAD_WAIT)")
    parser.add_argument("--threads", type=_positive, default=None, metavar="N",
                        help="worker threads in all (default: two per detection slot, plus four kept for reads)")
    add_detector_options(parser)
    add_storage_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from facedetect.entrypoints.local_server.server import serve

    port = _port(str(args.port))
    settings = {**overrides(args), "server_detections": args.detections, "server_upload_wait": args.upload_wait}
    status: int = serve(host=args.host, port=port, settings_overrides=settings, threads=args.threads)
    return status


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _port(text: str) -> int:
    """The port number; a bad one is a one-line error (exit 2), not argparse's usage screen."""
    from facedetect.errors import ConfigurationError

    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise ConfigurationError(f"--port {text[:20]!r} is not a port: use 1-65535, or 0 for a free one")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 300:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a number of seconds from 0 to 300")
    return value
