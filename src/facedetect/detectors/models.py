"""Detector models facedetect can download: what they are, where they are cached, how they are fetched.

The one place that knows each model's URL, file name and SHA-256. A download goes to a
temporary file beside the cache, is checked against the expected SHA-256, and only then is
moved into place, so the cache never holds a partial or wrong file. ``urllib`` honours the
usual ``https_proxy``/``http_proxy``/``no_proxy`` variables.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from facedetect.errors import FaceDetectError


@dataclass(frozen=True)
class KnownModel:
    """A downloadable model: its name, cached file name, default source and expected content."""

    name: str
    filename: str
    url: str
    sha256: str
    size: int
    description: str


#: Every model ``facedetect models download`` knows.
KNOWN_MODELS: dict[str, KnownModel] = {
    "yunet": KnownModel(
        name="yunet",
        filename="face_detection_yunet_2023mar.onnx",
        url="https://github.com/opencv/opencv_zoo/raw/main/models/face_detection_yunet/"
            "face_detection_yunet_2023mar.onnx",
        sha256="8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4",
        size=232_589,
        description="YuNet face detector (OpenCV Zoo, MIT licence), for --detector yunet",
    ),
}

#: Folder, beside the ``facedetect`` package, where a deployment bundles models (build-lambda --with-model).
BUNDLED_DIR_NAME = "facedetect_models"

_CHUNK = 64 * 1024


class ModelDownloadError(FaceDetectError):
    """A model could not be downloaded or did not match its checksum; nothing was cached."""

    code = "model_download_error"


def known_model(name: str) -> KnownModel:
    """The registry entry for ``name``; ``ModelDownloadError`` naming the known ones otherwise."""
    try:
        return KNOWN_MODELS[name]
    except KeyError:
        raise ModelDownloadError(f"Unknown model {name!r}; known: {', '.join(KNOWN_MODELS)}.") from None


def models_dir() -> Path:
    """Where downloaded models are kept: the ``models`` folder of the per-user cache directory."""
    from facedetect.userdirs import cache_dir

    return cache_dir() / "models"


def bundled_dir() -> Path:
    """Where a deployment package keeps models next to the ``facedetect`` package."""
    return Path(__file__).resolve().parents[2] / BUNDLED_DIR_NAME


def find_model(name: str) -> Path | None:
    """The cached (or bundled) file of model ``name``, or ``None`` when there is none."""
    model = known_model(name)
    for folder in (models_dir(), bundled_dir()):
        candidate = folder / model.filename
        if candidate.is_file():
            return candidate
    return None


def download_model(
    name: str,
    *,
    url: str | None = None,
    sha256: str | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    timeout: float = 60.0,
) -> Path:
    """Download model ``name`` into :func:`models_dir`, verified; return its path.

    Parameters
    ----------
    name
        A key of :data:`KNOWN_MODELS`.
    url, sha256
        Another source and its expected SHA-256 (hex); default: the registry's.
    progress
        Called with ``(bytes so far, total or None)`` after each chunk.
    timeout
        Seconds to wait for the server at each step.

    Raises
    ------
    ModelDownloadError
        Network or HTTP error, or the content does not match ``sha256``; nothing is left behind.
    """
    import tempfile

    model = known_model(name)
    expected = (sha256 or model.sha256).strip().lower()
    if len(expected) != 64 or any(c not in "0123456789abcdef" for c in expected):
        raise ModelDownloadError("--sha256 must be 64 hexadecimal digits.")
    source = url or model.url
    target_dir = models_dir()
    missing = [d for d in (target_dir, *target_dir.parents) if not d.exists()]  # removed again if left empty
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target_dir, prefix=".download-", suffix=".part")
    except OSError as exc:
        raise ModelDownloadError(f"Cannot write to the model cache {target_dir}: {exc.strerror}.") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            got = _fetch(source, out, progress, timeout)
        if got != expected:
            raise ModelDownloadError(f"The download from {source} has SHA-256 {got}, not {expected}; "
                                     "nothing was kept.")
        target = target_dir / model.filename
        os.replace(tmp, target)
        return target
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        for folder in missing:  # after a failure leave nothing behind, not even an empty cache folder
            with contextlib.suppress(OSError):
                folder.rmdir()  # only succeeds when empty


def _fetch(source: str, out: BinaryIO, progress: Callable[[int, int | None], None] | None, timeout: float) -> str:
    """Copy ``source`` into ``out``; return the SHA-256 (hex) of what was received."""
    import hashlib
    import urllib.error
    import urllib.request

    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(source, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
    except urllib.error.HTTPError as exc:
        raise ModelDownloadError(f"Download of {source} failed: HTTP {exc.code} {exc.reason}.") from None
    except urllib.error.URLError as exc:
        raise ModelDownloadError(f"Cannot reach {source}: {exc.reason}.") from None
    except (OSError, ValueError) as exc:  # connection reset, timeout, malformed URL
        raise ModelDownloadError(f"Download of {source} failed: {exc}.") from None
    return digest.hexdigest()
