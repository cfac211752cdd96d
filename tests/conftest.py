"""Shared fixtures for the facedetect test suite.

Test images come from :mod:`imagegen` (made on the fly); nothing here needs ``../shared``
except the YuNet fixture, which skips cleanly when the model is absent.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from facedetect.detectors.haar import HaarCascadeDetector  # cheap: OpenCV loads on first use

# Two cores shared with other jobs: no per-example deadline, and image strategies are slow-ish.
settings.register_profile(
    "facedetect",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile("thorough", parent=settings.get_profile("facedetect"), max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "facedetect"))

REPO_ROOT = Path(__file__).resolve().parents[1]
YUNET_MODEL = REPO_ROOT / ".." / "shared" / "data" / "models" / "face_detection_yunet_2026may.onnx"


_USER_DIRS = ("XDG_DATA_HOME", "XDG_CACHE_HOME")
_session_home: dict[str, str | None] = {}


def pytest_configure(config: pytest.Config) -> None:
    """Point the per-user data and cache directories at a fresh temporary folder for the whole run.

    No test (nor any process a test starts, which inherits the environment) writes to the real
    home directory, or sees models or detections left there.
    """
    home = tempfile.mkdtemp(prefix="facedetect-tests-home-")
    _session_home["root"] = home
    for name in _USER_DIRS:
        _session_home[name] = os.environ.get(name)
        os.environ[name] = str(Path(home) / name.lower())


def pytest_unconfigure(config: pytest.Config) -> None:
    for name in _USER_DIRS:
        previous = _session_home.get(name)
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous
    if _session_home.get("root"):
        shutil.rmtree(str(_session_home["root"]), ignore_errors=True)


@pytest.fixture
def user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Fresh, empty per-user data and cache directories for one test (``XDG_*_HOME`` under ``tmp_path``)."""
    root = tmp_path / "home"
    for name in _USER_DIRS:
        monkeypatch.setenv(name, str(root / name.lower()))
    return root


@pytest.fixture(scope="session")
def yunet_model() -> Path:
    """Path of the shared YuNet model; skips the test when ``../shared`` does not have it."""
    if not YUNET_MODEL.is_file():
        pytest.skip(f"YuNet model not found at {YUNET_MODEL.resolve()} (../shared is optional)")
    return YUNET_MODEL.resolve()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use ``../shared`` carry the ``shared`` marker (``-m "not shared"`` leaves them out)."""
    for item in items:
        if "yunet_model" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.shared)


@pytest.fixture(scope="session")
def haar() -> HaarCascadeDetector:
    """One default ``HaarCascadeDetector`` for the session (it is thread-safe and stateless)."""
    return HaarCascadeDetector()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Remove every ``FACEDETECT_*`` variable so settings tests see only what they set."""
    for name in list(os.environ):
        if name.startswith("FACEDETECT_"):
            monkeypatch.delenv(name)
    return monkeypatch
