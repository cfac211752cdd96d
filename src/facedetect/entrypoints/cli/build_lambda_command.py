"""Placeholder until the deploy work lands: ``facedetect build-lambda``."""

from __future__ import annotations

from typing import Any


def register(subparsers: Any) -> None:
    """Add nothing yet."""
