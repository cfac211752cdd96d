"""Fake AWS for tests: credentials and region that cannot reach real AWS, and a moto server.

moto's backends are global to the process, so every ``ThreadedMotoServer`` (and
``mock_aws``) of one pytest session sees the same buckets and tables: reset before use.
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REGION = "us-east-1"
OUTSIDE_AWS_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
                         "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE")


def use_fake_aws_env(monkeypatch: pytest.MonkeyPatch, config_dir: Path) -> None:
    """Fake credentials and region; no profile, config file, endpoint or ``FACEDETECT_*`` from outside.

    ``config_dir`` is where the (absent) AWS config and credentials files are said to be.
    """
    for name in OUTSIDE_AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name in [n for n in os.environ if n.startswith("FACEDETECT_")]:
        monkeypatch.delenv(name)
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
                        "AWS_CONFIG_FILE": str(config_dir / "no-aws-config"),
                        "AWS_SHARED_CREDENTIALS_FILE": str(config_dir / "no-aws-credentials"),
                        "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(name, value)


@contextmanager
def running_moto_server() -> Iterator[str]:
    """A ``ThreadedMotoServer`` on 127.0.0.1 (an OS-chosen free port) while inside; yields its URL.

    It starts empty: what earlier servers or ``mock_aws`` of the session left is reset.
    """
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        url = f"http://{host}:{port}"
        reset_moto(url)
        yield url
    finally:
        server.stop()


def reset_moto(url: str) -> None:
    """Empty every moto backend (``POST /moto-api/reset`` on the server at ``url``)."""
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=30).close()


def serialise_moto_transactions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fix the fake, not the product: run moto's DynamoDB writes one at a time.

    When a transaction fails, moto puts back a copy of the whole table taken when it started,
    erasing what concurrent writes committed meanwhile (real DynamoDB does not), and taking
    that copy while another thread writes can fail ("dictionary changed size"). The moto
    server of the tests runs in the test process, so one lock serialises its writes.
    """
    import threading

    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in ("transact_write_items", "put_item", "delete_item", "update_item", "batch_write_item"):
        original = getattr(DynamoDBBackend, name, None)
        if original is None:
            continue

        def serialised(self: DynamoDBBackend, *args: object, __original: object = original,
                       **kwargs: object) -> object:
            with lock:
                return __original(self, *args, **kwargs)  # type: ignore[operator]

        monkeypatch.setattr(DynamoDBBackend, name, serialised)
