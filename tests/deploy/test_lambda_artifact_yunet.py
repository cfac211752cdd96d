"""``build-lambda --with-model yunet``: the model travels in the zip and the function finds it there.

The cached model (here the shared one, put where ``facedetect models download yunet`` would) is
bundled; the unzipped artifact, run by a clean Python 3.12 venv holding only boto3, answers a
YuNet detection with ``FACEDETECT_DETECTOR=yunet`` (the template's ``Detector`` parameter) and no
model path, against a moto server.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from test_lambda_artifact import _create_resources, _function_environment, _invoke

from facedetect.detectors.models import BUNDLED_DIR_NAME, KNOWN_MODELS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def yunet_task_root(needs_pypi: None, yunet_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("yunet-cache")
    (cache / "facedetect" / "models").mkdir(parents=True)
    shutil.copy(yunet_model, cache / "facedetect" / "models" / KNOWN_MODELS["yunet"].filename)
    output = tmp_path_factory.mktemp("lambda-yunet") / "facedetect-lambda.zip"
    done = subprocess.run([sys.executable, "-m", "facedetect.entrypoints.cli.main", "build-lambda", "--arch",
                           "x86_64", "--with-model", "yunet", "--output", str(output)],
                          env={**os.environ, "XDG_CACHE_HOME": str(cache)}, capture_output=True, text=True,
                          timeout=900, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    task_root = tmp_path_factory.mktemp("var-task-yunet")
    with zipfile.ZipFile(output) as archive:
        names = archive.namelist()
        archive.extractall(task_root)
    bundled = f"{BUNDLED_DIR_NAME}/{KNOWN_MODELS['yunet'].filename}"
    assert bundled in names
    assert (task_root / bundled).read_bytes() == yunet_model.read_bytes()
    return task_root


def test_the_bundled_model_serves_yunet_detections(yunet_task_root: Path, lambda_python: Callable[[str], Path],
                                                   moto_endpoint: str, tmp_path: Path) -> None:
    from support import imagegen

    env = _function_environment("facedetect-e2e-yunet", "faces-yunet", moto_endpoint)
    assert env["FACEDETECT_DETECTOR"] == "haar", "the template's default"
    env["FACEDETECT_DETECTOR"] = "yunet"  # the Detector parameter set to yunet
    assert "FACEDETECT_YUNET_MODEL" not in env
    _create_resources(moto_endpoint, env["FACEDETECT_DYNAMODB_TABLE"], env["FACEDETECT_S3_BUCKET"])
    results, _ = _invoke(lambda_python("boto3"), yunet_task_root, env, tmp_path, imagegen.jpeg(imagegen.group()))
    post = results["post"]
    assert post["statusCode"] == 200, post
    detection = json.loads(post["body"])["detection"]
    assert detection["detector"] == "yunet"
    assert detection["face_count"] == 3 and all("landmarks" in f for f in detection["faces"])
