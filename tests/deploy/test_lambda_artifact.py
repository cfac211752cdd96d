"""The built artifact, proven before deployment: complete, within Lambda's limits, and working.

The x86_64 zip is unzipped into an empty directory and run by a fresh Python 3.12 venv
holding only boto3 (what the Lambda runtime provides), once with the newest boto3 and once
with the 1.34 line (botocore 1.34.x) older python3.12 runtimes carry; its handler serves real
API Gateway REST proxy events (``tests/events``) against a moto server over HTTP, importing
everything from the zip's bytecode. A second build of the same tree must be byte-identical.
This replaces the reference system's EC2-built OpenCV layer.
"""

from __future__ import annotations

import csv
import hashlib
import io
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
from support.cfn_template import REPO_ROOT, Stack, load_template
from support.lambda_artifact import BOTO3_SPECS, unzip

pytestmark = pytest.mark.slow

LIMIT = 262_144_000  # Lambda: 250 MB unzipped
ELF_MACHINE = {"x86_64": 62, "arm64": 183}  # EM_X86_64, EM_AARCH64
EVENTS = REPO_ROOT / "tests" / "events"
DRIVER = Path(__file__).with_name("lambda_driver.py")
RUNTIME_PROVIDED = ("boto3/", "botocore/", "s3transfer/", "jmespath/")


def _record_entries(archive: zipfile.ZipFile, names: list[str]) -> dict[str, str]:
    """Every file the artifact's ``*.dist-info/RECORD`` files list -> the RECORD listing it."""
    listed: dict[str, str] = {}
    for record in (n for n in names if re.fullmatch(r"[^/]+\.dist-info/RECORD", n)):
        for row in csv.reader(io.StringIO(archive.read(record).decode())):
            assert row[0] not in listed, (row[0], record, listed.get(row[0]))
            listed[row[0]] = record
    return listed


def _check_artifact(artifact: Any) -> list[str]:
    """Assert what every artifact must be; return its member names."""
    with zipfile.ZipFile(artifact.path) as archive:
        infos = archive.infolist()
        names = [i.filename for i in infos]
        machines = {name: int.from_bytes(archive.open(name).read(20)[18:20], "little")
                    for name in names if re.search(r"\.so(\.[\d.]+)?$", name)}
        records = _record_entries(archive, names)
    zipped, unzipped = artifact.path.stat().st_size, sum(i.file_size for i in infos)
    assert unzipped <= LIMIT
    assert f"{zipped:,} bytes" in artifact.stdout and f"{unzipped:,} bytes" in artifact.stdout, artifact.stdout
    assert not [n for n in names if n.startswith(RUNTIME_PROVIDED) or re.match(r"(boto3|botocore)-.*dist-info", n)]
    assert not [n for n in names if "/tests/" in n or n.endswith((".pyo", ".pyi", "direct_url.json"))]
    assert not [n for n in names if n.startswith("facedetect_deploy/")]  # the builder stays behind
    cascades = sorted(n.removeprefix("cv2/data/") for n in names if n.startswith("cv2/data/haarcascade_"))
    assert "haarcascade_profileface.xml" in cascades and "haarcascade_frontalface_alt2.xml" in cascades
    assert all("face" in c and "cat" not in c for c in cascades), cascades  # human faces only
    for needed in ("facedetect/entrypoints/aws_lambda.py", "cv2/data/haarcascade_frontalface_default.xml",
                   "aws_lambda_powertools/__init__.py", "pydantic_settings/__init__.py"):
        assert needed in names
    assert machines and set(machines.values()) == {ELF_MACHINE[artifact.arch]}

    # Bytecode of the runtime's Python only, in __pycache__ beside its source, for (nearly) every source.
    pycs = [n for n in names if n.endswith(".pyc")]
    assert pycs and all(re.fullmatch(r"(.+/)?__pycache__/[^/]+\.cpython-312\.pyc", n) for n in pycs)
    sources = {n for n in names if n.endswith(".py")}
    compiled = {re.sub(r"__pycache__/([^/]+)\.cpython-312\.pyc$", r"\1.py", n) for n in pycs}
    assert compiled <= sources and len(compiled) >= 0.98 * len(sources), sorted(sources - compiled)[:20]
    for needed in ("facedetect/entrypoints/__pycache__/aws_lambda.cpython-312.pyc",
                   "numpy/__pycache__/__init__.cpython-312.pyc", "cv2/__pycache__/__init__.cpython-312.pyc"):
        assert needed in names

    # Every RECORD lists files the zip holds, and every file of the zip is listed by one RECORD.
    assert sorted(set(records) - set(names)) == []
    assert sorted(set(names) - set(records)) == []
    return names


def test_x86_64_artifact_is_complete_and_within_limits(build_artifact: Callable[[str], Any]) -> None:
    _check_artifact(build_artifact("x86_64"))


def test_arm64_artifact_is_complete_and_within_limits(build_artifact: Callable[[str], Any]) -> None:
    _check_artifact(build_artifact("arm64"))


def test_the_real_build_is_byte_reproducible(build_artifact: Callable[[str], Any], rebuilt_x86_64: Any) -> None:
    first, second = build_artifact("x86_64").path, rebuilt_x86_64.path
    assert first.parent != second.parent
    digests = [hashlib.sha256(path.read_bytes()).hexdigest() for path in (first, second)]
    assert digests[0] == digests[1]


