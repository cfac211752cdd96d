"""``facedetect demo``: detect faces in the shipped sample image, store it, show the result.

The zero-setup first run: no image, cloud account or server needed.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from facedetect.entrypoints.cli.options import add_detector_options, add_storage_options, invocation, overrides


def register(subparsers: Any) -> None:
    """Add the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo", help="detect faces in the built-in sample image (no setup needed)",
        description="Detect faces in the built-in sample picture, keep image and result in the data "
                    "directory, read the result back, and write a copy with the boxes drawn.",
    )
    add_detector_options(parser)
    add_storage_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from facedetect.composition import bootstrap
    from facedetect.entrypoints.cli.annotate import write_annotated
    from facedetect.entrypoints.rest.representation import detection_to_json
    from facedetect.samples import sample_image
    from facedetect.settings import load_settings

    settings = load_settings(**overrides(args))
    service = bootstrap(settings)
    image = sample_image()
    detection = service.detect(image)
    stored = service.get(detection.id)  # read it back, as a client would
    print(json.dumps(detection_to_json(stored), indent=2))
    annotated = write_annotated(image, stored, settings.data_dir / "annotated" / "astronaut.faces.jpg",
                                service.limits)
    where = f" in {settings.data_dir}" if settings.backend == "filesystem" else f" ({settings.backend} backend)"
    print(f"\n{len(stored.faces)} face(s) found in the sample image; detection {stored.id} stored{where}.")
    print(f"Annotated copy: {annotated}")
    print(f"Read it back:   {invocation()} show {stored.id}")
    return 0
