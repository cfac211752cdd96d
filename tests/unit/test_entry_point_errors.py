"""Every library entry point answers bad arguments with a facedetect.errors error, never a bare TypeError."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from support import imagegen

import facedetect
from facedetect.detectors.models import KNOWN_MODELS, find_model
from facedetect.errors import ConfigurationError, FaceDetectError, InvalidImage, InvalidInput
from facedetect.settings import load_settings


@pytest.fixture
def service() -> facedetect.FaceDetectionService:
    return facedetect.bootstrap(backend="memory")


@pytest.mark.parametrize("value", ["group.jpg", Path("group.jpg"), None, 42])
def test_service_detect_takes_bytes_only(service: facedetect.FaceDetectionService, value: object) -> None:
    with pytest.raises(InvalidInput, match="bytes"):
        service.detect(value)  # type: ignore[arg-type]
    assert service.list().items == [], "nothing stored"


def test_service_detect_accepts_bytearray_and_memoryview(service: facedetect.FaceDetectionService) -> None:
    data = imagegen.jpeg()
    assert service.detect(bytearray(data)).id == service.detect(memoryview(data)).id == service.detect(data).id


@pytest.mark.parametrize(("call", "error"), [
    (lambda: facedetect.bootstrap("filesystem"), ConfigurationError),
    (lambda: facedetect.detect_faces(imagegen.jpeg(), limits="big"), InvalidInput),
    (lambda: facedetect.detect_faces(imagegen.jpeg(), detector="yunet", yunet_model=3), InvalidInput),
])
def test_bad_arguments_are_typed_errors(call, error: type[FaceDetectError]) -> None:
    with pytest.raises(error):
        call()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_detect_faces_refuses_a_named_pipe_instead_of_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.jpg")
    with pytest.raises(InvalidImage, match="not a regular file"):
        facedetect.detect_faces(tmp_path / "pipe.jpg")


def test_yunet_without_a_model_fails_at_start_up_naming_the_download(clean_env: pytest.MonkeyPatch,
                                                                     user_dirs: Path) -> None:
    with pytest.raises(ConfigurationError, match="facedetect models download yunet") as caught:
        load_settings(detector="yunet")
    assert "\n" not in caught.value.message


def test_yunet_uses_the_cached_model_everywhere(clean_env: pytest.MonkeyPatch, user_dirs: Path,
                                                yunet_model: Path) -> None:
    cache = user_dirs / "xdg_cache_home" / "facedetect" / "models"
    cache.mkdir(parents=True)
    shutil.copy(yunet_model, cache / KNOWN_MODELS["yunet"].filename)
    assert find_model("yunet") == cache / KNOWN_MODELS["yunet"].filename
    faces = facedetect.detect_faces(imagegen.jpeg(imagegen.group()), detector="yunet")
    assert len(faces) == 3 and faces[0].landmarks is not None
    service = facedetect.bootstrap(backend="memory", detector="yunet")
    assert service.detector_name == "yunet"
    assert len(service.detect(imagegen.jpeg(imagegen.group())).faces) == 3


def test_filesystem_backend_defaults_to_the_per_user_data_directory(clean_env: pytest.MonkeyPatch,
                                                                    user_dirs: Path) -> None:
    assert load_settings().data_dir == user_dirs / "xdg_data_home" / "facedetect"
    clean_env.setenv("FACEDETECT_DATA_DIR", str(user_dirs / "elsewhere"))
    assert load_settings().data_dir == user_dirs / "elsewhere"
    service = facedetect.bootstrap(backend="filesystem", data_dir=user_dirs / "given")
    service.detect(imagegen.jpeg())
    assert len(list((user_dirs / "given" / "detections").iterdir())) == 1
