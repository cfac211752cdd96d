"""Fixtures: the Lambda handler with ``FACEDETECT_BACKEND=aws`` against a moto server over real HTTP.

* ``moto_url``: one ``ThreadedMotoServer`` on 127.0.0.1 (OS-chosen port) for the session.
* ``deployed``: moto reset, then a private bucket (public access blocked) and the ``faces``
  table exactly as the reference system has it (``face_id`` String HASH, on-demand, no index);
  parametrise it indirectly with ``"by_created"`` for the table plus the optional GSI. The
  ``FACEDETECT_*`` variables point the handler at them; its cached service is reset before
  and after, so the handler bootstraps from the environment like a fresh Lambda.
* ``api_event``: a document of ``tests/events/`` with its placeholders filled.

Fake credentials and region are set for every test, so nothing can reach real AWS.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

TESTS_DIR = Path(__file__).resolve().parents[2]
for helper_dir in (TESTS_DIR, TESTS_DIR / "integration" / "aws"):  # imagegen, aws_testkit
    if str(helper_dir) not in sys.path:
        sys.path.insert(0, str(helper_dir))

from aws_testkit import REGION, backend, create_bucket, create_reference_table  # noqa: E402
from lambda_aws_kit import BUCKET, MAX_BYTES, TABLE, Deployment, fill, load_events  # noqa: E402


@pytest.fixture(autouse=True)
def fake_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials and region; no profile, config file, endpoint or FACEDETECT_* from outside."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
                 "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name in [n for n in os.environ if n.startswith("FACEDETECT_")]:
        monkeypatch.delenv(name)
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
                        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
                        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
                        "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """URL of a moto server on 127.0.0.1 with a free port, shared by the session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def deployed(request: pytest.FixtureRequest, moto_url: str, monkeypatch: pytest.MonkeyPatch,
             fake_aws_env: None) -> Iterator[Deployment]:
    """The handler bound to an empty private bucket and the ``faces`` table on the moto server."""
    variant: str = getattr(request, "param", "reference")
    assert variant in ("reference", "by_created")
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"), timeout=30).close()
    aws = backend("server", moto_url)
    create_bucket(aws, BUCKET)
    assert create_reference_table(aws, with_index=variant == "by_created") == TABLE
    for name, value in {"FACEDETECT_BACKEND": "aws", "FACEDETECT_S3_BUCKET": BUCKET,
                        "FACEDETECT_AWS_ENDPOINT_URL": moto_url, "FACEDETECT_MAX_BYTES": str(MAX_BYTES)}.items():
        monkeypatch.setenv(name, value)
    from facedetect.entrypoints import aws_lambda

    aws_lambda.reset()
    yield Deployment(aws, aws_lambda, variant)
    aws_lambda.reset()


@pytest.fixture(scope="session")
def event_templates() -> dict[str, dict[str, Any]]:
    return load_events()


@pytest.fixture
def api_event(event_templates: dict[str, dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """``api_event(name, image=..., detection_id=..., request_id=...)``: a filled event document."""

    def make(name: str, *, image: bytes | None = None, detection_id: str | None = None,
             request_id: str | None = None) -> dict[str, Any]:
        event: dict[str, Any] = fill(event_templates[name], image=image, detection_id=detection_id)
        if request_id is not None:
            event["requestContext"]["requestId"] = request_id
        return event

    return make
