"""Schemathesis against the running local server's ``/openapi.json`` (filesystem backend, tmp dir).

Property-based: for every operation, requests generated from the published schema (valid
and invalid ones) must never get a 5xx, and every response must match what the schema
documents (status code, content type, headers, body schema). Image request bodies are
drawn from small real images in every accepted format, plus random bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from support import imagegen
from support.local_server import RunningServer, server_in_thread

pytestmark = pytest.mark.slow

# A schema-valid request may still be refused with a 4xx here: random bytes declared as a
# "binary" image body are not an image, and a random string is not one of our opaque cursors.
NOT_APPLICABLE = [schemathesis.checks.positive_data_acceptance]


def _images() -> st.SearchStrategy[bytes]:
    tiles = [imagegen.astronaut()[::8, ::8].copy(), imagegen.shapes()[::4, ::4].copy()]
    encoded = [imagegen.encode(tile, ext) for tile in tiles for ext in (".jpg", ".png", ".webp", ".bmp", ".tiff")]
    return st.one_of(st.sampled_from(encoded), st.binary(max_size=2048))


for _media_type in ("image/jpeg", "image/png", "image/webp", "image/bmp", "image/tiff", "application/octet-stream"):
    schemathesis.openapi.media_type(_media_type, _images())


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data_dir: Path = tmp_path_factory.mktemp("schemathesis-data")
    with server_in_thread(backend="filesystem", data_dir=data_dir, max_bytes=1_000_000) as server:
        server.request("POST", "/faces", imagegen.jpeg(), {"Content-Type": "image/jpeg"})  # something to list
        yield server


@pytest.fixture(scope="module")
def api_schema(running: RunningServer) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{running.url}/openapi.json")


def _cases() -> list[tuple[str, str, GenerationMode]]:
    """Every (method, path) the API documents, read in-process so that pytest can name each test.

    Valid requests for every operation; invalid ones where there is something to break (a
    query parameter or a body: an unconstrained path id cannot be made schema-invalid).
    """
    from facedetect.entrypoints.rest.app import create_app

    document = json.loads(create_app(lambda: None).openapi_document())  # type: ignore[arg-type,return-value]
    cases = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            breakable = "requestBody" in operation or any(p["in"] == "query" for p in operation.get("parameters", []))
            modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE] if breakable else [GenerationMode.POSITIVE]
            cases.extend((method.upper(), path, mode) for mode in modes)
    return cases


# schemathesis's own pytest integration (``from_fixture``) does not work with pytest 9, so each
# operation is one pytest test driving schemathesis's Hypothesis strategy directly.
@pytest.mark.parametrize(("method", "path", "mode"), _cases(), ids=lambda v: str(v))
def test_every_operation_conforms_and_never_fails_with_5xx(api_schema: schemathesis.BaseSchema,
                                                           running: RunningServer, method: str, path: str,
                                                           mode: GenerationMode):
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=running.url, timeout=60, excluded_checks=NOT_APPLICABLE)

    check()
