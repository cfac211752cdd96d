"""The built artifact, proven before deployment: complete, within Lambda's limits, and working.

The x86_64 zip is unzipped into an empty directory and run by a fresh Python 3.12 venv
holding only boto3 (what the Lambda runtime provides); its handler serves real API Gateway
REST proxy events (``tests/events``) against a moto server over HTTP. This replaces the
reference system's EC2-built OpenCV layer.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfn_template import REPO_ROOT, Stack, load_template

pytestmark = pytest.mark.slow

LIMIT = 262_144_000  # Lambda: 250 MB unzipped
ELF_MACHINE = {"x86_64": 62, "arm64": 183}  # EM_X86_64, EM_AARCH64
EVENTS = REPO_ROOT / "tests" / "events"
DRIVER = Path(__file__).with_name("lambda_driver.py")
RUNTIME_PROVIDED = ("boto3/", "botocore/", "s3transfer/", "jmespath/")


def _check_artifact(artifact: Any) -> list[str]:
    """Assert what every artifact must be; return its member names."""
    with zipfile.ZipFile(artifact.path) as archive:
        infos = archive.infolist()
        names = [i.filename for i in infos]
        machines = {name: int.from_bytes(archive.open(name).read(20)[18:20], "little")
                    for name in names if re.search(r"\.so(\.[\d.]+)?$", name)}
    zipped, unzipped = artifact.path.stat().st_size, sum(i.file_size for i in infos)
    assert unzipped <= LIMIT
    assert f"{zipped:,} bytes" in artifact.stdout and f"{unzipped:,} bytes" in artifact.stdout, artifact.stdout
    assert not [n for n in names if n.startswith(RUNTIME_PROVIDED) or re.match(r"(boto3|botocore)-.*dist-info", n)]
    assert not [n for n in names if "__pycache__/" in n or "/tests/" in n or n.endswith((".pyc", ".pyi"))]
    for needed in ("facedetect/entrypoints/aws_lambda.py", "cv2/data/haarcascade_frontalface_default.xml",
                   "aws_lambda_powertools/__init__.py", "pydantic_settings/__init__.py"):
        assert needed in names
    assert machines and set(machines.values()) == {ELF_MACHINE[artifact.arch]}
    return names


def test_x86_64_artifact_is_complete_and_within_limits(build_artifact: Callable[[str], Any]) -> None:
    _check_artifact(build_artifact("x86_64"))


def test_arm64_artifact_is_complete_and_within_limits(build_artifact: Callable[[str], Any]) -> None:
    _check_artifact(build_artifact("arm64"))


def _function_environment(bucket: str, endpoint: str) -> dict[str, str]:
    """The function's environment from template.yaml, its references resolved to the test's resources."""
    template = load_template()
    stack = Stack(template)
    name = next(k for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function")
    refs = {**stack.parameters, "ImagesBucket": bucket, "FacesTable": stack.parameters["TableName"]}
    env = {}
    for key, value in stack.properties(name)["Environment"]["Variables"].items():
        env[key] = refs[value["Ref"]] if isinstance(value, dict) else str(value)
    return {**env, "FACEDETECT_AWS_ENDPOINT_URL": endpoint}


def _create_resources(endpoint: str, table: str) -> tuple[Any, Any, str]:
    """The bucket, and the table exactly as template.yaml defines it, on the moto server."""
    kwargs = {"endpoint_url": endpoint, "region_name": "us-east-1",
              "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    s3, dynamodb = boto3.client("s3", **kwargs), boto3.client("dynamodb", **kwargs)
    bucket = "facedetect-e2e-images"
    s3.create_bucket(Bucket=bucket)
    spec = Stack(load_template()).properties("FacesTable")
    dynamodb.create_table(TableName=table, BillingMode=spec["BillingMode"], KeySchema=spec["KeySchema"],
                          AttributeDefinitions=spec["AttributeDefinitions"],
                          GlobalSecondaryIndexes=spec["GlobalSecondaryIndexes"])
    return s3, dynamodb, bucket


def _invoke(lambda_python: Path, task_root: Path, env: dict[str, str], tmp_path: Path,
            image: bytes) -> tuple[dict[str, Any], str]:
    (tmp_path / "image.jpg").write_bytes(image)
    out = tmp_path / "results.json"
    home = tmp_path / "home"
    home.mkdir()
    runtime_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
        "PYTHONPATH": str(task_root), "PYTHONDONTWRITEBYTECODE": "1", "LAMBDA_TASK_ROOT": str(task_root),
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12", "AWS_LAMBDA_FUNCTION_NAME": "facedetect-e2e",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", **env,
    }
    done = subprocess.run([str(lambda_python), "-P", str(DRIVER), str(EVENTS), str(tmp_path / "image.jpg"),
                           str(out)], cwd=task_root, env=runtime_env, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(out.read_text()), done.stdout


def test_artifact_serves_api_gateway_events_against_moto(
    unzipped_x86_64: Path, lambda_python: Path, moto_endpoint: str, tmp_path: Path
) -> None:
    import imagegen

    image = imagegen.jpeg()
    env = _function_environment("facedetect-e2e-images", moto_endpoint)
    s3, dynamodb, bucket = _create_resources(moto_endpoint, env["FACEDETECT_DYNAMODB_TABLE"])
    assert env["FACEDETECT_BACKEND"] == "aws" and env["FACEDETECT_S3_BUCKET"] == bucket

    results, stdout = _invoke(lambda_python, unzipped_x86_64, env, tmp_path, image)

    # Everything but boto3 (and its jmespath) came from the unzipped artifact.
    for module, path in results["modules"].items():
        inside = Path(path).resolve().is_relative_to(unzipped_x86_64.resolve())
        assert inside == (module not in ("boto3", "jmespath")), (module, path)

    post = results["post"]
    assert post["statusCode"] == 200, post
    body = json.loads(post["body"])
    faces, detection = body["faces"], body["detection"]
    assert len(faces) >= 1 and set(faces["0"]) >= {"x1", "y1", "x2", "y2"}
    assert len(detection["faces"]) == len(faces)

    got = results["get_face.json"]
    assert got["statusCode"] == 200 and json.loads(got["body"])["detection"]["id"] == detection["id"]
    listed = results["get_faces_list.json"]
    assert listed["statusCode"] == 200
    assert [d["id"] for d in json.loads(listed["body"])["detections"]] == [detection["id"]]

    redirect = results["get_face_image.json"]
    assert redirect["statusCode"] == 302
    headers = {k.lower(): v for k, v in (redirect.get("headers") or {}).items()}
    multi = {k.lower(): v[-1] for k, v in (redirect.get("multiValueHeaders") or {}).items()}
    location = headers.get("location") or multi["location"]
    assert location.startswith(moto_endpoint)
    with urllib.request.urlopen(location, timeout=30) as response:
        assert response.read() == image

    # The stores on the moto server hold the image and the detection.
    objects = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert len(objects) == 1
    stored = s3.get_object(Bucket=bucket, Key=objects[0]["Key"])
    assert stored["Body"].read() == image and stored["ContentType"] == "image/jpeg"
    items = dynamodb.scan(TableName=env["FACEDETECT_DYNAMODB_TABLE"])["Items"]
    marker = [i for i in items if i["face_id"]["S"] == f"detection#{detection['id']}"]
    face_items = [i for i in items if "x1" in i]
    assert len(marker) == 1 and len(face_items) == len(faces)
    assert {i["image_id"]["S"] for i in face_items} == {objects[0]["Key"]}
    stored_boxes = sorted((int(i["x1"]["N"]), int(i["y1"]["N"]), int(i["x2"]["N"]), int(i["y2"]["N"]))
                          for i in face_items)
    assert stored_boxes == sorted((f["x1"], f["y1"], f["x2"], f["y2"]) for f in faces.values())

    # Metrics left the function as CloudWatch EMF documents in the namespace the docs name.
    emf = [json.loads(line) for line in stdout.splitlines() if line.startswith("{") and '"_aws"' in line]
    names = {m["Name"] for doc in emf for d in doc["_aws"]["CloudWatchMetrics"] if d["Namespace"] == "facedetect"
             for m in d["Metrics"]}
    assert {"ImagesProcessed", "FacesDetected", "DetectionMilliseconds"} <= names

