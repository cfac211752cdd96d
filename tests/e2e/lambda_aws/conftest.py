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

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.aws_resources import backend, create_bucket, create_reference_table
from support.fake_aws import reset_moto, running_moto_server, use_fake_aws_env
from support.lambda_aws import BUCKET, MAX_BYTES, TABLE, Deployment
from support.lambda_events import make_api_event


@pytest.fixture(autouse=True)
def fake_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials and region; no profile, config file, endpoint or FACEDETECT_* from outside."""
    use_fake_aws_env(monkeypatch, tmp_path)


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """URL of a moto server on 127.0.0.1 with a free port, shared by the session."""
    with running_moto_server() as url:
        yield url


@pytest.fixture
def deployed(request: pytest.FixtureRequest, moto_url: str, monkeypatch: pytest.MonkeyPatch,
             fake_aws_env: None) -> Iterator[Deployment]:
    """The handler bound to an empty private bucket and the ``faces`` table on the moto server."""
    variant: str = getattr(request, "param", "reference")
    assert variant in ("reference", "by_created")
    reset_moto(moto_url)
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


@pytest.fixture
def api_event() -> Callable[..., dict[str, Any]]:
    """``api_event(name, image=..., detection_id=..., request_id=...)``: a filled event document."""
    return make_api_event
