"""``facedetect submit PATH... --api URL``: detect faces in many or large images through a facedetect API.

Each file goes through ``POST /uploads`` (see :mod:`~facedetect.entrypoints.cli.submit_client`):
content the API has already detected with these options is answered at once and not uploaded
again, so a second run over the same folder uploads nothing. One JSON line per image is
printed as it completes, in the shape ``facedetect detect`` prints; a failing file is
reported and skipped; the exit status is 1 if any file failed.
"""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``submit`` subcommand."""
    parser = subparsers.add_parser(
        "submit", help="detect faces in images through a facedetect API (large photos, whole folders)",
        description="Upload each image through POST /uploads of the API at --api (a deployed stack or "
                    "`facedetect serve`), wait for its detection and print one JSON object per image as it "
                    "completes. Content the API already detected with these options is not uploaded again. "
                    "A bad file is reported and skipped; the exit status is 1 if any file failed.")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="image files or directories")
    parser.add_argument("--api", required=True, metavar="URL", help="base URL of the API (the stack's ApiUrl)")
    parser.add_argument("--api-key", metavar="KEY", help="x-api-key header value (stacks with EnableApiKey)")
    parser.add_argument("--concurrency", type=_positive, default=4, metavar="N",
                        help="images in flight at once (default 4)")
    parser.add_argument("--scale-factor", type=float, help="Haar pyramid step (the API's default otherwise)")
    parser.add_argument("--min-neighbors", type=int, help="Haar: neighbours to keep a face")
    parser.add_argument("--min-size", type=int, help="smallest face side, pixels")
    parser.add_argument("--max-dimension", type=int, help="shrink larger images to this side first")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    import sys
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from facedetect.detectors.cache import DETECTOR_OPTIONS
    from facedetect.entrypoints.cli.detect_command import PROGRESS_MIN_FILES
    from facedetect.entrypoints.cli.inputs import collect
    from facedetect.entrypoints.cli.progress import image_progress
    from facedetect.entrypoints.cli.submit_client import ApiClient, submit_one

    client = ApiClient(args.api, api_key=args.api_key,
                       options={name: getattr(args, name, None) for name in DETECTOR_OPTIONS})
    inputs = [item.path for item in collect(args.paths)]
    failures = 0
    with image_progress(len(inputs), enabled=sys.stderr.isatty() and len(inputs) >= PROGRESS_MIN_FILES) as bar, \
            ThreadPoolExecutor(max_workers=max(1, min(args.concurrency, len(inputs))),
                               thread_name_prefix="submit") as pool:
        futures = [pool.submit(submit_one, client, path) for path in inputs]
        for future in as_completed(futures):
            result = future.result()
            bar.update()
            if "error" in result:
                failures += 1
                bar.write(f"facedetect: {result['path']}: {result['error']['message']}", file=sys.stderr)
            print(json.dumps(result), flush=True)
    print(f"facedetect: {len(inputs)} image(s): {client.uploaded} uploaded, {failures} failed", file=sys.stderr)
    return 1 if failures else 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value
