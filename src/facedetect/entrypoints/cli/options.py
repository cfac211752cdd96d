"""Options shared by several subcommands, and turning parsed arguments into settings overrides."""

from __future__ import annotations

import argparse
from typing import Any

_STORAGE_FIELDS = ("backend", "data_dir", "s3_bucket", "dynamodb_table", "aws_endpoint_url")
_DETECTOR_FIELDS = ("detector", "yunet_model", "scale_factor", "min_neighbors", "min_size", "max_size",
                    "max_dimension", "yunet_score_threshold", "yunet_small_faces")


def add_storage_options(parser: argparse.ArgumentParser) -> None:
    """``--backend``, ``--data-dir`` and the AWS location options (default: ``FACEDETECT_*`` variables)."""
    group = parser.add_argument_group("storage (default: FACEDETECT_* environment variables)")
    group.add_argument("--backend", choices=("filesystem", "memory", "aws"),
                       help="where images and detections are kept (default: filesystem)")
    group.add_argument("--data-dir", metavar="DIR", help="data directory of the filesystem backend "
                       "(default: ./facedetect-data)")
    group.add_argument("--s3-bucket", metavar="NAME", help="S3 bucket of the aws backend")
    group.add_argument("--dynamodb-table", metavar="NAME", help="DynamoDB table of the aws backend (default: faces)")
    group.add_argument("--aws-endpoint-url", metavar="URL", help="custom AWS endpoint (moto, LocalStack)")


def add_detector_options(parser: argparse.ArgumentParser) -> None:
    """Detector choice and parameters."""
    group = parser.add_argument_group("detector")
    group.add_argument("--detector", choices=("haar", "haar-multi", "yunet"), help="face detector (default: haar)")
    group.add_argument("--yunet-model", metavar="PATH", help="YuNet .onnx model file (for --detector yunet)")
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
