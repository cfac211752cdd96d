"""A socket-level network guard: only 127.0.0.1 may be reached; everything else is refused and recorded.

Standard library only, so a fresh interpreter can install it before importing anything else.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

ALLOWED_HOST = "127.0.0.1"


@dataclass
class Guard:
    """What the code under the guard tried: connections made (host, port) and destinations refused."""

    connections: list[tuple[str, int]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def refuse(self, destination: str) -> None:
        self.refused.append(destination)
        raise ConnectionRefusedError(f"network guard: {destination} is not {ALLOWED_HOST}")


@contextmanager
def loopback_only() -> Iterator[Guard]:
    """Patch ``socket.create_connection``, ``socket.getaddrinfo`` and ``socket.socket.connect`` meanwhile."""
    guard = Guard()
    real_create, real_getaddrinfo = socket.create_connection, socket.getaddrinfo
    had_connect = "connect" in socket.socket.__dict__
    real_connect = socket.socket.connect

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        if address[0] != ALLOWED_HOST:
            guard.refuse(f"{address[0]}:{address[1]}")
        return real_create(address, *args, **kwargs)

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != ALLOWED_HOST:
            guard.refuse(f"{host!r} (name lookup)")
        return real_getaddrinfo(host, port, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            if address[0] != ALLOWED_HOST:
                guard.refuse(f"{address[0]}:{address[1]}")
            guard.connections.append((address[0], address[1]))
        real_connect(self, address)

    socket.create_connection = create_connection  # type: ignore[assignment]
    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect  # type: ignore[method-assign]
    try:
        yield guard
    finally:
        socket.create_connection, socket.getaddrinfo = real_create, real_getaddrinfo  # type: ignore[assignment]
        if had_connect:
            socket.socket.connect = real_connect  # type: ignore[method-assign]
        else:
            del socket.socket.connect
