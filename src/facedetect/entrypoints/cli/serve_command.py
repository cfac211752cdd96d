"""``facedetect serve``: the Lambda's HTTP API on this machine (see facedetect.entrypoints.http)."""

from __future__ import annotations

import argparse
from typing import Any

from facedetect.entrypoints.cli.options import add_detector_options, add_storage_options, overrides


def register(subparsers: Any) -> None:
    """Add the ``serve`` subcommand."""
    parser = subparsers.add_parser(
        "serve", help="serve the HTTP API and upload page locally",
        description="Serve the same API as the AWS Lambda on this machine, with an upload page at / and the API "
                    "docs at /docs. Data goes to the filesystem store in ./facedetect-data unless told otherwise. "
                    "Ctrl-C finishes the requests in flight, then exits.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port; 0 picks a free one (default 8000)")
    parser.add_argument("--threads", type=_positive, default=None, metavar="N",
                        help="worker threads, i.e. requests processed at once (default: one per core, at least 4)")
    add_detector_options(parser)
    add_storage_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from facedetect.entrypoints.http.server import DEFAULT_THREADS, serve

    threads = args.threads or DEFAULT_THREADS
    status: int = serve(host=args.host, port=args.port, settings_overrides=overrides(args), threads=threads)
    return status


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value
