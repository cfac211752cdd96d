"""Translate botocore errors into :mod:`facedetect.errors`, the only errors that cross layers.

* Throttling, 5xx responses, timeouts, connection failures and an attempt refused by the
  request's deadline -> ``StorageUnavailable`` (retrying later may succeed; entrypoints
  answer 503 with ``Retry-After``).
* ``NoSuchKey`` and bare ``404`` (``HeadObject``) -> ``ImageNotFound``.
* Everything else (``AccessDenied``, ``NoSuchBucket``, ``ResourceNotFoundException``, missing
  credentials, invalid parameters ...) -> ``StorageError``.
* A missing region -> ``ConfigurationError``.

Messages say what happened and what to do, never which bucket, table, index, key or host:
those are in the error's ``detail``, which entrypoints log and never send.

Every SDK call of the adapters runs inside :func:`aws_errors` (one translation for every
path, listings included); code that must look at a ``ClientError`` first (412, 404, a
cancelled transaction) catches it inside the block and re-raises what it does not handle::

    with aws_errors(f"S3 bucket {bucket!r}", f"checking {key!r}"):
        try:
            client.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if error_code(exc) not in NOT_FOUND_CODES:
                raise
            return False
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    IncompleteReadError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from facedetect.adapters.aws.deadline import DeadlineExceeded
from facedetect.errors import (
    ConfigurationError,
    FaceDetectError,
    ImageNotFound,
    StorageError,
    StorageUnavailable,
)

THROTTLING_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled",
    "RequestThrottledException", "TooManyRequestsException", "ProvisionedThroughputExceededException",
    "RequestLimitExceeded", "SlowDown", "InternalError", "InternalServerError", "ServiceUnavailable",
    "ServiceUnavailableException", "RequestTimeout", "RequestTimeoutException",
    "TransactionInProgressException",
})
"""Error codes that mean "busy or briefly broken, try again"."""

# Per-item reasons of a cancelled DynamoDB transaction that are transient.
TRANSIENT_CANCELLATION_CODES = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded", "TransactionConflict"})

NOT_FOUND_CODES = frozenset({"NoSuchKey", "404", "NotFound"})

_HINTS = {
    "AccessDenied": "access denied; check the IAM permissions of the caller",
    "AccessDeniedException": "access denied; check the IAM permissions of the caller",
    "NoSuchBucket": "the bucket does not exist",
    "ResourceNotFoundException": "the table (or index) does not exist",
    "InvalidAccessKeyId": "the AWS access key is not valid",
    "SignatureDoesNotMatch": "the AWS credentials are not valid",
    "UnrecognizedClientException": "the AWS credentials are not valid",
    "ExpiredToken": "the AWS credentials have expired",
    "ExpiredTokenException": "the AWS credentials have expired",
    "KMS.DisabledException": "the encryption key is disabled",
}


def error_code(exc: ClientError) -> str:
    """The service's error code of ``exc`` (``""`` when the response has none)."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def http_status(exc: ClientError) -> int:
    """The HTTP status of the failed response (0 when unknown)."""
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def cancellation_codes(exc: ClientError) -> list[str]:
    """Per-item codes of a ``TransactionCanceledException`` (``"None"`` for items that were fine)."""
    reasons: list[dict[str, Any]] = exc.response.get("CancellationReasons") or []  # type: ignore[assignment]
    return [str(r.get("Code", "None")) for r in reasons]


def is_transient(exc: ClientError) -> bool:
    """Whether retrying the same request later may succeed."""
    code = error_code(exc)
    if code in THROTTLING_CODES or http_status(exc) in (429, 500, 502, 503, 504):
        return True
    return code == "TransactionCanceledException" and any(
        c in TRANSIENT_CANCELLATION_CODES for c in cancellation_codes(exc)
    )


def translate(exc: BaseException, *, resource: str, action: str, key: str | None = None) -> FaceDetectError:
    """The facedetect error for a botocore exception raised while doing ``action`` on ``resource``.

    The message is for the client and names nothing of the infrastructure; ``detail`` (for
    the log) names the resource, the action and the error code.

    Parameters
    ----------
    exc
        The exception botocore raised.
    resource
        What was addressed, for the log: ``"S3 bucket 'b'"``, ``"DynamoDB table 'faces'"``.
    action
        What was being done, for the log: ``"reading 'abc.jpg'"``.
    key
        The image key, named in the ``ImageNotFound`` detail.
    """
    if isinstance(exc, FaceDetectError):
        return exc
    if isinstance(exc, ClientError):
        code = error_code(exc)
        if code in NOT_FOUND_CODES:
            return ImageNotFound(detail=f"{resource}: no object {key or 'under that key'!r} while {action}.")
        if is_transient(exc):
            return StorageUnavailable(
                detail=f"{resource} is busy or unavailable ({code or http_status(exc)}) while {action}.")
        hint = _HINTS.get(code) or str(exc.response.get("Error", {}).get("Message", "")) or "request failed"
        return StorageError(detail=f"{resource}: {hint} ({code or http_status(exc)}) while {action}.")
    if isinstance(exc, BotoConnectionError | HTTPClientError | IncompleteReadError | DeadlineExceeded):
        return StorageUnavailable(detail=f"{resource} could not be reached ({type(exc).__name__}: {exc}) "
                                         f"while {action}.")
    if isinstance(exc, NoRegionError):
        return ConfigurationError("No AWS region configured: set AWS_REGION or AWS_DEFAULT_REGION.")
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return StorageError(detail=f"{resource}: no usable AWS credentials were found while {action}.")
    return StorageError(detail=f"{resource}: {type(exc).__name__}: {exc} while {action}.")


@contextmanager
def aws_errors(resource: str, action: str, *, key: str | None = None) -> Iterator[None]:
    """Run the block, re-raising botocore errors as facedetect errors (see :func:`translate`)."""
    try:
        yield
    except (ClientError, BotoCoreError, DeadlineExceeded) as exc:
        raise translate(exc, resource=resource, action=action, key=key) from exc
