"""A deadline for the AWS calls of one request, so that the request ends in time.

botocore bounds each attempt (connect and read timeouts) and the number of attempts, but
not a request that makes several calls. An entrypoint that knows how long it may take (the
Lambda handler: its remaining time, at most the request budget) opens
:func:`request_deadline`; the clients of :mod:`facedetect.adapters.aws.clients` then refuse to start
an attempt (the first one or a retry) that could not finish before it, and the adapters
report ``StorageUnavailable``. Outside such a block nothing is checked.

Standard library only: the Lambda entrypoint imports it without loading botocore.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

REQUEST_BUDGET_S = 20.0
"""The longest a request served by the Lambda may spend on AWS calls."""
LAMBDA_MARGIN_S = 1.0
"""Time kept back from the invocation's remaining time, to answer and log."""

_deadline: ContextVar[float | None] = ContextVar("facedetect_aws_deadline", default=None)


class DeadlineExceeded(Exception):
    """An AWS attempt was not started because it could not end before the request's deadline."""


@contextmanager
def request_deadline(seconds: float) -> Iterator[None]:
    """Within the block, AWS attempts must be able to end ``seconds`` from now (monotonic clock)."""
    token = _deadline.set(time.monotonic() + max(0.0, seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


def lambda_budget(remaining_ms: int) -> float:
    """The AWS-call budget of an invocation with ``remaining_ms`` left: at most ``REQUEST_BUDGET_S``."""
    return min(REQUEST_BUDGET_S, remaining_ms / 1000.0 - LAMBDA_MARGIN_S)


def remaining() -> float | None:
    """Seconds left before the current request's deadline; ``None`` outside :func:`request_deadline`."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


def check_attempt(worst_case_s: float) -> None:
    """Raise ``DeadlineExceeded`` if an attempt that may take ``worst_case_s`` would end past the deadline."""
    left = remaining()
    if left is not None and left < worst_case_s:
        raise DeadlineExceeded(f"{max(left, 0.0):.1f} s left before the request's deadline, "
                               f"an attempt may take {worst_case_s:g} s")
