"""Per-request detector options (query parameters), with a small cache of the detectors built.

A request that asks for the service's own settings, or for none, uses the service's
detector. Other settings build a Haar detector once and keep it (least recently used
first out), so warm requests with the same options reuse it. The cached detectors share
one :class:`~facedetect.detection.classifiers.IdleBudget`: however many there are, their
idle classifiers hold at most ``idle_bytes`` of buffers between requests.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from facedetect.core.ports import FaceDetector
from facedetect.detection import create_detector
from facedetect.detection.classifiers import IdleBudget
from facedetect.errors import InvalidInput

#: Query parameters that change the detector.
DETECTOR_OPTIONS = ("scale_factor", "min_neighbors", "min_size", "max_dimension")
_HAAR_KEYS = ("cascade", "scale_factor", "min_neighbors", "min_size", "max_size", "max_dimension")

OptionsKey = tuple[tuple[str, Any], ...]

#: Buffer bytes the idle classifiers of all cached detectors may hold together (one ~2 MP scan).
IDLE_BYTES = 128 * 2**20


class DetectorCache:
    """Detectors for per-request options, at most ``maxsize`` of them, thread-safe.

    Parameters
    ----------
    maxsize
        How many distinct option sets to keep.
    factory
        Builds a detector from a name and options (default :func:`create_detector`); it is
        passed ``idle_budget``, shared by every detector of this cache.
    idle_bytes
        Buffer bytes the idle classifiers of all cached detectors may hold together.
    """

    def __init__(self, maxsize: int = 8, factory: Callable[..., FaceDetector] = create_detector,
                 idle_bytes: int = IDLE_BYTES) -> None:
        self.maxsize = maxsize
        self._factory = factory
        self.idle_budget = IdleBudget(idle_bytes)
        self._items: OrderedDict[OptionsKey, FaceDetector] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def clear(self) -> None:
        """Forget every cached detector (and the memory their idle classifiers hold)."""
        with self._lock:
            dropped = list(self._items.values())
            self._items.clear()
        for detector in dropped:
            _close(detector)

    def for_request(self, base: FaceDetector, options: Mapping[str, Any]) -> FaceDetector | None:
        """The detector for ``options`` layered over ``base``; ``None`` means "use ``base``".

        ``options`` maps names of :data:`DETECTOR_OPTIONS` to values (``None`` = not given).

        Raises
        ------
        InvalidInput
            Options were given but ``base`` is not a Haar detector, or a value is out of range.
        """
        given = {name: value for name, value in options.items() if value is not None}
        if not given:
            return None
        if base.name != "haar":
            raise InvalidInput(
                f"Detector options ({', '.join(sorted(given))}) apply to the haar detector only; "
                f"this service uses {base.name!r}."
            )
        current = _haar_options(base.parameters)
        wanted = {**current, **{name: _normalise(name, value) for name, value in given.items()}}
        if wanted == current:
            return None
        key = tuple(sorted(wanted.items()))
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        # outside the lock: loading a cascade takes a moment
        built = self._factory("haar", idle_budget=self.idle_budget, **wanted)
        evicted = []
        with self._lock:
            detector = self._items.setdefault(key, built)
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                evicted.append(self._items.popitem(last=False)[1])
        for gone in (*evicted, *([built] if built is not detector else [])):
            _close(gone)
        return detector


def _close(detector: FaceDetector) -> None:
    """Give back what a detector's idle classifiers hold; it keeps none after (it may still be in use)."""
    classifiers = getattr(detector, "classifiers", None)
    if classifiers is not None:
        classifiers.close()


def _haar_options(parameters: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _normalise(name, parameters.get(name)) for name in _HAAR_KEYS}


def _normalise(name: str, value: Any) -> Any:
    """Sizes as ``(width, height)`` tuples (a single number is a square), so options compare equal."""
    if name in ("min_size", "max_size") and value is not None:
        return (value, value) if isinstance(value, int) else tuple(value)
    return value
