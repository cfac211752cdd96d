"""``facedetect redact PATH... --output DIR``: write copies of images with every face hidden."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from facedetect.entrypoints.cli.options import (
    add_detector_options,
    add_storage_options,
    add_workers_option,
    service_for,
    worker_count,
)

_STYLES = ("blur", "pixelate", "fill")  # facedetect.domain.redaction.STYLES, without importing it for --help


def register(subparsers: Any) -> None:
    """Add the ``redact`` subcommand."""
    parser = subparsers.add_parser(
        "redact", help="write copies of images with the faces blurred, pixelated or filled",
        description="Detect faces in each image and write a copy with every face hidden into DIR, in the "
                    "input's format, under the same relative path. Only the face boxes (plus a small margin) "
                    "change. One JSON object per image on stdout; the exit status is 1 if any file failed.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="image files or directories")
    parser.add_argument("--output", "-o", required=True, type=Path, metavar="DIR",
                        help="directory for the redacted copies (created if missing)")
    parser.add_argument("--style", choices=_STYLES, default="blur", help="how faces are hidden (default: blur)")
    parser.add_argument("--store", action="store_true",
                        help="also keep the original image and the detection (default: keep nothing)")
    add_workers_option(parser)
    add_detector_options(parser)
    add_storage_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from facedetect.entrypoints.cli.inputs import collect

    service = service_for(args, store=args.store)
    inputs = collect(args.paths)
    workers = worker_count(args.workers, len(inputs))
    failures = 0
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="redact") as pool:
        results = pool.map(lambda item: _redact_one(service, item.path, item.root, args), inputs)
        for item, result in zip(inputs, results, strict=True):
            if "error" in result:
                failures += 1
                print(f"facedetect: {item.path}: {result['error']['message']}", file=sys.stderr)
            print(json.dumps(result), flush=True)
    return 1 if failures else 0


def _redact_one(service: Any, path: Path, root: Path, args: argparse.Namespace) -> dict[str, Any]:
    from facedetect.domain.redaction import redact_faces
    from facedetect.errors import FaceDetectError

    try:
        with open(path, "rb") as fh:
            data = fh.read(service.limits.max_bytes + 1)
        detection = service.detect(data, store=args.store)
        redacted = redact_faces(data, detection.faces, style=args.style, limits=service.limits)
        relative = path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
        target = args.output / relative
        if target.resolve() == path.resolve():
            raise OSError(0, "the output would overwrite the input; choose another --output directory")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(redacted.data)
    except FaceDetectError as exc:
        return {"path": str(path), "error": {"code": exc.code, "message": exc.message}}
    except OSError as exc:
        message = f"cannot read or write the file: {exc.strerror or exc}"
        return {"path": str(path), "error": {"code": "unreadable_file", "message": message}}
    return {"path": str(path), "output": str(target), "faces_redacted": len(redacted.faces),
            "style": args.style, "detection_id": detection.id, "stored": bool(args.store)}
