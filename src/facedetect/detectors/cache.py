"""The detectors built for options, cached: the one place detectors are kept for reuse.

:func:`built_detector` serves the library functions (``detect_faces``, ``redact``): one
detector per name, model and options, the 8 most recent kept.

:class:`DetectorCache` serves a service's per-request options (query parameters, upload options);
``bootstrap`` gives each service one.

A request that asks for the service's own settings, or for none, uses the service's
detector. Other settings build a Haar detector once and keep it (least recently used
first out), so warm requests with the same options reuse it. The cached detectors share
one :class:`~facedetect.detectors.classifiers.IdleBudget`: however many there are, their
idle classifiers hold at most ``idle_bytes`` of buffers between requests.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from facedetect.detectors import create_detector
from facedetect.detectors.classifiers import IdleBudget
from facedetect.domain.ports import FaceDetector
from facedetect.errors import InvalidInput

#: Query parameters that change the detector (``small_faces``: YuNet only, the others Haar only).
DETECTOR_OPTIONS = ("scale_factor", "min_neighbors", "min_size", "max_dimension", "small_faces")
_HAAR_KEYS = ("cascade", "scale_factor", "min_neighbors", "min_size", "max_size", "max_dimension")

OptionsKey = tuple[tuple[str, Any], ...]

#: Buffer bytes the idle classifiers of all cached detectors may hold together (one ~2 MP scan).
IDLE_BYTES = 128 * 2**20


@lru_cache(maxsize=8)
def built_detector(kind: str, yunet_model: str | None, options: OptionsKey) -> FaceDetector:
    """The detector ``create_detector(kind, yunet_model=..., **dict(options))`` builds, built once."""
    return create_detector(kind, yunet_model=yunet_model, **dict(options))


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
        small_faces = given.pop("small_faces", None)
        if small_faces is not None and (base.name == "yunet" or small_faces):
            return self._small_faces(base, bool(small_faces), haar_options=sorted(given))
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
        return self._cached(key) or self._remember(key, self._factory("haar", idle_budget=self.idle_budget, **wanted))

    def _cached(self, key: OptionsKey) -> FaceDetector | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def _remember(self, key: OptionsKey, built: FaceDetector) -> FaceDetector:
        """Keep ``built`` under ``key`` (or the one a racing call kept first), least recently used out.

        ``built`` is made outside the lock: loading a cascade or a network takes a moment.
        """
        evicted = []
        with self._lock:
            detector = self._items.setdefault(key, built)
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                evicted.append(self._items.popitem(last=False)[1])
        for gone in (*evicted, *([built] if built is not detector else [])):
            _close(gone)
        return detector

    def _small_faces(self, base: FaceDetector, wanted: bool, *, haar_options: list[str]) -> FaceDetector | None:
        """``base`` with or without YuNet's small-faces pass; ``None`` when that is ``base`` itself."""
        if base.name != "yunet" or haar_options:
            asked = ", ".join(haar_options) if base.name == "yunet" else "small_faces"
            wants = "the haar detector" if base.name == "yunet" else "the yunet detector"
            raise InvalidInput(f"Detector options ({asked}) apply to {wants} only; this service uses {base.name!r}.")
        if bool(base.parameters.get("small_faces")) == wanted:
            return None
        inner = getattr(base, "base", None)
        if not wanted:
            return inner if isinstance(inner, FaceDetector) else None
        key: OptionsKey = (("small_faces", True),)
        found = self._cached(key)
        if found is not None:
            return found
        from facedetect.detectors.yunet import YuNetDetector
        from facedetect.detectors.yunet_small import SmallFacesYuNet

        if not isinstance(base, YuNetDetector):
            raise InvalidInput("small_faces needs the service's own YuNet detector.")
        return self._remember(key, SmallFacesYuNet.wrapping(base))


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
