"""Filesystem adapters beyond the port promises (tests/ports): files, restarts, key safety, atomic writes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support import imagegen

from facedetect.adapters.filesystem import FilesystemDetectionRepository, FilesystemImageStore
from facedetect.detectors.haar import HaarCascadeDetector
from facedetect.domain.model import BoundingBox, Detection, Face, Landmarks, Point
from facedetect.entrypoints.rest.representation import detection_to_json
from facedetect.errors import InvalidInput, StorageError
from facedetect.service.detections import FaceDetectionService

BAD_KEYS = ["../x", "/etc/passwd", "a/b", "", "..", ".hidden", "a\\b", "x\x00y", "k" * 201, "a..b", " space"]


def _detection(i: int = 1, faces: tuple[Face, ...] = ()) -> Detection:
    return Detection(id=f"{i:032x}", sha256=f"{i:064x}", media_type="image/jpeg", width=640, height=480,
                     faces=faces, detector="haar", parameters={"min_neighbors": 5, "min_size": [20, 20]},
                     created_at=datetime(2024, 2, 3, 4, 5, 6, 789, tzinfo=UTC), duration_ms=12.5)


def _leftovers(root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in root.rglob(".tmp-*")]


def test_images_are_files_under_images_written_without_leftovers(tmp_path: Path) -> None:
    store = FilesystemImageStore(tmp_path)
    data = imagegen.jpeg(imagegen.noise(32, 32))
    store.put("abc.jpg", data, media_type="image/jpeg")
    store.put("abc.jpg", b"different bytes", media_type="image/jpeg")
    assert (tmp_path / "images" / "abc.jpg").read_bytes() == data
    store.delete("abc.jpg")
    assert not (tmp_path / "images" / "abc.jpg").exists()
    assert _leftovers(tmp_path) == []


def test_detection_round_trip_survives_a_restart(tmp_path: Path) -> None:
    marks = Landmarks(Point(1.5, 2.25), Point(3, 4), Point(5, 6), Point(7, 8), Point(9, 10))
    detection = _detection(faces=(Face(BoundingBox(10, 20, 30, 40), 0.875, marks), Face(BoundingBox(1, 1, 5, 5), 0.5)))
    FilesystemDetectionRepository(tmp_path).add(detection)
    FilesystemImageStore(tmp_path).put("k.jpg", b"\xff\xd8\xffdata", media_type="image/jpeg")

    reopened = FilesystemDetectionRepository(tmp_path)  # a new process would do exactly this
    assert reopened.get(detection.id) == detection
    assert reopened.list().items == [detection]
    assert FilesystemImageStore(tmp_path).get("k.jpg") == b"\xff\xd8\xffdata"
    stored = json.loads((tmp_path / "detections" / f"{detection.id}.json").read_text())
    assert stored["schema"] == 1 and stored["faces"][0]["box"] == [10, 20, 30, 40]  # the stored record


def test_listing_skips_half_written_files(tmp_path: Path) -> None:
    repo = FilesystemDetectionRepository(tmp_path)
    repo.add(_detection())
    (tmp_path / "detections" / ".tmp-half-written.json").write_text("{")  # an interrupted write
    assert [d.id for d in repo.list().items] == [_detection().id]


def test_corrupt_detection_file_is_a_storage_error(tmp_path: Path) -> None:
    repo = FilesystemDetectionRepository(tmp_path)
    (tmp_path / "detections" / ("c" * 32 + ".json")).write_text('{"id": "truncated')
    with pytest.raises(StorageError) as info:
        repo.get("c" * 32)
    assert "corrupt" in info.value.detail and str(tmp_path) in info.value.detail
    assert str(tmp_path) not in info.value.message


@pytest.mark.parametrize("key", BAD_KEYS)
def test_keys_that_could_escape_are_rejected(tmp_path: Path, key: str) -> None:
    root = tmp_path / "data"
    store, repo = FilesystemImageStore(root), FilesystemDetectionRepository(root)
    for call in (lambda: store.put(key, b"x", media_type="image/png"), lambda: store.get(key),
                 lambda: store.exists(key), lambda: store.delete(key), lambda: repo.get(key), lambda: repo.delete(key)):
        with pytest.raises(InvalidInput):
            call()
    with pytest.raises(InvalidInput):
        repo.add(Detection(**{**{f: getattr(_detection(), f) for f in _detection().__dataclass_fields__}, "id": key}))
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["data", "detections", "images"]


def test_write_into_a_vanished_directory_is_a_storage_error(tmp_path: Path) -> None:
    store, repo = FilesystemImageStore(tmp_path), FilesystemDetectionRepository(tmp_path)
    (tmp_path / "images").rmdir()
    (tmp_path / "detections").rmdir()
    for call, what in ((lambda: store.put("k.png", b"x", media_type="image/png"), "Could not write"),
                       (lambda: repo.add(_detection()), "Could not write"), (repo.list, "Could not list")):
        with pytest.raises(StorageError) as info:
            call()
        assert what in info.value.detail and str(tmp_path) in info.value.detail  # the log says where
        assert str(tmp_path) not in info.value.message and ".json" not in info.value.message


def test_os_errors_on_read_and_delete_are_storage_errors(tmp_path: Path) -> None:
    store, repo = FilesystemImageStore(tmp_path), FilesystemDetectionRepository(tmp_path)
    (tmp_path / "images" / "k.png").mkdir()  # something that is not a readable, deletable file
    (tmp_path / "detections" / ("d" * 32 + ".json")).mkdir()
    for call in (lambda: store.get("k.png"), lambda: store.delete("k.png"), lambda: repo.get("d" * 32),
                 lambda: repo.delete("d" * 32)):
        with pytest.raises(StorageError):
            call()


def test_data_dir_that_is_a_file_is_a_storage_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(StorageError):
        FilesystemImageStore(tmp_path / "file")


def test_service_on_the_filesystem_restart_and_no_temp_files(tmp_path: Path) -> None:
    haar = HaarCascadeDetector()
    service = FaceDetectionService(haar, FilesystemImageStore(tmp_path), FilesystemDetectionRepository(tmp_path))
    data = imagegen.png(imagegen.astronaut()[::2, ::2])
    detection = service.detect(data)
    restarted = FaceDetectionService(haar, FilesystemImageStore(tmp_path), FilesystemDetectionRepository(tmp_path))
    # Stored values carry the JSON's precision (confidence to 6 places), so compare the JSON forms.
    assert detection_to_json(restarted.get(detection.id)) == detection_to_json(detection)
    assert len(detection.faces) == 1
    assert restarted.image(detection.id) == (data, "image/png")
    assert restarted.detect(data).id == detection.id
    assert detection.image_key.endswith(".png")
    assert sorted(p.name for p in (tmp_path / "images").iterdir()) == [detection.image_key]
    assert _leftovers(tmp_path) == []
