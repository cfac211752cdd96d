"""Two transports for one contract: Lambda events through the handler, and real HTTP to ``facedetect serve``.

``transport.send(method, path, body=None, headers=None, query=None) -> Reply`` is all a
contract test sees. Both transports run the filesystem backend (the local default) with the
same byte limit (:data:`MAX_BYTES`), each in its own empty temporary directory.

* ``lambda``: builds an API Gateway REST proxy event, calls
  ``facedetect.entrypoints.aws_lambda.handler`` and turns the proxy result into a reply the
  way API Gateway does (``multiValueHeaders`` merged with ``headers``, base64 bodies decoded).
  Like an API Gateway configured with the binary media types ``image/*`` and
  ``application/octet-stream``, it sends those bodies base64-encoded and others as text.
* ``http``: the local server (``make_server`` + ``LocalServer.run`` in a thread, port 0),
  reached with ``http.client`` over loopback.
"""

from __future__ import annotations

import base64
import http.client
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

import pytest
from support.lambda_events import FakeLambdaContext

MAX_BYTES = 1_000_000
Query = Mapping[str, str | Sequence[str]]


@dataclass
class Reply:
    """A response as a client sees it: status, headers (lower-case names), body bytes."""

    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body)


class Transport(Protocol):
    name: str

    def send(self, method: str, path: str, body: bytes | None = None, headers: Mapping[str, str] | None = None,
             query: Query | None = None) -> Reply: ...


def _is_binary(headers: Mapping[str, str]) -> bool:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    media = content_type.split(";")[0].strip().lower()
    return media.startswith("image/") or media == "application/octet-stream"


class LambdaTransport:
    name = "lambda"

    def __init__(self, module: Any) -> None:
        self.module = module

    def send(self, method: str, path: str, body: bytes | None = None, headers: Mapping[str, str] | None = None,
             query: Query | None = None) -> Reply:
        from facedetect.entrypoints.rest.events import build_event

        headers = dict(headers or {})
        payload: bytes | str | None = body
        if body is not None and not _is_binary(headers):
            payload = body.decode("utf-8", "replace")  # as API Gateway passes a non-binary body: text
        event = build_event(method, path, body=payload, headers=headers, query=query)
        result = self.module.handler(event, FakeLambdaContext())
        merged: dict[str, str] = {}
        for name, values in (result.get("multiValueHeaders") or {}).items():
            merged[name.lower()] = ", ".join(values)
        for name, value in (result.get("headers") or {}).items():
            merged.setdefault(name.lower(), value)
        raw = result.get("body") or ""
        data = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode()
        return Reply(result["statusCode"], merged, data)


class HttpTransport:
    name = "http"

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    def send(self, method: str, path: str, body: bytes | None = None, headers: Mapping[str, str] | None = None,
             query: Query | None = None) -> Reply:
        target = path + (f"?{urlencode(query, doseq=True)}" if query else "")
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request(method, target, body=body, headers=dict(headers or {}))
            response = connection.getresponse()
            data = response.read()
            merged: dict[str, str] = {}
            for name, value in response.getheaders():
                key = name.lower()
                merged[key] = f"{merged[key]}, {value}" if key in merged else value
            return Reply(response.status, merged, data)
        finally:
            connection.close()


@pytest.fixture(scope="module")
def lambda_transport(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LambdaTransport]:
    from facedetect.entrypoints import aws_lambda

    with pytest.MonkeyPatch.context() as env:
        for name in ("FACEDETECT_S3_BUCKET", "FACEDETECT_DETECTOR"):
            env.delenv(name, raising=False)
        env.setenv("FACEDETECT_BACKEND", "filesystem")
        env.setenv("FACEDETECT_DATA_DIR", str(tmp_path_factory.mktemp("lambda-data")))
        env.setenv("FACEDETECT_MAX_BYTES", str(MAX_BYTES))
        aws_lambda.reset()
        yield LambdaTransport(aws_lambda)
        aws_lambda.reset()


@pytest.fixture(scope="module")
def http_transport(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpTransport]:
    from facedetect.composition import bootstrap
    from facedetect.entrypoints.local_server.server import make_server

    data_dir = tmp_path_factory.mktemp("http-data")
    service = bootstrap(backend="filesystem", data_dir=data_dir, max_bytes=MAX_BYTES)
    server = make_server(service, port=0, threads=4)
    thread = threading.Thread(target=server.run, name="contract-server", daemon=True)
    thread.start()
    yield HttpTransport(server.host, server.port)
    server.stop()
    thread.join(timeout=300)  # generous: only a hang should reach it
    assert not thread.is_alive(), "the server did not stop"


@pytest.fixture(scope="module", params=["lambda", "http"])
def transport(request: pytest.FixtureRequest) -> Transport:
    """The contract's client: each test runs once per transport."""
    found: Transport = request.getfixturevalue(f"{request.param}_transport")
    return found
