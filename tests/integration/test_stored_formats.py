"""Detection files written before records were versioned (tests/fixtures/stored/v0) still read."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from support.stored_samples import SAMPLES, with_landmarks, without_faces

from facedetect.adapters.filesystem import FilesystemDetectionRepository
from facedetect.domain.model import Detection
from facedetect.errors import StorageError

V0_FILES = Path(__file__).resolve().parents[1] / "fixtures" / "stored" / "v0" / "filesystem"


@pytest.fixture
def repo(tmp_path: Path) -> FilesystemDetectionRepository:
    repo = FilesystemDetectionRepository(tmp_path)
    for path in V0_FILES.glob("*.json"):
        shutil.copy(path, repo.path / path.name)
    return repo


def test_the_fixtures_are_the_unversioned_format() -> None:
    records = [json.loads(path.read_text()) for path in V0_FILES.glob("*.json")]
    assert len(records) == 2 and all("schema" not in r and "face_count" in r for r in records)


@pytest.mark.parametrize("make", [with_landmarks, without_faces])
def test_v0_files_read_as_the_detections_they_were_written_from(repo: FilesystemDetectionRepository,
                                                                 make: Callable[[], Detection]) -> None:
    expected = make()
    assert repo.get(expected.id) == expected


def test_v0_and_new_records_list_together(repo: FilesystemDetectionRepository) -> None:
    newer = SAMPLES["many_faces"]()  # written now, in the current schema, beside the v0 files
    assert repo.add(newer)
    assert json.loads((repo.path / f"{newer.id}.json").read_text())["schema"] == 1
    assert repo.list().items == [with_landmarks(), newer, without_faces()]  # newest first


def test_a_file_of_a_future_schema_is_a_clear_storage_error(repo: FilesystemDetectionRepository) -> None:
    future = with_landmarks()
    path = repo.path / f"{future.id}.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "schema": 2}))
    with pytest.raises(StorageError) as info:
        repo.get(future.id)
    assert "schema 2" in info.value.detail and str(path) in info.value.detail
    assert str(repo.path) not in info.value.message
    assert future not in repo.list().items  # like a damaged file, it does not take the listing down
