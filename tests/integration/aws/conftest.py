"""Shared moto fixtures: every adapter test runs in-process (``mock_aws``) and over real HTTP.

``aws`` is parametrised over ``inprocess`` (moto patches botocore) and ``server`` (a
``ThreadedMotoServer`` on 127.0.0.1 with an OS-chosen port, reached through
``endpoint_url`` so boto3's whole wire path is exercised). Fake credentials and region are
set for every test, so nothing can reach real AWS.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from moto import mock_aws
from support.aws_resources import Aws, backend, create_bucket, create_reference_table
from support.fake_aws import reset_moto, running_moto_server, use_fake_aws_env

from facedetect.adapters.aws.dynamodb.repository import DynamoDBDetectionRepository
from facedetect.adapters.aws.s3 import S3ImageStore


@pytest.fixture(autouse=True)
def fake_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials and region; no profile, config file or endpoint from the developer's machine."""
    use_fake_aws_env(monkeypatch, tmp_path)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """A moto server on 127.0.0.1 (free port), shared by the session; yields its URL."""
    with running_moto_server() as url:
        yield url


@pytest.fixture(params=["inprocess", "server"])
def aws(request: pytest.FixtureRequest, fake_aws_env: None) -> Iterator[Aws]:
    """moto in-process or over HTTP, empty at the start of each test."""
    if request.param == "inprocess":
        with mock_aws():
            yield backend("inprocess", None)
        return
    url: str = request.getfixturevalue("moto_server")
    reset_moto(url)
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
