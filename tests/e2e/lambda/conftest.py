"""Fixtures for driving ``facedetect.entrypoints.aws_lambda.handler`` with real API Gateway events.

* ``lambda_handler``: the handler module on the memory backend, its cached service reset
  before and after the test (``aws_lambda.reset()``), so each test starts from empty stores;
  ``memory_stores``: those stores, to look inside.
* ``api_event``: loads a document of ``tests/events/`` and fills its templated body / id.
* ``invoke``: calls the handler with a fake ``LambdaContext`` and decodes the result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest
from support.lambda_events import Answer, invoke_handler, make_api_event

from facedetect.adapters.memory import InMemoryDetectionRepository, InMemoryImageStore


@pytest.fixture
def api_event() -> Callable[..., dict[str, Any]]:
    """``api_event(name, image=..., detection_id=..., request_id=...)``: a filled event document."""
    return make_api_event


@dataclass(frozen=True)
class MemoryStores:
    """The in-memory stores the handler's service was bootstrapped with."""

    images: InMemoryImageStore = field(default_factory=InMemoryImageStore)
    detections: InMemoryDetectionRepository = field(default_factory=InMemoryDetectionRepository)


@pytest.fixture
def memory_stores() -> MemoryStores:
    return MemoryStores()


@pytest.fixture
def lambda_handler(monkeypatch: pytest.MonkeyPatch, memory_stores: MemoryStores) -> Iterator[ModuleType]:
    """The handler module on fresh in-memory stores (``FACEDETECT_BACKEND=memory`` after a ``reset()``)."""
    from facedetect.entrypoints import aws_lambda

    for name in ("FACEDETECT_DATA_DIR", "FACEDETECT_S3_BUCKET", "FACEDETECT_DETECTOR", "FACEDETECT_MAX_BYTES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FACEDETECT_BACKEND", "memory")
    aws_lambda.reset(images=memory_stores.images, detections=memory_stores.detections)
    yield aws_lambda
    aws_lambda.reset()


@pytest.fixture
def invoke(lambda_handler: ModuleType) -> Callable[[dict[str, Any]], Answer]:
    """Call the handler with ``event`` and a fake context; returns the decoded :class:`Answer`."""

    def call(event: dict[str, Any]) -> Answer:
        return invoke_handler(lambda_handler.handler, event)

    return call


@pytest.fixture
def stored(lambda_handler: ModuleType, memory_stores: MemoryStores) -> Callable[[], tuple[int, int]]:
    """``stored()``: how many images and detections the handler's memory stores hold now."""

    def count() -> tuple[int, int]:
        return len(memory_stores.images.objects), len(memory_stores.detections.items)

    return count
