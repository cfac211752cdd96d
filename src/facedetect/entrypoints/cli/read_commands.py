"""``facedetect show ID`` and ``facedetect list``: read stored detections back."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from facedetect.entrypoints.cli.options import add_storage_options, invocation, overrides


def register(subparsers: Any) -> None:
    """Add the ``show`` and ``list`` subcommands."""
    show = subparsers.add_parser("show", help="print one stored detection as JSON",
                                 description="Print a stored detection (boxes, size, detector) as JSON.")
    show.add_argument("id", help="detection id, as printed by 'facedetect detect'")
    add_storage_options(show)
    show.set_defaults(func=run_show)

    listing = subparsers.add_parser("list", help="list stored detections, newest first",
                                    description="Print one JSON line per stored detection, newest first.")
    listing.add_argument("--limit", type=_page_size, default=20, help="how many, 1 to 1000 (default 20)")
    listing.add_argument("--cursor", help="continue after a previous page (printed on stderr)")
    add_storage_options(listing)
    listing.set_defaults(func=run_list)


def _service(args: argparse.Namespace) -> Any:
    """The service over the configured store; reading creates nothing, so a missing data directory reads as empty."""
    from facedetect.composition import bootstrap
    from facedetect.settings import load_settings

    settings = load_settings(**overrides(args))
    if settings.backend == "filesystem" and not settings.data_dir.is_dir():
        return bootstrap(settings, backend="memory")  # nothing stored yet: an empty store, no folder created
    return bootstrap(settings)


def run_show(args: argparse.Namespace) -> int:
    from facedetect.entrypoints.rest.representation import detection_to_json

    detection = _service(args).get(args.id)
    print(json.dumps(detection_to_json(detection), indent=2))
    return 0


def run_list(args: argparse.Namespace) -> int:
    page = _service(args).list(limit=args.limit, cursor=args.cursor)
    for d in page.items:
        print(json.dumps({"id": d.id, "created_at": d.created_at.isoformat(), "face_count": len(d.faces),
                          "width": d.width, "height": d.height, "media_type": d.media_type,
                          "detector": d.detector, "image_key": d.image_key}))
    if page.next_cursor:
        print(f"more: {invocation()} list --cursor {page.next_cursor}", file=sys.stderr)
    return 0


def _page_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 1000, not {text!r}")
    return value
