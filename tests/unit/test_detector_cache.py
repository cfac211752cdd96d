"""Per-request detector options: the service's detector when nothing changes, else a cached Haar detector."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from support import imagegen

from facedetect.detectors.cache import DetectorCache
from facedetect.detectors.classifiers import pyramid_buffer_bytes
from facedetect.detectors.haar import HaarCascadeDetector
from facedetect.errors import InvalidInput


class RecordingFactory:
    """Builds real Haar detectors and records the options of each build."""

    def __init__(self) -> None:
        self.built: list[dict[str, Any]] = []

    def __call__(self, kind: str, **options: Any) -> HaarCascadeDetector:
        assert kind == "haar"
        self.built.append(options)
        return HaarCascadeDetector(**options)


@pytest.fixture
def factory() -> RecordingFactory:
    return RecordingFactory()


def test_no_options_or_the_services_own_values_use_the_service_detector(haar, factory):
    cache = DetectorCache(factory=factory)
    assert cache.for_request(haar, {"scale_factor": None, "min_size": None}) is None
    assert cache.for_request(haar, {"scale_factor": 1.1, "min_neighbors": 5}) is None
    assert factory.built == [] and len(cache) == 0


def test_other_options_build_once_and_are_reused(haar, factory):
    cache = DetectorCache(factory=factory)
    first = cache.for_request(haar, {"scale_factor": 1.2, "min_size": 30})
    again = cache.for_request(haar, {"min_size": 30, "scale_factor": 1.2, "max_dimension": None})
    assert first is again and len(factory.built) == 1
    assert first.parameters["scale_factor"] == 1.2 and first.parameters["min_size"] == [30, 30]
    assert first.parameters["min_neighbors"] == haar.parameters["min_neighbors"]  # the rest from the service


def test_the_least_recently_used_detector_is_dropped(haar, factory):
    cache = DetectorCache(maxsize=2, factory=factory)
    a = cache.for_request(haar, {"min_neighbors": 1})
    cache.for_request(haar, {"min_neighbors": 2})
    assert cache.for_request(haar, {"min_neighbors": 1}) is a  # touch a: 2 is now the oldest
    cache.for_request(haar, {"min_neighbors": 3})
    assert len(cache) == 2 and len(factory.built) == 3
    assert cache.for_request(haar, {"min_neighbors": 1}) is a
    cache.for_request(haar, {"min_neighbors": 2})
    assert len(factory.built) == 4  # 2 had been evicted
    cache.clear()
    assert len(cache) == 0


def test_options_with_another_detector_are_refused(factory):
    class YuNetLike:
        name = "yunet"
        parameters: ClassVar[dict[str, Any]] = {}

    with pytest.raises(InvalidInput, match="haar detector only"):
        DetectorCache(factory=factory).for_request(YuNetLike(), {"min_neighbors": 2})  # type: ignore[arg-type]
    assert DetectorCache(factory=factory).for_request(YuNetLike(), {"min_neighbors": None}) is None  # type: ignore[arg-type]


def test_values_the_detector_rejects_are_invalid_input(haar):
    with pytest.raises(InvalidInput):
        DetectorCache().for_request(haar, {"scale_factor": 0.5})


def test_the_cached_detectors_idle_classifiers_hold_at_most_the_caches_byte_bound(haar, factory):
    image = imagegen.composite([(100, 50, 0.6)], size=(600, 800))
    one_scan = pyramid_buffer_bytes(800, 600, 1.1)
    cache = DetectorCache(maxsize=8, factory=factory, idle_bytes=one_scan + one_scan // 2)
    detectors = [cache.for_request(haar, {"min_neighbors": n}) for n in (1, 2, 3, 4, 6, 7, 8, 9)]
    for detector in detectors:
        assert detector is not None
        detector.detect(image)
    held = [d.classifiers.retained_bytes for d in detectors]  # type: ignore[union-attr]
    assert sum(held) == cache.idle_budget.held_bytes == one_scan  # one fits in the bound, seven were dropped
    assert sorted(held) == [0] * 7 + [one_scan]


def test_evicted_and_cleared_detectors_give_their_memory_back(haar, factory):
    image = imagegen.composite([(100, 50, 0.6)], size=(600, 800))
    cache = DetectorCache(maxsize=1, factory=factory)
    first = cache.for_request(haar, {"min_neighbors": 1})
    assert first is not None
    first.detect(image)
    assert cache.idle_budget.held_bytes > 0
    second = cache.for_request(haar, {"min_neighbors": 2})  # evicts the first
    assert second is not None and cache.idle_budget.held_bytes == 0
    first.detect(image)  # a request still holding the evicted detector finishes: it keeps nothing
    assert first.classifiers.idle == 0 and cache.idle_budget.held_bytes == 0  # type: ignore[attr-defined]
    second.detect(image)
    assert cache.idle_budget.held_bytes > 0
    cache.clear()
    assert cache.idle_budget.held_bytes == 0
