"""``facedetect`` command: parse arguments, dispatch to a subcommand, turn errors into messages.

Each subcommand lives in its own module exposing ``register(subparsers)``, which adds its
parser and sets ``func`` (``(args) -> int`` exit status). Those modules import only argparse
at module level, so ``facedetect --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from facedetect.entrypoints.cli import (
    build_lambda_command,
    demo_command,
    detect_command,
    models_command,
    read_commands,
    redact_command,
    serve_command,
    submit_command,
)

_COMMANDS = (demo_command, detect_command, redact_command, read_commands, serve_command, models_command,
             build_lambda_command, submit_command)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (built on demand, never at import time)."""
    parser = argparse.ArgumentParser(
        prog="facedetect",
        description="Find faces in images; keep the images and the face coordinates.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in _COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit status (0 ok, 1 some input failed or not found, 2 usage or configuration)."""
    import warnings

    from facedetect.entrypoints.cli.options import name_the_flag
    from facedetect.errors import ConfigurationError, FaceDetectError, NotFound

    # Damaged metadata in an otherwise decodable image is not worth a Python warning on a terminal.
    warnings.filterwarnings("ignore", category=UserWarning, module="PIL")
    args = build_parser().parse_args(argv)
    try:
        status: int = args.func(args)
    except NotFound as exc:
        print(f"facedetect: {exc.message}", file=sys.stderr)
        return 1
    except ConfigurationError as exc:
        print(f"facedetect: error: {name_the_flag(exc.message, args)}", file=sys.stderr)
        return 2
    except FaceDetectError as exc:
        print(f"facedetect: error: {exc.detail}", file=sys.stderr)  # the operator: full detail
        return 1 if exc.http_status >= 500 else 2
    except KeyboardInterrupt:
        print("facedetect: interrupted", file=sys.stderr)
        return 130
    return status


def _version() -> str:
    from facedetect import __version__

    return __version__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
