"""The promises of ``DetectionRepository`` (domain/ports.py), one set of tests for every adapter."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import timedelta

import pytest
from support.detections import T0, make_detection

from facedetect.domain.model import Detection
from facedetect.domain.ports import DetectionRepository
from facedetect.errors import DetectionNotFound, InvalidInput


def every_page(repository: DetectionRepository, limit: int) -> list[list[Detection]]:
    pages, cursor = [], None
    while True:
        page = repository.list(limit=limit, cursor=cursor)
        pages.append(list(page.items))
        cursor = page.next_cursor
        if cursor is None:
            return pages


def test_implements_the_port(detections: DetectionRepository) -> None:
    assert isinstance(detections, DetectionRepository)


@pytest.mark.parametrize("n_faces", [0, 3, 250])
def test_get_returns_the_detection_added(detections: DetectionRepository, n_faces: int) -> None:
    detection = make_detection(n_faces, landmarks=n_faces == 3)
    assert detections.add(detection) is True
    assert detections.get(detection.id) == detection


@pytest.mark.parametrize("n_faces", [1, 150])
def test_adding_a_stored_id_again_changes_nothing(detections: DetectionRepository, n_faces: int) -> None:
    first = make_detection(n_faces)
    detections.add(first)
    later = replace(first, created_at=first.created_at + timedelta(hours=1), duration_ms=99.0)
    assert detections.add(later) is False
    assert detections.get(first.id) == first
    assert [d.id for d in detections.list().items] == [first.id]


def test_an_unknown_id_is_detection_not_found(detections: DetectionRepository) -> None:
    detections.add(make_detection(1, index=1))
    with pytest.raises(DetectionNotFound):
        detections.get(make_detection(1, index=2).id)


def test_delete_removes_only_that_detection_and_is_idempotent(detections: DetectionRepository) -> None:
    keep, gone = make_detection(2, index=1), make_detection(3, index=2)
    detections.add(keep)
    detections.add(gone)
    detections.delete(gone.id)
    detections.delete(gone.id)
    detections.delete(make_detection(0, index=3).id)  # never stored
    with pytest.raises(DetectionNotFound):
        detections.get(gone.id)
    assert detections.get(keep.id) == keep
    assert [d.id for d in detections.list().items] == [keep.id]


def test_a_deleted_detection_can_be_added_again(detections: DetectionRepository) -> None:
    detection = make_detection(2)
    detections.add(detection)
    detections.delete(detection.id)
    assert detections.add(detection) is True
    assert detections.get(detection.id) == detection


def test_listing_an_empty_store(detections: DetectionRepository) -> None:
    page = detections.list()
    assert list(page.items) == [] and page.next_cursor is None


def test_listing_pages_newest_first_ties_by_id_each_detection_once(detections: DetectionRepository) -> None:
    stored = [make_detection(i % 3, index=i) for i in range(8)]
    tie = [make_detection(1, index=21, created_at=T0 + timedelta(seconds=3)),
           make_detection(1, index=20, created_at=T0 + timedelta(seconds=3))]
    for detection in stored + tie:
        detections.add(detection)
    newest_first = sorted(stored + tie, key=lambda d: (d.created_at, d.id), reverse=True)

    pages = every_page(detections, limit=3)

    assert [len(page) for page in pages] == [3, 3, 3, 1]
    assert [d for page in pages for d in page] == newest_first
    assert [d.id for d in detections.list(limit=2).items] == [newest_first[0].id, newest_first[1].id]


def test_a_page_as_large_as_the_store_is_the_last(detections: DetectionRepository) -> None:
    for i in range(3):
        detections.add(make_detection(1, index=i))
    assert detections.list(limit=3).next_cursor is None
    assert len(detections.list(limit=1000).items) == 3


def test_a_cursor_continues_after_its_page_even_when_newer_detections_arrive(detections: DetectionRepository) -> None:
    for i in range(4):
        detections.add(make_detection(1, index=i))
    first = detections.list(limit=2)
    detections.add(make_detection(1, index=9))  # newer than all: belongs before the cursor
    rest = detections.list(limit=10, cursor=first.next_cursor)
    assert [d.id for d in rest.items] == [make_detection(1, index=i).id for i in (1, 0)]
    assert rest.next_cursor is None


@pytest.mark.parametrize("cursor", ["garbage!!", base64.urlsafe_b64encode(b"\xff\xfe").decode()])
def test_a_cursor_the_store_did_not_make_is_invalid_input(detections: DetectionRepository, cursor: str) -> None:
    detections.add(make_detection(1))
    with pytest.raises(InvalidInput):
        detections.list(cursor=cursor)


@pytest.mark.parametrize("limit", [0, -1, 1001])
def test_a_page_size_outside_1_to_1000_is_invalid_input(detections: DetectionRepository, limit: int) -> None:
    with pytest.raises(InvalidInput):
        detections.list(limit=limit)
