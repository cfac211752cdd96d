"""The service's storage rule with in-memory fakes: lost answers, failing reads, healing.

Every detection that can be read has its image; a failed detection write never deletes an
image; a write that was applied but whose answer was lost is a success; returning a stored
detection puts its image back when it is missing.
"""

from __future__ import annotations

import pytest
from support import imagegen
from support.fakes import CountingDetector

from facedetect.adapters.memory import InMemoryDetectionRepository, InMemoryImageStore
from facedetect.domain.model import Detection
from facedetect.errors import DetectionNotFound, StorageError, StorageUnavailable
from facedetect.service.detections import FaceDetectionService

PNG = imagegen.png(imagegen.astronaut()[40:200, 140:300])


class LostAnswerRepository(InMemoryDetectionRepository):
    """``add`` stores the detection, then raises as if its answer had been lost on the wire."""

    def __init__(self) -> None:
        super().__init__()
        self.lose_answers = True
        self.fail_reads = False  # once add was called: the store goes down right after the write
        self.added = False

    def add(self, detection: Detection) -> bool:
        stored = super().add(detection)
        self.added = True
        if self.lose_answers:
            raise StorageUnavailable(detail="connection reset after the write (test fake)")
        return stored

    def get(self, detection_id: str) -> Detection:
        if self.fail_reads and self.added:
            raise StorageUnavailable(detail="reads fail too (test fake)")
        return super().get(detection_id)


class FailingAddRepository(InMemoryDetectionRepository):
    """``add`` fails before anything is stored; with ``fail_reads``, reads after it fail too."""

    def __init__(self, *, fail_reads: bool) -> None:
        super().__init__()
        self.fail_reads = fail_reads
        self.added = False

    def add(self, detection: Detection) -> bool:
        self.added = True
        raise StorageUnavailable(detail="write refused (test fake)")

    def get(self, detection_id: str) -> Detection:
        if self.fail_reads and self.added:
            raise StorageUnavailable(detail="reads fail too (test fake)")
        return super().get(detection_id)


class RecordingImageStore(InMemoryImageStore):
    """Counts ``put`` calls and refuses ``delete`` (the rule says the service never deletes)."""

    def __init__(self) -> None:
        super().__init__()
        self.puts = 0
        self.exists_fails = False

    def put(self, key: str, data: bytes, *, media_type: str) -> bool:
        self.puts += 1
        return super().put(key, data, media_type=media_type)

    def exists(self, key: str) -> bool:
        if self.exists_fails:
            raise StorageUnavailable(detail="HeadObject failed (test fake)")
        return super().exists(key)

    def delete(self, key: str) -> None:
        raise AssertionError("the service deleted an image")


def service(images: InMemoryImageStore, detections: InMemoryDetectionRepository) -> FaceDetectionService:
    return FaceDetectionService(CountingDetector(), images, detections)


def test_a_write_applied_but_answered_with_an_error_is_a_success() -> None:
    images, detections = RecordingImageStore(), LostAnswerRepository()
    detection = service(images, detections).detect(PNG)
    assert detections.items == {detection.id: detection}  # the consistent read found it
    assert images.objects[detection.image_key][0] == PNG


def test_when_the_read_after_a_lost_answer_fails_too_the_error_propagates_and_the_image_stays() -> None:
    images, detections = RecordingImageStore(), LostAnswerRepository()
    detections.fail_reads = True
    svc = service(images, detections)
    with pytest.raises(StorageUnavailable):
        svc.detect(PNG)
    (stored,) = detections.items.values()  # committed after all...
    assert images.objects[stored.image_key][0] == PNG  # ...so its image must be there
    detections.lose_answers = detections.fail_reads = False
    assert svc.detect(PNG) == stored  # the retry answers with the stored detection
    assert images.puts == 1  # and the image was stored once


@pytest.mark.parametrize("fail_reads", [False, True])
def test_a_failed_write_keeps_the_image_whether_or_not_the_read_succeeds(fail_reads: bool) -> None:
    images, detections = RecordingImageStore(), FailingAddRepository(fail_reads=fail_reads)
    with pytest.raises(StorageUnavailable):
        service(images, detections).detect(PNG)
    assert detections.items == {} and len(images.objects) == 1


def test_a_failed_write_never_takes_the_image_of_another_detection() -> None:
    """Same bytes, other detector settings: another detection id sharing the image."""
    images, detections = RecordingImageStore(), InMemoryDetectionRepository()
    first = service(images, detections).detect(PNG)
    failing = FailingAddRepository(fail_reads=False)
    failing.items = detections.items  # the same table, whose add now fails
    with pytest.raises(StorageError):
        FaceDetectionService(CountingDetector("other"), images, failing).detect(PNG)
    assert images.objects[first.image_key][0] == PNG


def test_returning_a_stored_detection_puts_back_its_missing_image() -> None:
    images, detections = RecordingImageStore(), InMemoryDetectionRepository()
    svc = service(images, detections)
    detection = svc.detect(PNG)
    del images.objects[detection.image_key]  # lost by an older writer, or removed by hand
    with pytest.raises(DetectionNotFound):
        svc.get("0" * 32)
    assert svc.detect(PNG) == detection
    assert svc.image(detection.id) == (PNG, "image/png")
    assert images.puts == 2


def test_returning_a_stored_detection_with_its_image_present_writes_nothing() -> None:
    images, detections = RecordingImageStore(), InMemoryDetectionRepository()
    svc = service(images, detections)
    detection = svc.detect(PNG)
    assert svc.detect(PNG) == detection
    assert images.puts == 1


def test_an_existence_check_that_fails_is_an_error_not_a_guess() -> None:
    images, detections = RecordingImageStore(), InMemoryDetectionRepository()
    svc = service(images, detections)
    svc.detect(PNG)
    images.exists_fails = True
    with pytest.raises(StorageUnavailable):
        svc.detect(PNG)
