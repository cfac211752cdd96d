"""Settings (FACEDETECT_* variables, overrides, one-line errors) and the composition root."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support import imagegen

from facedetect.adapters.filesystem import FilesystemDetectionRepository, FilesystemImageStore
from facedetect.adapters.memory import InMemoryDetectionRepository, InMemoryImageStore
from facedetect.composition import bootstrap
from facedetect.detectors import create_detector
from facedetect.errors import ConfigurationError, InvalidInput
from facedetect.service.detections import FaceDetectionService
from facedetect.settings import load_settings


def test_defaults(clean_env: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.backend == "filesystem" and settings.detector == "haar"
    assert settings.scale_factor == 1.1 and settings.min_neighbors == 5
    assert settings.max_bytes == 20 * 1024 * 1024 and settings.max_pixels == 50_000_000


def test_environment_variables_are_read(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("FACEDETECT_BACKEND", "memory")
    clean_env.setenv("FACEDETECT_DATA_DIR", str(tmp_path))
    clean_env.setenv("FACEDETECT_MIN_NEIGHBORS", "3")
    clean_env.setenv("FACEDETECT_SCALE_FACTOR", "1.25")
    clean_env.setenv("FACEDETECT_MAX_BYTES", "12345")
    clean_env.setenv("FACEDETECT_MAX_DIMENSION", "800")
    settings = load_settings()
    assert settings.backend == "memory" and settings.data_dir == tmp_path
    assert settings.min_neighbors == 3 and settings.scale_factor == 1.25
    assert settings.max_bytes == 12345 and settings.max_dimension == 800


def test_explicit_overrides_win_and_none_means_not_given(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("FACEDETECT_BACKEND", "filesystem")
    clean_env.setenv("FACEDETECT_MIN_NEIGHBORS", "3")
    settings = load_settings(backend="memory", min_neighbors=None)
    assert settings.backend == "memory" and settings.min_neighbors == 3


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"FACEDETECT_MAX_BYTES": "abc"}, "FACEDETECT_MAX_BYTES"),
        ({"FACEDETECT_MAX_BYTES": "0"}, "FACEDETECT_MAX_BYTES"),
        ({"FACEDETECT_BACKEND": "nope"}, "FACEDETECT_BACKEND"),
        ({"FACEDETECT_DETECTOR": "dlib"}, "FACEDETECT_DETECTOR"),
        ({"FACEDETECT_BACKEND": "aws"}, "FACEDETECT_S3_BUCKET"),
        ({"FACEDETECT_DETECTOR": "yunet"}, "FACEDETECT_YUNET_MODEL"),
        ({"FACEDETECT_SCALE_FACTOR": "1.0"}, "FACEDETECT_SCALE_FACTOR"),
        ({"FACEDETECT_MIN_NEIGHBORS": "-1"}, "FACEDETECT_MIN_NEIGHBORS"),
        ({"FACEDETECT_MAX_DIMENSION": "10"}, "FACEDETECT_MAX_DIMENSION"),
        ({"FACEDETECT_YUNET_SCORE_THRESHOLD": "2"}, "FACEDETECT_YUNET_SCORE_THRESHOLD"),
        ({"FACEDETECT_WORK_BUDGET_MP": "0"}, "FACEDETECT_WORK_BUDGET_MP"),
        ({"FACEDETECT_WORK_BUDGET_MP": "nan"}, "FACEDETECT_WORK_BUDGET_MP"),
        ({"FACEDETECT_WORK_BUDGET_MP": "lots"}, "FACEDETECT_WORK_BUDGET_MP"),
    ],
)
def test_bad_values_raise_one_line_naming_the_variable(clean_env: pytest.MonkeyPatch, env: dict[str, str],
                                                      variable: str) -> None:
    for name, value in env.items():
        clean_env.setenv(name, value)
    with pytest.raises(ConfigurationError) as info:
        load_settings()
    message = info.value.message
    assert variable in message
    assert "\n" not in message and len(message) < 200
    assert "pydantic" not in message.lower() and "errors.pydantic.dev" not in message


def test_bad_override_names_the_variable_too(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="FACEDETECT_MAX_PIXELS"):
        load_settings(max_pixels="lots")
    with pytest.raises(ConfigurationError, match="FACEDETECT_COLOUR"):
        load_settings(colour="blue")


def test_detector_options_follow_the_detector(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    haar = load_settings(min_neighbors=2, max_dimension=640).detector_options()
    assert haar["min_neighbors"] == 2 and haar["max_dimension"] == 640 and "yunet_model" not in haar
    yunet = load_settings(detector="yunet", yunet_model=tmp_path / "m.onnx").detector_options()
    assert yunet["yunet_model"] == str(tmp_path / "m.onnx") and "min_neighbors" not in yunet
    assert not yunet["small_faces"]


def test_small_faces_and_haar_multi_settings(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("FACEDETECT_YUNET_SMALL_FACES", "true")
    yunet = load_settings(detector="yunet", yunet_model=tmp_path / "m.onnx").detector_options()
    assert yunet["small_faces"] is True
    multi = load_settings(detector="haar-multi", scale_factor=1.3, min_size=20).detector_options()
    assert multi == {"min_size": 20, "max_size": None, "max_dimension": None}, "its pyramid steps are its own"
    with pytest.raises(ConfigurationError, match="FACEDETECT_DETECTOR"):
        load_settings(detector="haar-many")


# --- bootstrap ------------------------------------------------------------------------------


def test_bootstrap_memory(clean_env: pytest.MonkeyPatch) -> None:
    service = bootstrap(backend="memory", min_neighbors=4, max_bytes=10_000_000)
    assert isinstance(service, FaceDetectionService)
    assert service.describe() == {"detector": "haar", "images": InMemoryImageStore.__name__,
                                  "detections": InMemoryDetectionRepository.__name__}
    assert service.limits.max_bytes == 10_000_000
    detection = service.detect(imagegen.jpeg())
    assert detection.parameters["min_neighbors"] == 4
    assert len(detection.faces) == 1 and service.get(detection.id) == detection


def test_bootstrap_filesystem(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    service = bootstrap(backend="filesystem", data_dir=tmp_path)
    assert service.describe()["images"] == FilesystemImageStore.__name__
    assert service.describe()["detections"] == FilesystemDetectionRepository.__name__
    detection = service.detect(imagegen.png(imagegen.astronaut()[::2, ::2]))
    assert (tmp_path / "images" / detection.image_key).is_file()
    assert (tmp_path / "detections" / f"{detection.id}.json").is_file()


def test_bootstrap_reads_the_environment(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("FACEDETECT_BACKEND", "filesystem")
    clean_env.setenv("FACEDETECT_DATA_DIR", str(tmp_path / "env-data"))
    clean_env.setenv("FACEDETECT_MAX_PIXELS", "1000")
    service = bootstrap()
    assert service.limits.max_pixels == 1000
    assert (tmp_path / "env-data" / "images").is_dir()


def test_bootstrap_settings_plus_overrides(clean_env: pytest.MonkeyPatch) -> None:
    base = load_settings(backend="memory", min_neighbors=7)
    service = bootstrap(base, min_neighbors=2)
    assert service.detect(imagegen.jpeg(), store=False).parameters["min_neighbors"] == 2
    assert service.describe()["images"] == InMemoryImageStore.__name__


def test_bootstrap_uses_the_parts_handed_in(clean_env: pytest.MonkeyPatch) -> None:
    images, detections = InMemoryImageStore(), InMemoryDetectionRepository()
    detector = create_detector("haar", min_neighbors=3)
    service = bootstrap(images=images, detections=detections, detector=detector, backend="filesystem")
    detection = service.detect(imagegen.jpeg())
    assert list(images.objects) == [detection.image_key] and list(detections.items) == [detection.id]
    assert detection.parameters["min_neighbors"] == 3  # the detector handed in, not the settings' one
    with pytest.raises(ConfigurationError, match="both"):
        bootstrap(images=InMemoryImageStore())


def test_bootstrap_gives_the_service_a_cache_for_per_request_options(clean_env: pytest.MonkeyPatch) -> None:
    service = bootstrap(backend="memory")
    tuned = service.detector_for({"min_neighbors": 2, "scale_factor": None})
    assert tuned is service.detector_for({"min_neighbors": 2})  # built once, then reused
    assert tuned.parameters["min_neighbors"] == 2
    assert service.detector_for({"min_neighbors": None}).parameters["min_neighbors"] == 5  # its own


def test_bootstrap_bad_configuration(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="FACEDETECT_BACKEND"):
        bootstrap(backend="nope")
    with pytest.raises(InvalidInput, match="cascade"):
        bootstrap(backend="memory", cascade="nope.xml")


def test_bootstrap_yunet(clean_env: pytest.MonkeyPatch, yunet_model: Path) -> None:
    service = bootstrap(backend="memory", detector="yunet", yunet_model=yunet_model)
    assert service.detector_name == "yunet"
    assert len(service.detect(imagegen.jpeg()).faces) == 1


# --- import cost ----------------------------------------------------------------------------


def test_importing_facedetect_loads_neither_opencv_nor_numpy() -> None:
    code = ("import sys, facedetect, facedetect.domain.model, facedetect.errors; "
            "print(sorted(m for m in ('cv2', 'numpy', 'PIL', 'pydantic') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    assert out.stdout.strip() == "[]"


def test_the_work_budget_reaches_the_service_and_explicit_values_win(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("FACEDETECT_WORK_BUDGET_MP", "12.5")
    assert bootstrap(backend="memory").work_budget_mp == 12.5
    assert bootstrap(backend="memory", work_budget_mp=99).work_budget_mp == 99
