"""Deployment tooling: build the AWS Lambda zip from manylinux wheels (no Docker, no EC2).

:func:`facedetect_deploy.lambda_zip.build_lambda_zip` is what ``facedetect build-lambda``
runs; ``template.yaml`` at the repository root deploys what it writes.
"""

from __future__ import annotations

from facedetect.errors import FaceDetectError


class BuildError(FaceDetectError):
    """The Lambda artifact could not be built (pip failed, too large, no source tree)."""

    code = "build_error"
    http_status = 500
