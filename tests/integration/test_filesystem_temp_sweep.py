"""``remove_stale_temp_files``: what a killed writer left goes; a write in progress and everything else stays."""

from __future__ import annotations

import os
import time
from pathlib import Path

from facedetect.adapters.filesystem import FilesystemDetectionRepository, FilesystemImageStore


def aged(path: Path, seconds: float, data: bytes = b"x") -> Path:
    path.write_bytes(data)
    os.utime(path, (time.time() - seconds, time.time() - seconds))
    return path


def test_only_old_temporary_files_are_removed(tmp_path: Path):
    images = FilesystemImageStore(tmp_path)
    assert images.put("abc.jpg", b"jpeg", media_type="image/jpeg")
    folder = tmp_path / "images"
    old = aged(folder / ".tmp-killed.jpg", 2 * 3600)
    fresh = aged(folder / ".tmp-writing.jpg", 60)
    old_but_not_temp = aged(folder / "kept.jpg", 5 * 3600)
    (folder / ".tmp-a-directory").mkdir()
    os.utime(folder / ".tmp-a-directory", (time.time() - 5 * 3600,) * 2)
    os.symlink(old_but_not_temp, folder / ".tmp-link")
    os.utime(folder / ".tmp-link", (time.time() - 5 * 3600,) * 2, follow_symlinks=False)

    assert images.remove_stale_temp_files() == 1
    assert not old.exists()
    assert fresh.exists() and old_but_not_temp.exists() and images.get("abc.jpg") == b"jpeg"
    assert (folder / ".tmp-a-directory").is_dir() and (folder / ".tmp-link").is_symlink()
    assert images.remove_stale_temp_files() == 0


def test_the_age_is_a_parameter_and_detections_are_swept_too(tmp_path: Path):
    detections = FilesystemDetectionRepository(tmp_path)
    leftover = aged(tmp_path / "detections" / ".tmp-x.json", 120)
    assert detections.remove_stale_temp_files() == 0
    assert detections.remove_stale_temp_files(older_than_seconds=60) == 1
    assert not leftover.exists()
