"""The ``Host`` and ``Origin`` rules of the local server, and its log formatter, as plain functions."""

from __future__ import annotations

import logging

import pytest

from facedetect.entrypoints.local_server.guard import guard_for, is_loopback
from facedetect.entrypoints.local_server.logs import EscapingFormatter, escape_controls


def environ(host: str | None = None, origin: str | None = None) -> dict[str, str]:
    found = {}
    if host is not None:
        found["HTTP_HOST"] = host
    if origin is not None:
        found["HTTP_ORIGIN"] = origin
    return found


@pytest.mark.parametrize(("bound", "host", "allowed"), [
    ("127.0.0.1", "127.0.0.1:8000", True), ("127.0.0.1", "localhost:8000", True), ("127.0.0.1", "[::1]:8000", True),
    ("127.0.0.1", "LocalHost:8000", True), ("127.0.0.1", "127.0.0.1:8001", False), ("127.0.0.1", "127.0.0.1", False),
    ("127.0.0.1", "evil.example:8000", False), ("127.0.0.1", "127.0.0.1:8000@evil.example", False),
    ("127.0.0.1", "127.0.0.1:8000/x", False), ("127.0.0.1", "", False), ("127.0.0.1", None, False),
    ("127.0.0.2", "127.0.0.2:8000", True), ("::1", "[::1]:8000", True), ("::1", "[0:0::1]:8000", False),
    ("0.0.0.0", "evil.example:8000", True), ("192.0.2.7", "anything", True),
])
def test_host_rule(bound: str, host: str | None, allowed: bool):
    refusal = guard_for(bound, 8000).refusal("GET", environ(host))
    assert (refusal is None) is allowed
    if refusal is not None:
        assert (refusal.status, refusal.code) == (421, "host_not_allowed")


@pytest.mark.parametrize(("method", "origin", "allowed"), [
    ("POST", None, True), ("POST", "http://127.0.0.1:8000", True), ("POST", "HTTP://127.0.0.1:8000", True),
    ("POST", "http://localhost:8000", False), ("POST", "http://127.0.0.1:8001", False),
    ("POST", "https://127.0.0.1:8000", True),  # same host and port: only this server can be that origin
    ("POST", "https://127.0.0.1", False), ("POST", "null", False), ("POST", "", False),
    ("POST", "http://evil.example", False), ("DELETE", "http://evil.example", False),
    ("PUT", "http://evil.example", False), ("GET", "http://evil.example", True), ("HEAD", "null", True),
    ("OPTIONS", "http://evil.example", True),
])
def test_origin_rule_for_writes(method: str, origin: str | None, allowed: bool):
    refusal = guard_for("127.0.0.1", 8000).refusal(method, environ("127.0.0.1:8000", origin))
    assert (refusal is None) is allowed
    if refusal is not None:
        assert (refusal.status, refusal.code) == (403, "cross_origin_refused")


def test_origin_rule_holds_on_a_non_loopback_bind_against_the_host_named():
    guard = guard_for("0.0.0.0", 8000)
    assert guard.refusal("POST", environ("photos.lan:8000", "http://photos.lan:8000")) is None
    assert guard.refusal("POST", environ("photos.lan", "http://photos.lan")) is None
    assert guard.refusal("POST", environ("photos.lan:8000", "http://evil.example")) is not None


def test_loopback_names():
    assert all(is_loopback(h) for h in ("localhost", "127.0.0.1", "127.8.9.10", "::1", "[::1]"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.0.2.1", "example.com", "localhost.example"))


def test_log_messages_cannot_span_lines_but_tracebacks_keep_theirs():
    assert escape_controls("a\nb\r\x1b[31m\u2028\x85") == "a\\nb\\r\\x1b[31m\\u2028\\x85"
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, "GET %s", ("/x\n2026 ERROR forged",), None)
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    text = EscapingFormatter("%(levelname)s %(message)s").format(record)
    first, *rest = text.splitlines()
    assert first == "ERROR GET /x\\n2026 ERROR forged"
    assert rest[0].startswith("Traceback") and rest[-1] == "ValueError: boom"
