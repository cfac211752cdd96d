"""``facedetect serve``: the Lambda's HTTP API on this machine (see facedetect.entrypoints.http)."""

from __future__ import annotations

import argparse
from typing import Any

from facedetect.entrypoints.cli.options import add_detector_options, add_storage_options, overrides


def register(subparsers: Any) -> None:
    """Add the ``serve`` subcommand."""
    parser = subparsers.add_parser("serve", help="serve the HTTP API and upload page locally",
                                   description="Serve the same API as the AWS Lambda, on this machine.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    add_detector_options(parser)
    add_storage_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from facedetect.entrypoints.http.server import serve

    status: int = serve(host=args.host, port=args.port, settings_overrides=overrides(args))
    return status
