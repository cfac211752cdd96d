"""The ``small_faces`` query option: YuNet services gain or lose the upscaled pass, Haar services refuse it."""

from __future__ import annotations

from pathlib import Path

import pytest

from facedetect.detectors.cache import DetectorCache
from facedetect.detectors.yunet import YuNetDetector
from facedetect.detectors.yunet_small import SmallFacesYuNet
from facedetect.errors import InvalidInput


def test_small_faces_on_a_yunet_service_is_built_once(yunet_model: Path) -> None:
    base = YuNetDetector(yunet_model)
    cache = DetectorCache()
    first = cache.for_request(base, {"small_faces": True})
    assert isinstance(first, SmallFacesYuNet) and first.base is base
    assert cache.for_request(base, {"small_faces": True}) is first
    assert cache.for_request(base, {"small_faces": False}) is None, "false is the service's own detector"
    assert cache.for_request(first, {"small_faces": False}) is base
    assert cache.for_request(first, {"small_faces": True}) is None


def test_small_faces_on_a_haar_service_is_a_bad_option(haar) -> None:
    cache = DetectorCache()
    with pytest.raises(InvalidInput, match=r"small_faces.*yunet"):
        cache.for_request(haar, {"small_faces": True})
    assert cache.for_request(haar, {"small_faces": False}) is None, "asking for nothing is not an error"


def test_haar_options_with_small_faces_on_yunet_are_refused(yunet_model: Path) -> None:
    with pytest.raises(InvalidInput, match=r"scale_factor.*haar"):
        DetectorCache().for_request(YuNetDetector(yunet_model), {"small_faces": True, "scale_factor": 1.2})
