"""Helpers for the AWS adapter tests: fault injection; moto resources and detections from tests/support."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from support.aws_resources import (
    BUCKET,
    INDEX,
    TABLE,
    Aws,
    backend,
    create_bucket,
    create_reference_table,
    list_keys,
    scan_all,
)
from support.detections import T0, make_detection

__all__ = ["BUCKET", "INDEX", "T0", "TABLE", "Aws", "FailingClient", "backend", "client_error", "create_bucket",
           "create_reference_table", "list_keys", "make_detection", "scan_all"]


def client_error(code: str, operation: str, *, status: int = 400, message: str = "injected",
                 reasons: list[str] | None = None) -> ClientError:
    """A ``ClientError`` as botocore raises it, optionally with transaction cancellation reasons."""
    response: dict[str, Any] = {"Error": {"Code": code, "Message": message},
                                "ResponseMetadata": {"HTTPStatusCode": status}}
    if reasons is not None:
        response["CancellationReasons"] = [{"Code": r} for r in reasons]
    return ClientError(response, operation)  # type: ignore[arg-type]


class FailingClient:
    """Wraps a real boto3 client; chosen calls of chosen operations raise instead of running.

    ``failures`` maps an operation name (``"put_object"``) to ``{call_number: exception}``
    (1-based) or to an exception raised on every call. ``calls`` counts calls per operation.
    """

    def __init__(self, client: Any, failures: dict[str, Any]) -> None:
        self._client = client
        self._failures = failures
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if not callable(attr) or name not in self._failures:
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] = number = self.calls.get(name, 0) + 1
            plan = self._failures[name]
            error = plan.get(number) if isinstance(plan, dict) else plan
            if error is not None:
                raise error
            return attr(*args, **kwargs)

        return call

