"""Shared moto fixtures: every adapter test runs in-process (``mock_aws``) and over real HTTP.

``aws`` is parametrised over ``inprocess`` (moto patches botocore) and ``server`` (a
``ThreadedMotoServer`` on 127.0.0.1 with an OS-chosen port, reached through
``endpoint_url`` so boto3's whole wire path is exercised). Fake credentials and region are
set for every test, so nothing can reach real AWS.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from aws_testkit import REGION, Aws, backend, create_bucket, create_reference_table
from moto import mock_aws
from moto.server import ThreadedMotoServer

from facedetect.adapters.dynamodb import DynamoDBDetectionRepository
from facedetect.adapters.s3 import S3ImageStore

TESTS_DIR = Path(__file__).resolve().parents[2]
if str(TESTS_DIR) not in sys.path:  # make tests/imagegen.py importable as ``imagegen``
    sys.path.insert(0, str(TESTS_DIR))


@pytest.fixture(autouse=True)
def fake_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials and region; no profile, config file or endpoint from the developer's machine."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
                 "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name in [n for n in os.environ if n.startswith("FACEDETECT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """A moto server on 127.0.0.1 (free port), shared by the session; yields its URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(params=["inprocess", "server"])
def aws(request: pytest.FixtureRequest, fake_aws_env: None) -> Iterator[Aws]:
    """moto in-process or over HTTP, empty at the start of each test."""
    if request.param == "inprocess":
        with mock_aws():
            yield backend("inprocess", None)
        return
    url: str = request.getfixturevalue("moto_server")
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST")).close()
    yield backend("server", url)


@pytest.fixture
def bucket(aws: Aws) -> str:
    return create_bucket(aws)


@pytest.fixture
def table(aws: Aws) -> str:
    return create_reference_table(aws)


@pytest.fixture
def store(aws: Aws, bucket: str) -> S3ImageStore:
    return S3ImageStore(bucket, client=aws.s3)


@pytest.fixture
def repo(aws: Aws, table: str) -> DynamoDBDetectionRepository:
    return DynamoDBDetectionRepository(table, client=aws.dynamodb)
