"""``facedetect detect PATH...``: detect faces in files and directories, one JSON line per image."""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from facedetect.entrypoints.cli.inputs import Input, collect
from facedetect.entrypoints.cli.options import (
    add_detector_options,
    add_storage_options,
    add_workers_option,
    service_for,
    worker_count,
)

PROGRESS_MIN_FILES = 10


def register(subparsers: Any) -> None:
    """Add the ``detect`` subcommand."""
    parser = subparsers.add_parser(
        "detect", help="detect faces in images (files or directories)",
        description="Detect faces in each image and print one JSON object per image on stdout. "
                    "Directories are searched recursively for image files (by extension; other files are "
                    "listed on stderr and skipped). A bad image is reported and skipped; the exit status is 1 "
                    "if any image failed.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="image files or directories")
    parser.add_argument("--no-store", action="store_true", help="only detect; keep neither image nor result")
    parser.add_argument("--annotate", metavar="DIR", type=Path,
                        help="write a copy of each image with the boxes drawn into DIR")
    add_workers_option(parser)
    add_detector_options(parser)
    add_storage_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    service = service_for(args, store=not args.no_store)
    inputs = collect(args.paths)
    workers = worker_count(args.workers, len(inputs))
    from facedetect.entrypoints.cli.progress import image_progress

    annotated: set[Path] = set()
    failures = 0
    with image_progress(len(inputs), enabled=sys.stderr.isatty() and len(inputs) >= PROGRESS_MIN_FILES) as bar, \
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="detect") as pool:
        for item, result in zip(inputs, pool.map(lambda i: _detect_one(service, i, args), inputs), strict=True):
            bar.update()
            if "error" in result:
                failures += 1
                bar.write(f"facedetect: {item.path}: {result['error']['message']}", file=sys.stderr)
            elif args.annotate is not None:
                _annotate(service, item, result, args.annotate, annotated)
            print(json.dumps({k: v for k, v in result.items() if not k.startswith("_")}), flush=True)
    return 1 if failures else 0


def _detect_one(service: Any, item: Input, args: argparse.Namespace) -> dict[str, Any]:
    from facedetect.entrypoints.rest.representation import face_to_json
    from facedetect.errors import FaceDetectError

    try:
        with open(item.path, "rb") as fh:
            data = fh.read(service.limits.max_bytes + 1)
        detection = service.detect(data, store=not args.no_store)
    except FaceDetectError as exc:
        return {"path": str(item.path), "error": {"code": exc.code, "message": exc.detail}}
    except OSError as exc:
        message = f"cannot read the file: {exc.strerror or exc}"
        return {"path": str(item.path), "error": {"code": "unreadable_file", "message": message}}
    return {
        "path": str(item.path),
        "width": detection.width,
        "height": detection.height,
        "media_type": detection.media_type,
        "faces": [face_to_json(f, detection.width, detection.height) for f in detection.faces],
        "detection_id": detection.id,
        "stored": not args.no_store,
        "_detection": detection,
        "_bytes": data if args.annotate is not None else None,
    }


def _annotate(service: Any, item: Input, result: dict[str, Any], directory: Path, used: set[Path]) -> None:
    from facedetect.entrypoints.cli.annotate import write_annotated

    relative = item.path.relative_to(item.root) if item.path.is_relative_to(item.root) else Path(item.path.name)
    target = directory / relative.with_name(f"{relative.stem}.faces.jpg")
    if target in used:  # photo.jpg and photo.png in one folder
        target = directory / relative.with_name(f"{relative.name}.faces.jpg")
    used.add(target)
    result["annotated"] = str(write_annotated(result["_bytes"], result["_detection"], target, service.limits))
