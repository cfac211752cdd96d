"""The backends every port-contract test runs against: memory, filesystem, and S3 + DynamoDB on moto.

moto runs in-process (``mock_aws``); the adapters' own tests in tests/integration/aws also
run them over HTTP. The DynamoDB repository runs twice: on the reference table (listing by
Scan) and with the optional ``by_created`` index (listing by Query).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from moto import mock_aws
from support.aws_resources import backend, create_bucket, create_reference_table
from support.fake_aws import use_fake_aws_env

from facedetect.adapters.aws.dynamodb.repository import DynamoDBDetectionRepository
from facedetect.adapters.aws.s3 import S3ImageStore
from facedetect.adapters.filesystem import FilesystemDetectionRepository, FilesystemImageStore
from facedetect.adapters.memory import InMemoryDetectionRepository, InMemoryImageStore
from facedetect.domain.ports import DetectionRepository, ImageStore


@pytest.fixture
def moto(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """moto in-process with fake credentials; empty at the start of each test."""
    use_fake_aws_env(monkeypatch, tmp_path)
    with mock_aws():
        yield


@pytest.fixture(params=["memory", "filesystem", "s3"])
def images(request: pytest.FixtureRequest, tmp_path: Path) -> ImageStore:
    """An empty ``ImageStore`` of each kind."""
    if request.param == "memory":
        return InMemoryImageStore()
    if request.param == "filesystem":
        return FilesystemImageStore(tmp_path / "data")
    request.getfixturevalue("moto")
    aws = backend("inprocess", None)
    return S3ImageStore(create_bucket(aws), prefix="images/", client=aws.s3)


@pytest.fixture(params=["memory", "filesystem", "dynamodb-scan", "dynamodb-index"])
def detections(request: pytest.FixtureRequest, tmp_path: Path) -> DetectionRepository:
    """An empty ``DetectionRepository`` of each kind."""
    if request.param == "memory":
        return InMemoryDetectionRepository()
    if request.param == "filesystem":
        return FilesystemDetectionRepository(tmp_path / "data")
    request.getfixturevalue("moto")
    aws = backend("inprocess", None)
    table = create_reference_table(aws, with_index=request.param == "dynamodb-index")
    return DynamoDBDetectionRepository(table, client=aws.dynamodb)
