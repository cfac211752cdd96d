"""Newest-first paging (adapters/paging.py); the adapters' port promises are in tests/ports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from facedetect.adapters.paging import MAX_PAGE_SIZE, decode_cursor, encode_cursor, paginate
from facedetect.domain.model import Detection
from facedetect.domain.ports import Page
from facedetect.errors import InvalidInput

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _detection(i: int, seconds: int) -> Detection:
    return Detection(id=f"{i:032x}", sha256=f"{i:064x}", media_type="image/png", width=1, height=1, faces=(),
                     detector="haar", parameters={}, created_at=T0 + timedelta(seconds=seconds), duration_ms=0.0)


def _all_pages(items: list[Detection], limit: int) -> list[Page]:
    pages = [paginate(items, limit=limit, cursor=None)]
    while pages[-1].next_cursor is not None:
        pages.append(paginate(items, limit=limit, cursor=pages[-1].next_cursor))
    return pages


@given(st.lists(st.integers(0, 20), max_size=30), st.integers(1, 8))
def test_paging_visits_every_detection_once_newest_first(times: list[int], limit: int) -> None:
    items = [_detection(i, t) for i, t in enumerate(times)]
    pages = _all_pages(items, limit)
    seen = [d for page in pages for d in page.items]
    assert sorted(d.id for d in seen) == sorted(d.id for d in items)
    keys = [(d.created_at, d.id) for d in seen]
    assert keys == sorted(keys, reverse=True)
    assert all(len(p.items) == limit for p in pages[:-1]) and len(pages[-1].items) <= limit


@given(st.text(max_size=40))
def test_any_cursor_gives_a_page_or_invalid_input(cursor: str) -> None:
    items = [_detection(i, i) for i in range(3)]
    try:
        page = paginate(items, limit=2, cursor=cursor)
    except InvalidInput as exc:
        assert "cursor" in exc.message
    else:
        assert len(page.items) <= 2


def test_cursor_round_trip() -> None:
    key = (T0.isoformat(), "ab" * 16)
    assert decode_cursor(encode_cursor(key)) == key
    assert "=" not in encode_cursor(key)


def test_page_size_bounds() -> None:
    items = [_detection(i, i) for i in range(3)]
    assert len(paginate(items, limit=MAX_PAGE_SIZE, cursor=None).items) == 3
    with pytest.raises(InvalidInput):
        paginate(items, limit=MAX_PAGE_SIZE + 1, cursor=None)
