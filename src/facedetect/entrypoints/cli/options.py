"""Options shared by several subcommands, and turning parsed arguments into settings overrides."""

from __future__ import annotations

import argparse
import os
import re
from typing import TYPE_CHECKING, Any

from facedetect.adapters import BACKENDS
from facedetect.detectors.factory import DETECTORS

if TYPE_CHECKING:
    from facedetect.service.detections import FaceDetectionService

_STORAGE_FIELDS = ("backend", "data_dir", "s3_bucket", "dynamodb_table", "aws_endpoint_url")
_DETECTOR_FIELDS = ("detector", "yunet_model", "scale_factor", "min_neighbors", "min_size", "max_size",
                    "max_dimension", "yunet_score_threshold", "yunet_small_faces")


def add_storage_options(parser: argparse.ArgumentParser) -> None:
    """``--backend``, ``--data-dir`` and the AWS location options (default: ``FACEDETECT_*`` variables)."""
    group = parser.add_argument_group("storage (default: FACEDETECT_* environment variables)")
    group.add_argument("--backend", choices=BACKENDS,
                       help="where images and detections are kept (default: filesystem)")
    group.add_argument("--data-dir", metavar="DIR", help="data directory of the filesystem backend "
                       "(default: the per-user data directory, ~/.local/share/facedetect on Linux)")
    group.add_argument("--s3-bucket", metavar="NAME", help="S3 bucket of the aws backend")
    group.add_argument("--dynamodb-table", metavar="NAME", help="DynamoDB table of the aws backend (default: faces)")
    group.add_argument("--aws-endpoint-url", metavar="URL", help="custom AWS endpoint (moto, LocalStack)")


def add_workers_option(parser: argparse.ArgumentParser) -> None:
    """``--workers N``: images processed at once."""
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, metavar="N",
                        help="images processed at once (default: the number of cores)")


def worker_count(requested: int, images: int) -> int:
    """Workers for ``images`` images; with more than one, OpenCV runs single-threaded in each."""
    workers = max(1, min(requested, images))
    if workers > 1:
        import cv2

        cv2.setNumThreads(1)  # parallelism comes from whole images, not from inside one detection
    return workers


def add_detector_options(parser: argparse.ArgumentParser) -> None:
    """Detector choice and parameters."""
    group = parser.add_argument_group("detector")
    group.add_argument("--detector", choices=DETECTORS, help="face detector (default: haar)")
    group.add_argument("--yunet-model", metavar="PATH", help="YuNet .onnx model file (for --detector yunet; "
                       "default: the one 'facedetect models download yunet' cached)")
    group.add_argument("--yunet-score-threshold", type=float, metavar="S", help="YuNet minimum score (default 0.7)")
    group.add_argument("--small-faces", dest="yunet_small_faces", action="store_const", const=True,
                       help="YuNet: a second, upscaled pass that finds small faces (slower)")
    group.add_argument("--scale-factor", type=float, metavar="F", help="Haar pyramid step (default 1.1)")
    group.add_argument("--min-neighbors", type=int, metavar="N", help="Haar neighbours to keep a face (default 5)")
    group.add_argument("--min-size", type=int, metavar="PX", help="smallest face side in pixels")
    group.add_argument("--max-size", type=int, metavar="PX", help="largest face side in pixels")
    group.add_argument("--max-dimension", type=int, metavar="PX",
                       help="shrink images whose longer side exceeds PX before detecting (faster)")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Settings overrides from the options the user actually gave (``None`` = not given)."""
    names = _STORAGE_FIELDS + _DETECTOR_FIELDS
    return {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}


def service_for(args: argparse.Namespace, *, store: bool) -> FaceDetectionService:
    """The service for a command on files: the options given over the settings; ``store=False``
    keeps nothing and touches no storage at all (not even to create a data directory)."""
    from facedetect.composition import bootstrap

    settings = overrides(args)
    if not store:
        settings["backend"] = "memory"
    return bootstrap(**settings)


_SETTING_ERROR = re.compile(r"Invalid configuration: FACEDETECT_([A-Z0-9_]+): (.*)")


def name_the_flag(message: str, args: argparse.Namespace) -> str:
    """Say ``--max-dimension must be …`` instead of ``FACEDETECT_MAX_DIMENSION: …`` when the flag was given."""
    match = _SETTING_ERROR.fullmatch(message)
    if not match:
        return message
    field, reason = match.group(1).lower(), match.group(2)
    if getattr(args, field, None) is None:
        return message  # it came from the environment: name the variable
    reason = reason.replace("Input should be ", "must be ", 1)
    return f"--{field.replace('_', '-')} {reason} (got {getattr(args, field)})"


def invocation() -> str:
    """How this program was started, as a user can type it again: ``facedetect`` or ``.venv/bin/facedetect``."""
    import os
    import shlex
    import shutil
    import sys

    program = sys.argv[0] if sys.argv else ""
    if os.path.basename(program) == "facedetect":
        on_path = shutil.which("facedetect")
        if on_path and os.path.realpath(on_path) == os.path.realpath(program):
            return "facedetect"
        return shlex.quote(program)
    return f"{shlex.quote(sys.executable)} -m facedetect.entrypoints.cli.main"