def _function_environment(bucket: str, table: str, endpoint: str) -> dict[str, str]:
    """The function's environment from template.yaml, its references resolved to the test's resources."""
    template = load_template()
    stack = Stack(template, TableName=table)
    name = next(k for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function")
    refs = {**stack.parameters, "ImagesBucket": bucket, "FacesTable": stack.parameters["TableName"]}
    env = {}
    for key, value in stack.properties(name)["Environment"]["Variables"].items():
        env[key] = refs[value["Ref"]] if isinstance(value, dict) else str(value)
    return {**env, "FACEDETECT_AWS_ENDPOINT_URL": endpoint}


def _create_resources(endpoint: str, table: str, bucket: str) -> tuple[Any, Any, str]:
    """The bucket, and the table exactly as template.yaml defines it, on the moto server."""
    kwargs = {"endpoint_url": endpoint, "region_name": "us-east-1",
              "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    s3, dynamodb = boto3.client("s3", **kwargs), boto3.client("dynamodb", **kwargs)
    s3.create_bucket(Bucket=bucket)
    spec = Stack(load_template()).properties("FacesTable")
    dynamodb.create_table(TableName=table, BillingMode=spec["BillingMode"], KeySchema=spec["KeySchema"],
                          AttributeDefinitions=spec["AttributeDefinitions"],
                          GlobalSecondaryIndexes=spec["GlobalSecondaryIndexes"])
    return s3, dynamodb, bucket


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` -> (size, mtime in ns): what a write of bytecode would change."""
    snapshot = {}
    for directory, _dirs, files in os.walk(root):
        for name in files:
            stat = os.stat(os.path.join(directory, name))
            snapshot[os.path.join(directory, name)] = (stat.st_size, stat.st_mtime_ns)
    return snapshot


def _invoke(lambda_python: Path, task_root: Path, env: dict[str, str], tmp_path: Path,
            image: bytes) -> tuple[dict[str, Any], str]:
    (tmp_path / "image.jpg").write_bytes(image)
    out = tmp_path / "results.json"
    home = tmp_path / "home"
    home.mkdir()
    # PYTHONDONTWRITEBYTECODE is not set: a module imported without usable bytecode in the zip
    # would write its .pyc into the task root, which the caller checks did not happen.
    runtime_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
        "PYTHONPATH": str(task_root), "LAMBDA_TASK_ROOT": str(task_root),
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12", "AWS_LAMBDA_FUNCTION_NAME": "facedetect-e2e",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", **env,
    }
    done = subprocess.run([str(lambda_python), "-P", str(DRIVER), str(EVENTS), str(tmp_path / "image.jpg"),
                           str(out)], cwd=task_root, env=runtime_env, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(out.read_text()), done.stdout


def _location(redirect: dict[str, Any]) -> str:
    headers = {k.lower(): v for k, v in (redirect.get("headers") or {}).items()}
    multi = {k.lower(): v[-1] for k, v in (redirect.get("multiValueHeaders") or {}).items()}
    location: str = headers.get("location") or multi["location"]
    return location


@pytest.mark.parametrize("boto3_spec", BOTO3_SPECS)
def test_artifact_serves_api_gateway_events_against_moto(
    boto3_spec: str, build_artifact: Callable[[str], Any], lambda_python: Callable[[str], Path],
    moto_endpoint: str, tmp_path: Path
) -> None:
    from support import imagegen

    image = imagegen.jpeg()
    task_root = unzip(build_artifact("x86_64").path, tmp_path / "var-task")
    # One moto server for the module: each run gets its own bucket and table.
    suffix = hashlib.sha256(boto3_spec.encode()).hexdigest()[:8]
    env = _function_environment(f"facedetect-e2e-{suffix}", f"faces-{suffix}", moto_endpoint)
    s3, dynamodb, bucket = _create_resources(moto_endpoint, env["FACEDETECT_DYNAMODB_TABLE"],
                                             f"facedetect-e2e-{suffix}")
    assert env["FACEDETECT_BACKEND"] == "aws" and env["FACEDETECT_S3_BUCKET"] == bucket
    before = _snapshot(task_root)

    results, stdout = _invoke(lambda_python(boto3_spec), task_root, env, tmp_path, image)

    # The runtime's boto3 of this spec; everything else came from the unzipped artifact, as bytecode.
    botocore = tuple(int(part) for part in results["botocore"].split(".")[:2])
    assert (botocore < (1, 35)) == ("<1.35" in boto3_spec), results["botocore"]
    for module, path in results["modules"].items():
        inside = Path(path).resolve().is_relative_to(task_root.resolve())
        assert inside == (module not in ("boto3", "jmespath")), (module, path)
    assert results["task_root_modules"] > 200 and results["not_from_bytecode"] == []
    assert _snapshot(task_root) == before  # no module had to be compiled and cached at import

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

    again = results["post_again"]
    assert again["statusCode"] == 200, again
    assert json.loads(again["body"])["detection"] == detection

    for name in ("get_face_image.json", "get_face_image_again"):
        redirect = results[name]
        assert redirect["statusCode"] == 302, (name, redirect)
        location = _location(redirect)
        assert location.startswith(moto_endpoint)
        with urllib.request.urlopen(location, timeout=30) as response:
            assert response.read() == image

    # The stores on the moto server hold the image and the detection, once.
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
