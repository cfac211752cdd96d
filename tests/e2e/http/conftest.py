"""Fixtures for the local server's end-to-end tests (helpers in ``support.local_server``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.local_server import RunningServer, server_in_thread


@pytest.fixture
def memory_server() -> Iterator[RunningServer]:
    """A server on the memory backend (1 MB image limit) in a thread, on a free port."""
    with server_in_thread(backend="memory", max_bytes=1_000_000) as server:
        yield server
