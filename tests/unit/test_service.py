"""FaceDetectionService (service/detections.py) with the in-memory adapters and failing fakes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from support import imagegen
from support.fakes import CountingDetector, FailingImageStore, FailingRepository

from facedetect.adapters.memory import InMemoryDetectionRepository, InMemoryImageStore
from facedetect.detectors.haar import HaarCascadeDetector
from facedetect.domain.imaging import ImageLimits
from facedetect.errors import (
    DetectionNotFound,
    ImageNotFound,
    ImageTooLarge,
    InvalidImage,
    InvalidInput,
    StorageError,
    StorageUnavailable,
    UnsupportedImageFormat,
)
from facedetect.service.detections import FaceDetectionService, detection_id

TILE = imagegen.astronaut()[40:200, 140:300]  # 160x160 around the face
PNG = imagegen.png(TILE)
JPEG = imagegen.jpeg(TILE)


def ticking_clock(start: datetime = datetime(2024, 1, 1, tzinfo=UTC)) -> Iterator[datetime]:
    moment = start
    while True:
        yield moment
        moment += timedelta(seconds=1)


def make_service(detector: CountingDetector | None = None, images: InMemoryImageStore | None = None,
                 detections: InMemoryDetectionRepository | None = None, **kwargs: object) -> FaceDetectionService:
    clock = ticking_clock()
    return FaceDetectionService(
        detector or CountingDetector(), images if images is not None else InMemoryImageStore(),
        detections if detections is not None else InMemoryDetectionRepository(),
        clock=lambda: next(clock), **kwargs,  # type: ignore[arg-type]
    )


def test_detect_stores_image_under_sha256_and_real_extension() -> None:
    images, detections = InMemoryImageStore(), InMemoryDetectionRepository()
    service = make_service(images=images, detections=detections)
    detection = service.detect(PNG)
    sha = hashlib.sha256(PNG).hexdigest()
    assert detection.sha256 == sha and detection.media_type == "image/png"
    assert (detection.width, detection.height) == (160, 160)
    assert images.objects == {f"{sha}.png": (PNG, "image/png")}
    assert service.get(detection.id) == detection


def test_jpeg_is_stored_as_jpg() -> None:
    service = make_service()
    detection = service.detect(JPEG)
    assert detection.image_key == hashlib.sha256(JPEG).hexdigest() + ".jpg"
    assert service.image(detection.id) == (JPEG, "image/jpeg")


def test_real_detector_result_is_stored(haar: HaarCascadeDetector) -> None:
    service = FaceDetectionService(haar, InMemoryImageStore(), InMemoryDetectionRepository())
    detection = service.detect(imagegen.jpeg())
    assert len(detection.faces) == 1 and detection.detector == "haar"
    assert detection.parameters == haar.parameters
    assert detection.duration_ms > 0
    assert service.get(detection.id).faces == detection.faces


def test_same_bytes_same_id_stored_once_detector_not_rerun() -> None:
    detector = CountingDetector()
    images, detections = InMemoryImageStore(), InMemoryDetectionRepository()
    service = make_service(detector, images=images, detections=detections)
    first = service.detect(PNG)
    second = service.detect(bytes(PNG))
    assert first.id == second.id and second == first  # the stored detection, same created_at
    assert detector.calls == 1
    assert len(images.objects) == 1 and len(detections.items) == 1


class _LateRepository(InMemoryDetectionRepository):
    """Says "not stored yet" to the first lookup, as when another caller is storing the same bytes right now."""

    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0

    def get(self, detection_id: str):  # type: ignore[no-untyped-def]
        self.lookups += 1
        if self.lookups == 1:
            raise DetectionNotFound(detection_id)
        return super().get(detection_id)


def test_a_caller_that_loses_the_race_answers_with_the_stored_detection() -> None:
    repository = _LateRepository()
    winner = make_service(detections=repository).detect(PNG)  # stored by "the other caller"
    repository.lookups = 0
    later = FaceDetectionService(CountingDetector(), InMemoryImageStore(), repository,
                                 clock=lambda: datetime(2030, 1, 1, tzinfo=UTC))
    loser = later.detect(PNG)
    assert loser == winner, "same id, same created_at: the one detection that was stored"
    assert len(repository.items) == 1


def test_repositories_report_whether_add_created_the_detection() -> None:
    images, detections = InMemoryImageStore(), InMemoryDetectionRepository()
    service = make_service(images=images, detections=detections)
    detection = service.detect(PNG, store=False)
    assert detections.add(detection) is True
    assert detections.add(detection) is False


def test_detection_id_depends_on_content_and_configuration() -> None:
    sha = hashlib.sha256(PNG).hexdigest()
    a, b = CountingDetector("a"), CountingDetector("b")
    assert detection_id(sha, a) == detection_id(sha, CountingDetector("a"))
    assert detection_id(sha, a) != detection_id(sha, b)
    assert detection_id(sha, a) != detection_id(hashlib.sha256(JPEG).hexdigest(), a)
    assert len(detection_id(sha, a)) == 32


def test_different_detector_params_give_a_new_detection_sharing_one_image() -> None:
    other = CountingDetector("b")
    images, detections = InMemoryImageStore(), InMemoryDetectionRepository()
    service = make_service(images=images, detections=detections)
    first = service.detect(PNG)
    second = service.detect(PNG, detector=other)
    assert first.id != second.id and other.calls == 1
    assert second.parameters == {"tag": "b"}
    assert len(detections.items) == 2
    assert list(images.objects) == [first.image_key]
    assert first.image_key == second.image_key


def test_store_false_stores_nothing_and_always_detects() -> None:
    detector = CountingDetector()
    images, detections = InMemoryImageStore(), InMemoryDetectionRepository()
    service = make_service(detector, images=images, detections=detections)
    detection = service.detect(PNG, store=False)
    assert detection.faces == (detector._faces[0],)
    service.detect(PNG, store=False)
    assert detector.calls == 2
    assert images.objects == {} and detections.items == {}
    with pytest.raises(DetectionNotFound):
        service.get(detection.id)


@pytest.mark.parametrize(
    ("data", "error"),
    [(b"", InvalidImage), (b"not an image at all", InvalidImage), (PNG[: len(PNG) // 2], InvalidImage),
     (imagegen.pil_encode(TILE, "GIF"), UnsupportedImageFormat), (imagegen.png_bomb(), ImageTooLarge)],
)
def test_bad_input_stores_nothing_and_never_reaches_the_detector(data: bytes, error: type[Exception]) -> None:
    detector = CountingDetector()
    images, detections = InMemoryImageStore(), InMemoryDetectionRepository()
    service = make_service(detector, images=images, detections=detections)
    with pytest.raises(error):
        service.detect(data)
    assert detector.calls == 0
    assert images.objects == {} and detections.items == {}


def test_limits_are_enforced() -> None:
    service = make_service(limits=ImageLimits(max_bytes=len(PNG) - 1))
    with pytest.raises(ImageTooLarge, match="bytes"):
        service.detect(PNG)
    images, detections = InMemoryImageStore(), InMemoryDetectionRepository()
    service = make_service(limits=ImageLimits(max_pixels=100 * 100), images=images, detections=detections)
    with pytest.raises(ImageTooLarge, match="pixels"):
        service.detect(PNG)
    assert images.objects == {}


# --- failing stores -------------------------------------------------------------------------


def test_image_store_failure_stores_nothing() -> None:
    images, detections = FailingImageStore(), InMemoryDetectionRepository()
    service = make_service(images=images, detections=detections)
    with pytest.raises(StorageUnavailable):
        service.detect(PNG)
    assert images.objects == {} and detections.items == {}


def test_repository_failure_keeps_the_image_for_the_retry_and_propagates() -> None:
    images, detections = InMemoryImageStore(), FailingRepository()
    service = make_service(images=images, detections=detections)
    with pytest.raises(StorageError, match="broken"):
        service.detect(PNG)
    assert len(detections.attempts) == 1  # the add was really tried after the image was put
    assert detections.items == {} and len(images.objects) == 1  # no detection; the image may be needed
    detections.fail_add = False  # the store recovers: a retry stores the detection, reusing the image
    detection = service.detect(PNG)
    assert list(images.objects) == [detection.image_key]
    assert service.image(detection.id) == (PNG, "image/png")


def test_repository_failure_keeps_an_image_that_was_already_there() -> None:
    images, detections = InMemoryImageStore(), FailingRepository(fail_add=False)
    service = make_service(images=images, detections=detections)
    kept = service.detect(PNG)
    detections.fail_add = True
    with pytest.raises(StorageError):
        service.detect(PNG, detector=CountingDetector("other"))
    assert list(images.objects) == [kept.image_key]  # still there for the first detection
    assert service.image(kept.id) == (PNG, "image/png")
    assert list(detections.items) == [kept.id]


# --- reading back ---------------------------------------------------------------------------


def test_get_image_delete() -> None:
    images, detections = InMemoryImageStore(), InMemoryDetectionRepository()
    service = make_service(images=images, detections=detections)
    detection = service.detect(PNG)
    assert service.get(detection.id) == detection
    assert service.image(detection.id) == (PNG, "image/png")
    service.delete(detection.id)
    with pytest.raises(DetectionNotFound):
        service.get(detection.id)
    with pytest.raises(DetectionNotFound):
        service.image(detection.id)
    assert images.exists(detection.image_key)  # images outlive detections (they may be shared)
    service.delete(detection.id)  # deleting again is not an error
    with pytest.raises(DetectionNotFound):
        service.get("0" * 32)


def test_image_of_a_detection_whose_image_vanished_is_image_not_found() -> None:
    images, detections = InMemoryImageStore(), InMemoryDetectionRepository()
    service = make_service(images=images, detections=detections)
    detection = service.detect(PNG)
    images.delete(detection.image_key)
    with pytest.raises(ImageNotFound):
        service.image(detection.id)


def _fill(service: FaceDetectionService, count: int) -> list[str]:
    ids = []
    for i in range(count):
        ids.append(service.detect(imagegen.png(imagegen.noise(8, 8, seed=i))).id)
    return ids


def test_list_pages_newest_first_with_cursors() -> None:
    service = make_service()
    ids = _fill(service, 7)  # the clock ticks one second per detection
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = service.list(limit=3, cursor=cursor)
        pages += 1
        assert len(page.items) <= 3
        seen += [d.id for d in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(ids))


def test_list_with_exact_page_size_has_no_next_cursor() -> None:
    service = make_service()
    ids = _fill(service, 4)
    page = service.list(limit=4)
    assert [d.id for d in page.items] == list(reversed(ids)) and page.next_cursor is None
    assert service.list().items == page.items  # default limit covers it
    assert make_service().list().items == []


def test_list_orders_equal_timestamps_by_id() -> None:
    service = FaceDetectionService(CountingDetector(), InMemoryImageStore(), InMemoryDetectionRepository(),
                                   clock=lambda: datetime(2024, 1, 1, tzinfo=UTC))
    ids = _fill(service, 5)
    first = service.list(limit=2)
    rest = service.list(limit=10, cursor=first.next_cursor)
    assert [d.id for d in [*first.items, *rest.items]] == sorted(ids, reverse=True)


@pytest.mark.parametrize("limit", [0, -1, 1001, True, 2.5, "5", None])
def test_bad_limit_is_invalid_input(limit: object) -> None:
    with pytest.raises(InvalidInput, match="limit"):
        make_service().list(limit=limit)  # type: ignore[arg-type]


@pytest.mark.parametrize("cursor", ["!!!", "not-a-cursor", "", "aGVsbG8", "YXxifGM", "\u00e9t\u00e9", "////"])
def test_bad_cursor_is_invalid_input(cursor: str) -> None:
    service = make_service()
    _fill(service, 2)
    with pytest.raises(InvalidInput, match="cursor"):
        service.list(cursor=cursor)
