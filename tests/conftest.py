"""Shared fixtures for the facedetect test suite.

Test images come from :mod:`imagegen` (made on the fly); nothing here needs ``../shared``
except the YuNet fixture, which skips cleanly when the model is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from facedetect.detection.haar import HaarCascadeDetector  # cheap: OpenCV loads on first use

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
