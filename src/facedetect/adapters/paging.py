"""Newest-first paging with opaque cursors, shared by the local repositories."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable

from facedetect.domain.model import Detection
from facedetect.domain.ports import MAX_PAGE_SIZE, Page
from facedetect.errors import InvalidInput


def sort_key(detection: Detection) -> tuple[str, str]:
    """Order key: creation time, then id to break ties deterministically."""
    return (detection.created_at.isoformat(), detection.id)


def encode_cursor(key: tuple[str, str]) -> str:
    """An opaque, URL-safe cursor for the position after ``key``."""
    return base64.urlsafe_b64encode("|".join(key).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    """Inverse of :func:`encode_cursor`; raises ``InvalidInput`` for a cursor we did not make."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, det_id = raw.split("|")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInput("The cursor is not valid; use the next_cursor of a previous page.") from None
    return created, det_id


def check_limit(limit: int) -> int:
    """Validate a page size (1 to ``MAX_PAGE_SIZE``)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput(f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}, not {limit!r}.")
    return limit


def paginate(detections: Iterable[Detection], *, limit: int, cursor: str | None) -> Page:
    """One page of ``detections`` newest first, starting after ``cursor``."""
    limit = check_limit(limit)
    ordered = sorted(detections, key=sort_key, reverse=True)
    if cursor is not None:
        after = decode_cursor(cursor)
        ordered = [d for d in ordered if sort_key(d) < after]
    items = ordered[:limit]
    more = len(ordered) > limit
    return Page(items=items, next_cursor=encode_cursor(sort_key(items[-1])) if more else None)
