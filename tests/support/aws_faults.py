"""Faults for the AWS adapter tests: botocore errors, clients that fail on cue, faults on the wire."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError


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



class WireFaults:
    """Faults on the wire, per attempt: a ``before-send`` hook on real clients (retries included).

    ``plan`` maps an operation name (``"PutObject"``) to ``"before"`` (the attempt fails
    before it reaches the server: ``EndpointConnectionError``) or ``"after"`` (the attempt
    is sent, the server applies it, and its answer is lost: ``ConnectionClosedError``), or
    to ``(mode, first_call)`` to spare the calls before ``first_call`` (1-based, counted
    per operation). botocore sees an ordinary network failure and retries as configured.
    ``random_rate`` instead fails any attempt with that probability, half before, half after.
    ``attempts`` counts attempts per operation; ``applied`` the answers the server gave to
    attempts sent on through here, per operation and status.
    """

    def __init__(self, plan: dict[str, Any] | None = None, *, random_rate: float = 0.0, seed: int = 0) -> None:
        import random
        import threading

        self.plan: dict[str, Any] = dict(plan or {})
        self.random_rate = random_rate
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.attempts: dict[str, int] = {}
        self.calls: dict[str, int] = {}
        self.failed: dict[str, int] = {}
        self.applied: dict[tuple[str, int], int] = {}

    def install(self, *clients: Any) -> None:
        for client in clients:
            client.meta.events.register("before-call", self._count_call)
            client.meta.events.register("before-send", self._on_send)

    def clear(self) -> None:
        with self._lock:
            self.plan, self.random_rate = {}, 0.0

    def _count_call(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[model.name] = self.calls.get(model.name, 0) + 1

    def _mode(self, operation: str) -> str | None:
        with self._lock:
            self.attempts[operation] = self.attempts.get(operation, 0) + 1
            if self.random_rate and self._random.random() < self.random_rate:
                return self._random.choice(["before", "after"])
            planned = self.plan.get(operation)
            if isinstance(planned, tuple):
                mode, first_call = planned
                return mode if self.calls.get(operation, 0) >= first_call else None
            return planned  # type: ignore[no-any-return]

    def _on_send(self, request: Any, event_name: str, **_: Any) -> None:
        from botocore.exceptions import ConnectionClosedError, EndpointConnectionError
        from botocore.httpsession import URLLib3Session

        operation = event_name.rsplit(".", 1)[-1]
        mode = self._mode(operation)
        if mode is None:
            return
        if mode == "after":
            status = URLLib3Session(timeout=30).send(request).status_code  # the server applies it...
            with self._lock:
                self.applied[operation, status] = self.applied.get((operation, status), 0) + 1
        with self._lock:
            self.failed[operation] = self.failed.get(operation, 0) + 1
        if mode == "after":
            raise ConnectionClosedError(endpoint_url=request.url)  # ...and its answer is lost
        raise EndpointConnectionError(endpoint_url=request.url)
