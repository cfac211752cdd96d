"""boto3 clients for the AWS backend, and the lazy client the S3 and DynamoDB adapters share.

The region comes from the standard variables (``AWS_REGION``, then ``AWS_DEFAULT_REGION``,
then the shared config file); credentials from boto3's usual chain. Nothing here runs at
import time.

Time bounds (an unreachable or hanging AWS is a fast 503, never a Lambda timeout): botocore's
``standard`` retries are the only retry mechanism on network failures, throttling and 5xx
(``MAX_ATTEMPTS`` attempts in all, exponential backoff with jitter of at most 1 s between
them), each attempt bounded by ``CONNECT_TIMEOUT_S`` + ``READ_TIMEOUT_S``. One call thus
ends within 2 x (2 + 5) + 1 = 15 s. A request may make several calls, so every client also
checks the request's deadline (:mod:`facedetect.adapters.aws.deadline`) before each attempt:
the Lambda handler sets it to ``aws_deadline.REQUEST_BUDGET_S`` (20 s) or the invocation's remaining time
less a margin, whichever is shorter, and an attempt that could not end before it is not
started (``StorageUnavailable``, 503).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from facedetect.adapters.aws.deadline import check_attempt
from facedetect.adapters.aws.errors import translate
from facedetect.errors import ConfigurationError, FaceDetectError

if TYPE_CHECKING:
    import boto3
    from botocore.config import Config
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

CONNECT_TIMEOUT_S = 2
READ_TIMEOUT_S = 5
MAX_ATTEMPTS = 2
ATTEMPT_WORST_CASE_S = CONNECT_TIMEOUT_S + READ_TIMEOUT_S

# boto3 does not document session/client creation as thread-safe (clients are); serialise it.
_CREATE_LOCK = threading.Lock()


def aws_region() -> str | None:
    """The region from ``AWS_REGION`` or ``AWS_DEFAULT_REGION``; ``None`` lets boto3 look further."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None


def client_config(*, s3_path_style: bool | None = None) -> Config:
    """The botocore ``Config`` facedetect clients use; ``s3_path_style`` set only for S3 clients."""
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},  # "max_attempts" counts retries only
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
    )
    if s3_path_style is not None:
        config = config.merge(Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"} if s3_path_style else {"addressing_style": "auto"},
        ))
    return config


def _check_deadline(**_: Any) -> None:
    """``before-send`` hook: refuse an attempt that could not end before the request's deadline."""
    check_attempt(ATTEMPT_WORST_CASE_S)


def _guard(client: S3Client | DynamoDBClient) -> None:
    client.meta.events.register("before-send", _check_deadline)


def sdk_versions() -> str:
    """``"boto3 1.x.y, botocore 1.x.y"``: the SDK in use (a Lambda runtime may bring an old one)."""
    import boto3
    import botocore

    return f"boto3 {boto3.__version__}, botocore {botocore.__version__}"


def _session() -> boto3.session.Session:
    import boto3

    try:
        return boto3.session.Session(region_name=aws_region())
    except Exception as exc:
        raise ConfigurationError("Cannot create an AWS session; see the log.",
                                 detail=f"Cannot create an AWS session: {exc}") from exc


def _creation_error(service: str, exc: Exception) -> FaceDetectError:
    error = translate(exc, resource=service, action="creating the client")
    if isinstance(error, ConfigurationError):
        return error
    return ConfigurationError(f"Cannot create the {service} client; see the log.",
                              detail=f"Cannot create the {service} client: {exc}")


def s3_client(endpoint_url: str | None = None) -> S3Client:
    """A new S3 client (deadline-checked); path-style addressing when ``endpoint_url`` points at a local server."""
    s3: S3Client = _new_client("s3", "S3", endpoint_url, client_config(s3_path_style=endpoint_url is not None))
    return s3


def dynamodb_client(endpoint_url: str | None = None) -> DynamoDBClient:
    """A new DynamoDB client (deadline-checked)."""
    dynamodb: DynamoDBClient = _new_client("dynamodb", "DynamoDB", endpoint_url, client_config())
    return dynamodb


def _new_client(service: str, label: str, endpoint_url: str | None, config: Config) -> Any:
    """A client of ``service`` made under the creation lock, its failures as our errors, then deadline-guarded."""
    with _CREATE_LOCK:
        try:
            client = _session().client(service, endpoint_url=endpoint_url, config=config)  # type: ignore[call-overload]
        except FaceDetectError:
            raise
        except Exception as exc:
            raise _creation_error(label, exc) from exc
    _guard(client)
    return client


ClientT = TypeVar("ClientT")


class LazyClient(Generic[ClientT]):
    """The client an adapter was given, or one made by ``create`` on first use (once, even under threads).

    Parameters
    ----------
    client
        A ready client, or ``None`` to create one when first needed.
    create
        Makes the client, e.g. :func:`s3_client`.
    """

    def __init__(self, client: ClientT | None, create: Callable[[], ClientT]) -> None:
        self._client = client
        self._create = create
        self._lock = threading.Lock()

    def get(self) -> ClientT:
        """The client, created on the first call when none was given."""
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._create()
                client = self._client
        return client
