"""AWS unreachable: every route answers 503 with ``Retry-After``, in time, naming nothing of the infrastructure.

The handler bootstraps from ``FACEDETECT_*`` like a fresh Lambda, its endpoint pointed at a
closed port (connection refused) or at a server that accepts connections and never answers
(each attempt ends on the read timeout). The product's client configuration decides how
long that takes; the bounds asserted here are generous (the design figure is ~11 s for a
hanging endpoint: two attempts of 5 s and at most 1 s of backoff).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from support import imagegen
from support.lambda_aws import assert_json_error
from support.lambda_events import Answer, FakeLambdaContext

BUCKET = "unreachable-secret-bucket"
TABLE = "unreachable-secret-table"
DETECTION_ID = "0123456789abcdef0123456789abcdef"
ROUTES = ["post_faces_png", "get_faces_list", "get_face", "get_face_image"]
BOUND_S = 25.0  # the design says 20 s at most; the margin is for a loaded machine


@dataclass
class Endpoint:
    url: str
    port: int


def closed_port() -> Endpoint:
    with socket.socket() as probe:  # bound, then closed: nobody listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return Endpoint(f"http://127.0.0.1:{port}", port)


@pytest.fixture
def silent_server() -> Iterator[Endpoint]:
    """Accepts every connection and never answers (held open until the test ends)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    yield Endpoint(f"http://127.0.0.1:{port}", port)
    stop.set()
    thread.join(timeout=10)
    for connection in held:
        connection.close()
    listener.close()


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The Lambda module, to be pointed at an endpoint with ``point(handler, endpoint)``."""
    from facedetect.entrypoints import aws_lambda

    aws_lambda.reset()
    yield aws_lambda
    aws_lambda.reset()


def point(monkeypatch: pytest.MonkeyPatch, endpoint: Endpoint) -> None:
    for name, value in {"FACEDETECT_BACKEND": "aws", "FACEDETECT_S3_BUCKET": BUCKET,
                        "FACEDETECT_DYNAMODB_TABLE": TABLE, "FACEDETECT_AWS_ENDPOINT_URL": endpoint.url}.items():
        monkeypatch.setenv(name, value)


@dataclass
class ShortContext(FakeLambdaContext):
    """An invocation with little time left."""

    remaining_ms: int = 30_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def invoke(aws_lambda: Any, route: str, api_event: Any, context: Any = None) -> tuple[Answer, float]:
    event = api_event(route, image=imagegen.png(), detection_id=DETECTION_ID, request_id=f"req-{route}")
    started = time.monotonic()
    result = aws_lambda.handler(event, context or FakeLambdaContext())
    return Answer.from_result(result), time.monotonic() - started


def assert_unavailable(answer: Answer, route: str, endpoint: Endpoint) -> None:
    error = assert_json_error(answer, 503, "storage_unavailable", f"req-{route}")
    assert answer.header("Retry-After") == "1"
    assert "retry" in error["message"].lower()
    for name in (BUCKET, TABLE, "by_created", "127.0.0.1", str(endpoint.port), "amazonaws", "dynamodb", "s3",
                 ".png", "detection#"):
        assert name not in answer.raw_body.lower(), f"{name!r} in the body of {route}"


@pytest.mark.parametrize("kind", ["closed_port", "silent_server"])
def test_every_route_is_a_fast_503_without_infrastructure_names(kind: str, handler: Any, api_event: Any,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str],
                                                                 request: pytest.FixtureRequest) -> None:
    endpoint = closed_port() if kind == "closed_port" else request.getfixturevalue("silent_server")
    point(monkeypatch, endpoint)
    invoke(handler, "get_faces_list", api_event)  # bootstrap once (warm Lambda), then all routes at once
    capsys.readouterr()

    with ThreadPoolExecutor(max_workers=len(ROUTES)) as pool:
        results = list(pool.map(lambda route: invoke(handler, route, api_event), ROUTES))

    log = capsys.readouterr().out
    for route, (answer, seconds) in zip(ROUTES, results, strict=True):
        with capsys.disabled():
            print(f"{kind} {route}: 503 in {seconds:.1f} s")  # the figure, shown with -s
        assert_unavailable(answer, route, endpoint)
        assert seconds < BOUND_S, f"{route} took {seconds:.1f} s"
    assert TABLE in log and "could not be reached" in log  # the operator's log says what and where


def test_a_short_invocation_ends_within_its_remaining_time(handler: Any, api_event: Any, silent_server: Endpoint,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """9 s left: one 5 s attempt fits before the deadline (9 s less 1 s of margin), a retry would not."""
    point(monkeypatch, silent_server)
    answer, seconds = invoke(handler, "get_face", api_event, ShortContext(remaining_ms=9_000))
    print(f"9 s left: 503 in {seconds:.1f} s")  # the figure, shown with -s
    assert_unavailable(answer, "get_face", silent_server)
    assert seconds < 9.0, f"took {seconds:.1f} s of the 9 s left"
