"""UploadService (service/uploads.py) with the in-memory adapters and the local inbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import imagegen
from support.fakes import CountingDetector, FailingImageStore

from facedetect.adapters.filesystem_uploads import FilesystemUploadRepository
from facedetect.adapters.local_inbox import LocalUploadInbox
from facedetect.adapters.memory import InMemoryDetectionRepository, InMemoryImageStore
from facedetect.adapters.memory_uploads import InMemoryUploadRepository
from facedetect.domain.imaging import ImageLimits
from facedetect.domain.uploads import is_upload_id
from facedetect.errors import (
    ImageTooLarge,
    InvalidInput,
    StorageUnavailable,
    UnsupportedImageFormat,
    UploadNotFound,
    UploadRejected,
)
from facedetect.service.detections import FaceDetectionService
from facedetect.service.uploads import UploadService

JPEG = imagegen.jpeg(imagegen.astronaut()[40:200, 140:300])


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def make(images: InMemoryImageStore | None = None, *, max_bytes: int = 1_000_000, detector_for=None):
    detector = CountingDetector()
    detection = FaceDetectionService(detector, images or InMemoryImageStore(), InMemoryDetectionRepository(),
                                     limits=ImageLimits(max_bytes=max_bytes), detector_for=detector_for)
    clock = Clock()
    inbox = LocalUploadInbox(clock=clock)
    uploads = UploadService(detection, InMemoryUploadRepository(), inbox)
    return uploads, inbox, detector, clock


def send(inbox: LocalUploadInbox, url: str, data: bytes, content_type: str = "image/jpeg",
         max_bytes: int = 1_000_000) -> str:
    path, query = url.split("?")
    params = dict(p.split("=") for p in query.split("&"))
    upload_id = path.split("/")[2]
    inbox.accept(upload_id, data, content_type=content_type, expires=params["expires"],
                 signature=params["signature"], max_bytes=max_bytes)
    return upload_id


def test_create_records_a_pending_upload_with_a_signed_target() -> None:
    uploads, _, _, _ = make()
    upload, target = uploads.create(content_type="image/JPEG; x=1", content_length=5000)
    assert is_upload_id(upload.upload_id) and upload.status == "pending"
    assert upload.content_type == "image/jpeg"
    assert target.method == "PUT" and target.url.startswith(f"/uploads/{upload.upload_id}/content?expires=")
    assert uploads.status(upload.upload_id) == (upload, None)


@pytest.mark.parametrize(("content_type", "length", "error"), [
    ("image/gif", 10, UnsupportedImageFormat), ("text/plain", 10, UnsupportedImageFormat),
    ("image/jpeg", 1_000_001, ImageTooLarge), ("image/jpeg", 0, InvalidInput), ("image/png", True, InvalidInput),
])
def test_create_refuses_bad_announcements_and_records_nothing(content_type: str, length: int,
                                                              error: type[Exception]) -> None:
    uploads, _, _, _ = make()
    with pytest.raises(error):
        uploads.create(content_type=content_type, content_length=length)
    assert uploads.uploads.items == {}  # type: ignore[attr-defined]


def test_options_without_a_detector_factory_are_refused() -> None:
    uploads, _, _, _ = make()
    with pytest.raises(InvalidInput):
        uploads.create(content_type="image/jpeg", content_length=10, options={"min_neighbors": 3})


def test_process_detects_stores_and_is_idempotent() -> None:
    uploads, inbox, detector, _ = make()
    upload, target = uploads.create(content_type="image/jpeg", content_length=len(JPEG))
    send(inbox, target.url, JPEG)
    done = uploads.process(upload.upload_id)
    assert done is not None and done.status == "done"
    _stored, detection = uploads.status(upload.upload_id)
    assert detection is not None and detection.id == done.detection_id
    assert detection == uploads.detection.detect(JPEG)  # the same as a direct upload of those bytes
    assert uploads.process(upload.upload_id) == done  # repeated delivery: nothing changes
    assert detector.calls == 1
    with pytest.raises(Exception, match="Nothing arrived"):
        inbox.read(upload.upload_id, max_bytes=10**6)  # the arrived bytes are gone


def test_non_image_ends_failed_and_stores_nothing() -> None:
    uploads, inbox, _, _ = make()
    upload, target = uploads.create(content_type="image/png", content_length=11)
    send(inbox, target.url, b"not an image", content_type="image/png")
    failed = uploads.process(upload.upload_id)
    assert failed is not None and failed.status == "failed" and failed.error_code == "invalid_image"
    assert uploads.detection.list().items == []
    assert uploads.process(upload.upload_id) == failed


def test_transient_storage_fault_propagates_and_keeps_the_upload_pending() -> None:
    store = FailingImageStore()
    uploads, inbox, _, _ = make(store)
    upload, target = uploads.create(content_type="image/jpeg", content_length=len(JPEG))
    send(inbox, target.url, JPEG)
    with pytest.raises(StorageUnavailable):
        uploads.process(upload.upload_id)
    assert uploads.status(upload.upload_id)[0].status == "pending"
    store.fail_put = False
    assert uploads.process(upload.upload_id).status == "done"  # the retry finds the bytes still there


def test_bytes_without_a_record_are_detected_with_defaults() -> None:
    uploads, inbox, _, _ = make()
    inbox._arrived["holiday/IMG_1.jpg"] = JPEG  # as if copied into the inbox directly
    assert uploads.process("holiday/IMG_1.jpg") is None
    assert len(uploads.detection.list().items) == 1


def test_local_urls_are_checked() -> None:
    uploads, inbox, _, clock = make()
    _upload, target = uploads.create(content_type="image/jpeg", content_length=len(JPEG))
    with pytest.raises(UploadRejected):
        send(inbox, target.url.replace("signature=", "signature=0"), JPEG)
    with pytest.raises(UploadRejected):
        send(inbox, target.url, JPEG, content_type="image/png")  # not the announced type
    with pytest.raises(ImageTooLarge):
        send(inbox, target.url, b"x" * 1_000_001)
    clock.now += uploads.expires_in + 1
    with pytest.raises(UploadRejected, match="expired"):
        send(inbox, target.url, JPEG)


def test_unknown_and_malformed_ids_are_not_found() -> None:
    uploads, _, _, _ = make()
    for upload_id in ("0" * 32, "../etc/passwd", ""):
        with pytest.raises(UploadNotFound):
            uploads.status(upload_id)


def test_filesystem_records_survive_a_new_repository_and_finish_once(tmp_path: Path) -> None:
    uploads, _, _, _ = make()
    upload, _ = uploads.create(content_type="image/jpeg", content_length=10)
    repo = FilesystemUploadRepository(tmp_path)
    repo.create(upload)
    again = FilesystemUploadRepository(tmp_path)
    assert again.get(upload.upload_id) == upload
    assert again.finish(upload.done("abc")) is True
    assert again.finish(upload.failed("x", "y")) is False
    assert repo.get(upload.upload_id).detection_id == "abc"
    with pytest.raises(UploadNotFound):
        repo.get("f" * 32)
