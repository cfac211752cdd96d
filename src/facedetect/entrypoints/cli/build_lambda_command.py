"""``facedetect build-lambda``: the AWS Lambda deployment zip, from manylinux wheels (see facedetect_deploy)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``build-lambda`` subcommand."""
    parser = subparsers.add_parser(
        "build-lambda", help="build the AWS Lambda deployment zip (no Docker, no EC2)",
        description="Build the zip that template.yaml deploys: facedetect and its dependencies as "
                    "manylinux wheels for the Lambda's Python and architecture, without boto3 "
                    "(the runtime has it). Refuses to write a zip over Lambda's 250 MB unzipped limit.")
    parser.add_argument("--arch", choices=("x86_64", "arm64"), default="x86_64",
                        help="the function's architecture (default x86_64)")
    parser.add_argument("--output", metavar="PATH.zip", default="build/facedetect-lambda.zip",
                        help="where to write the zip (default build/facedetect-lambda.zip, "
                             "the template's CodeUri)")
    parser.add_argument("--python-version", metavar="3.N", default="3.12",
                        help="the runtime's Python (default 3.12, for python3.12)")
    parser.add_argument("--bytecode-python", metavar="PATH",
                        help="the Python 3.N that compiles the bytecode the runtime loads (default: "
                             "python3.N on PATH or a pyenv version; the build fails when there is none)")
    parser.add_argument("--no-bytecode", action="store_true",
                        help="ship sources only (no Python 3.N needed; every cold start compiles them)")
    parser.add_argument("--with-model", metavar="NAME", action="append", default=[], choices=("yunet",),
                        help="bundle a model downloaded with 'facedetect models download NAME' (yunet), so the "
                             "function can run with FACEDETECT_DETECTOR=yunet (the template's Detector parameter)")
    parser.add_argument("--source", metavar="DIR",
                        help="facedetect source tree (default: the checkout this facedetect runs from)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from facedetect.detectors.models import BUNDLED_DIR_NAME, find_model, known_model
    from facedetect_deploy import BuildError
    from facedetect_deploy.lambda_zip import build_lambda_zip, describe

    extra_files = {}
    for name in args.with_model:
        found = find_model(name)
        if found is None:
            print(f"facedetect: build-lambda: no {name} model: run 'facedetect models download {name}' first",
                  file=sys.stderr)
            return 2
        extra_files[f"{BUNDLED_DIR_NAME}/{known_model(name).filename}"] = found

    def progress(line: str) -> None:
        print(f"build-lambda: {line}", file=sys.stderr, flush=True)

    try:
        report = build_lambda_zip(Path(args.output), arch=args.arch, python_version=args.python_version,
                                  source=Path(args.source) if args.source else None,
                                  bytecode=not args.no_bytecode, bytecode_python=args.bytecode_python,
                                  log=progress, extra_files=extra_files)
    except BuildError as exc:
        print(f"facedetect: build-lambda failed: {exc.message}", file=sys.stderr)
        return 1
    print(describe(report))
    return 0
