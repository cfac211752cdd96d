"""``facedetect models download NAME`` and ``facedetect models list``: the detector models, cached per user."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``models`` subcommand and its ``download`` and ``list`` actions."""
    parser = subparsers.add_parser(
        "models", help="download and list detector models (YuNet)",
        description="Detector models are downloaded once into the per-user cache directory "
                    "(~/.cache/facedetect/detectors/models on Linux), checked against their SHA-256.")
    actions = parser.add_subparsers(dest="models_action", required=True, metavar="ACTION")
    download = actions.add_parser("download", help="download a model into the cache, verified",
                                  description="Download a model, check its SHA-256, and keep it in the cache "
                                              "only when it matches. Honours https_proxy/http_proxy/no_proxy.")
    download.add_argument("name", help="the model: yunet")
    download.add_argument("--url", help="download from this URL instead (a mirror)")
    download.add_argument("--sha256", metavar="HEX", help="the SHA-256 the download must have (with --url)")
    download.set_defaults(func=run_download)
    listing = actions.add_parser("list", help="list the known models and whether each is cached")
    listing.set_defaults(func=run_list)


def run_download(args: argparse.Namespace) -> int:
    from facedetect.detectors.models import download_model, known_model
    from facedetect.entrypoints.cli.progress import byte_progress

    model = known_model(args.name)
    with byte_progress(f"{model.filename}", enabled=sys.stderr.isatty()) as progress:
        path = download_model(args.name, url=args.url, sha256=args.sha256, progress=progress)
    print(f"{model.name}: {path}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from facedetect.detectors.models import KNOWN_MODELS, find_model

    for model in KNOWN_MODELS.values():
        found = find_model(model.name)
        print(f"{model.name}\t{found if found else 'not downloaded'}\t{model.description}")
    return 0
