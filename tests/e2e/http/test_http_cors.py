"""CORS through the local server: FACEDETECT_ALLOWED_ORIGINS read from the environment on first use."""

from __future__ import annotations

import pytest
from support.local_server import server_in_thread


def test_preflight_and_headers_for_the_configured_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACEDETECT_ALLOWED_ORIGINS", "https://app.example.com")
    with server_in_thread(backend="memory") as server:
        status, headers, _ = server.request("OPTIONS", "/uploads", headers={
            "Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"})
        assert status == 204 and headers["access-control-allow-origin"] == "https://app.example.com"
        assert headers["access-control-allow-methods"] == "POST"
        status, headers, _ = server.request("GET", "/faces", headers={"Origin": "https://other.example"})
        assert status == 200 and "access-control-allow-origin" not in headers
