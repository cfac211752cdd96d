"""Filesystem adapters: one data directory, readable after a restart, safe across processes.

Layout::

    DATA_DIR/images/<sha256>.<ext>        the image bytes
    DATA_DIR/detections/<id>.json         one detection, a versioned record of facedetect.adapters.records

Every file is written to a temporary name in the same directory and then hard-linked into
place. ``link`` is atomic and refuses to overwrite, so a reader never sees a partial file,
two processes writing the same key agree on who created it, and ``put`` can report that
truthfully. Keys are checked so that none can name a path outside the directory.

Error messages never contain the directory or a file name (clients may see them); the
``detail`` of each error, for the log, does.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import time
from pathlib import Path

from facedetect.adapters.paging import paginate
from facedetect.adapters.records import detection_from_record, detection_to_record
from facedetect.domain.model import Detection
from facedetect.domain.ports import Page
from facedetect.errors import DetectionNotFound, ImageNotFound, InvalidInput, StorageError

_SAFE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}")
_TEMP_PREFIX = ".tmp-"  # what _write_once names its temporary files
#: Age after which a temporary file is a leftover of a killed writer, seconds.
STALE_TEMP_SECONDS = 3600.0


def _check_key(key: str, what: str) -> str:
    if not _SAFE_KEY.fullmatch(key) or ".." in key:
        message = f"{what} {key[:64]!r} is not valid: use letters, digits, '.', '_' and '-' only."
        raise InvalidInput(message if what == "Detection id" else "The image key is not valid.", detail=message)
    return key


def _write_once(path: Path, data: bytes) -> bool:
    """Atomically create ``path`` with ``data``; return ``False`` if it already existed."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    except OSError as exc:  # the directory vanished or is not writable
        raise StorageError(detail=f"Could not write {path.name} in {path.parent}: {exc.strerror}.") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        return True
    except OSError as exc:
        raise StorageError(detail=f"Could not write {path.name} in {path.parent}: {exc.strerror}.") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


class _DataDir:
    def __init__(self, root: str | os.PathLike[str], sub: str) -> None:
        self.path = Path(root) / sub
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(detail=f"Cannot create the data directory {self.path}: {exc.strerror}.") from None

    def remove_stale_temp_files(self, *, older_than_seconds: float = STALE_TEMP_SECONDS) -> int:
        """Delete ``.tmp-*`` files a killed writer left behind; return how many went.

        Only files last modified more than ``older_than_seconds`` ago: a write in progress
        (this process's or another's) touches its file within milliseconds of creating it.
        Anything that is not a regular file, or vanishes meanwhile, is left alone.
        """
        cutoff = time.time() - older_than_seconds
        removed = 0
        try:
            entries = list(os.scandir(self.path))
        except OSError:
            return 0
        for entry in entries:
            if not entry.name.startswith(_TEMP_PREFIX):
                continue
            with contextlib.suppress(OSError):  # gone already (another sweep), or not ours to remove
                if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
        return removed


class FilesystemImageStore(_DataDir):
    """An ``ImageStore`` in ``DATA_DIR/images``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        super().__init__(root, "images")

    def put(self, key: str, data: bytes, *, media_type: str) -> bool:
        return _write_once(self.path / _check_key(key, "Image key"), data)

    def get(self, key: str) -> bytes:
        try:
            return (self.path / _check_key(key, "Image key")).read_bytes()
        except FileNotFoundError:
            raise ImageNotFound(detail=f"No image {key!r} in {self.path}.") from None
        except OSError as exc:
            raise StorageError(detail=f"Could not read image {key!r} in {self.path}: {exc.strerror}.") from None

    def exists(self, key: str) -> bool:
        try:
            return (self.path / _check_key(key, "Image key")).is_file()
        except OSError as exc:  # is_file() swallows "not found" only
            raise StorageError(detail=f"Could not check image {key!r} in {self.path}: {exc.strerror}.") from None

    def url_for(self, key: str, ttl: int) -> str | None:
        """``None``: a local directory has no URLs (the API serves the bytes)."""
        return None

    def delete(self, key: str) -> None:
        try:
            (self.path / _check_key(key, "Image key")).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(detail=f"Could not delete image {key!r} in {self.path}: {exc.strerror}.") from None


class FilesystemDetectionRepository(_DataDir):
    """A ``DetectionRepository`` in ``DATA_DIR/detections``, one JSON file per detection."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        super().__init__(root, "detections")

    def _file(self, detection_id: str) -> Path:
        return self.path / f"{_check_key(detection_id, 'Detection id')}.json"

    def add(self, detection: Detection) -> bool:
        body = json.dumps(detection_to_record(detection), separators=(",", ":")).encode()
        return _write_once(self._file(detection.id), body)

    def get(self, detection_id: str) -> Detection:
        try:
            raw = self._file(detection_id).read_bytes()
        except FileNotFoundError:
            raise DetectionNotFound(f"No detection with id {detection_id!r}.") from None
        except OSError as exc:
            raise StorageError(detail=f"Could not read {self._file(detection_id)}: {exc.strerror}.") from None
        try:
            record = json.loads(raw)
        except ValueError:
            raise StorageError(detail=f"The stored detection {self._file(detection_id)} is corrupt.") from None
        return detection_from_record(record, where=str(self._file(detection_id)))

    def list(self, *, limit: int = 20, cursor: str | None = None) -> Page:
        found = []
        try:
            entries = list(os.scandir(self.path))
        except OSError as exc:
            raise StorageError(detail=f"Could not list detections in {self.path}: {exc.strerror}.") from None
        for entry in entries:
            if entry.name.endswith(".json") and not entry.name.startswith("."):
                # a stray or damaged file must not take the whole listing down with it
                with contextlib.suppress(DetectionNotFound, InvalidInput, StorageError):
                    found.append(self.get(entry.name[: -len(".json")]))
        return paginate(found, limit=limit, cursor=cursor)

    def delete(self, detection_id: str) -> None:
        try:
            self._file(detection_id).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(detail=f"Could not delete {self._file(detection_id)}: {exc.strerror}.") from None
