"""What a detection will cost, known before decoding, and the working size that fits a budget.

The unit of work is the **pyramid megapixel**: OpenCV's Haar cascade packs every scale of the
image pyramid side by side in one buffer (rows as wide as the largest level) and keeps about
8 bytes per buffer pixel (integral sum and squared sum); its time grows with the same area.
:func:`haar_pyramid` replays OpenCV's own scale loop (``cascadedetect.cpp``): a window of
24 x 24 pixels grown by ``scale_factor`` until it exceeds the image or ``max_size``, levels
whose window is under ``min_size`` skipped (those are the *largest* levels). So the work is
about ``P / (1 - 1/s**2)`` for ``P`` pixels and step ``s``: 5.8 P at the default 1.1, 50 P at 1.01.
YuNet runs one pass over its input; its cost per input pixel is weighed in the same unit
(:data:`YUNET_WORK_PER_PIXEL`).

Everything here is arithmetic on sizes: no OpenCV, no pixels.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: The window of OpenCV's frontal-face cascades, pixels.
HAAR_WINDOW = (24, 24)
#: Default work budget, pyramid megapixels: with the default Haar options every image up to 5.75
#: megapixels, whatever its shape, fits (about 6.5 MP for 4:3 and 3:2 photos; 3000x2000 costs 43.7),
#: so it is detected at full resolution, as the seed does.
DEFAULT_WORK_BUDGET_MP = 48.0
#: YuNet's work per input pixel in pyramid pixels: its activations take ~72 MB per input megapixel,
#: about 9x the ~8 bytes a Haar buffer pixel takes (measured: docs/benchmarks.md, bounded work).
YUNET_WORK_PER_PIXEL = 9.0
#: At most this many faces are kept per detection (``min_neighbors=0`` returns every raw hit).
MAX_FACES = 1000
#: Seconds per pyramid megapixel assumed before this process has measured its own: a slow
#: fraction of a vCPU (1024 MB Lambda, ~0.6 vCPU) with room to spare; see docs/deploy.md.
CONSERVATIVE_SECONDS_PER_MP = 0.25
#: Seconds per decoded megapixel (Pillow, full decode, before draft mode shrinks it).
DECODE_SECONDS_PER_MP = 0.03


@dataclass(frozen=True, slots=True)
class Pyramid:
    """The Haar image pyramid of one image: level count, total area and OpenCV's buffer area."""

    levels: int
    pixels: int
    buffer_pixels: int


@dataclass(frozen=True, slots=True)
class WorkPlan:
    """How one image will be detected: at ``scale`` (1.0 = full size), ``width`` x ``height`` pixels.

    ``work`` is the predicted cost in pyramid megapixels at that size; ``full_work`` at full size.
    """

    scale: float
    width: int
    height: int
    work: float
    full_work: float

    @property
    def downscaled(self) -> bool:
        return self.scale < 1.0


#: How much YuNet's small-faces pass enlarges the image (its work grows with the square).
SMALL_FACES_UPSCALE = 1.5


def haar_pyramid(width: int, height: int, scale_factor: float, min_size: tuple[int, int] | None = None,
                 max_size: tuple[int, int] | None = None, window: tuple[int, int] = HAAR_WINDOW) -> Pyramid:
    """The levels ``detectMultiScale`` builds for a ``width`` x ``height`` image, as OpenCV lays them out."""
    max_w, max_h = max_size or (width, height)
    min_w, min_h = min_size or (0, 0)
    scales: list[float] = []
    factor = 1.0
    while True:
        win_w, win_h = round(window[0] * factor), round(window[1] * factor)
        if win_w > width or win_h > height or win_w > max_w or win_h > max_h:
            break
        if win_w >= min_w and win_h >= min_h:
            scales.append(factor)
        factor *= scale_factor
    if not scales:
        return Pyramid(0, 0, 0)
    # FeatureEvaluator::updateScaleData: levels of (w+1) x (h+1) packed left to right in rows as wide
    # as the largest level (aligned to 32); a level that does not fit starts a new row.
    sizes = [(round(width / s) + 1, round(height / s) + 1) for s in scales]
    row_width = (sizes[0][0] - 1 + 31 + 31) // 32 * 32
    x = y = 0
    row_height = sizes[0][1]
    for w, h in sizes:
        if x + w > row_width:
            x, y, row_height = 0, y + row_height, h
        x += w
    return Pyramid(len(scales), sum(w * h for w, h in sizes), row_width * (y + row_height))


def work_mp(detector: str, parameters: Mapping[str, Any], width: int, height: int) -> float:
    """Predicted work of ``detector`` with ``parameters`` on a ``width`` x ``height`` image, pyramid MP.

    ``min_size`` and ``max_size`` are taken as given (pixels of *this* image).
    """
    if detector == "haar":
        pyramid = haar_pyramid(width, height, float(parameters.get("scale_factor") or 1.1),
                               _size(parameters.get("min_size")), _size(parameters.get("max_size")))
        return pyramid.buffer_pixels / 1e6
    weight = YUNET_WORK_PER_PIXEL if detector == "yunet" else 1.0
    if parameters.get("small_faces"):  # a second pass on the image enlarged 1.5x (detectors/yunet_small.py)
        weight *= 1.0 + SMALL_FACES_UPSCALE**2
    return weight * width * height / 1e6


def plan_work(detector: str, parameters: Mapping[str, Any], width: int, height: int,
              budget_mp: float | None) -> WorkPlan:
    """The largest working size within ``parameters['max_dimension']`` whose work fits ``budget_mp``.

    Size options (``min_size``, ``max_size``) are in original pixels and shrink with the image,
    so the work falls with the square of the scale; the scale is found from that and then
    stepped down until the replayed pyramid fits. ``None`` means no budget.
    """
    full = work_mp(detector, parameters, width, height)
    scale = 1.0
    max_dimension = parameters.get("max_dimension")
    if max_dimension and max(width, height) > max_dimension:
        scale = max_dimension / max(width, height)
    work = _scaled_work(detector, parameters, width, height, scale) if scale < 1.0 else full
    if budget_mp is not None and work > budget_mp:
        scale *= math.sqrt(budget_mp / work)
        while (work := _scaled_work(detector, parameters, width, height, scale)) > budget_mp:
            scale *= 0.98
    w, h = scaled_size(width, height, scale)
    return WorkPlan(scale=scale, width=w, height=h, work=work, full_work=full)


def scaled_size(width: int, height: int, scale: float) -> tuple[int, int]:
    """The pixel size of a ``width`` x ``height`` image resized by ``scale`` (what ``max_dimension`` gives)."""
    if scale >= 1.0:
        return width, height
    return max(1, round(width * scale)), max(1, round(height * scale))


def _scaled_work(detector: str, parameters: Mapping[str, Any], width: int, height: int, scale: float) -> float:
    w, h = scaled_size(width, height, scale)
    scaled = dict(parameters)
    for name in ("min_size", "max_size"):
        size = _size(parameters.get(name))
        if size is not None:
            scaled[name] = tuple(max(1, round(v * scale)) for v in size)
    return work_mp(detector, scaled, w, h)


def _size(value: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    if isinstance(value, int):
        return (value, value)
    return (int(value[0]), int(value[1]))


class WorkRate:
    """Predicts how long a detection takes: work x seconds per pyramid megapixel, decode added.

    Until this process has timed detections of at least ``min_work_mp``, the rate is
    :data:`CONSERVATIVE_SECONDS_PER_MP`; then it is the slowest of the last ``window`` measured
    (the machine may be shared, or the function's CPU share small). Thread-safe.
    """

    def __init__(self, seconds_per_mp: float = CONSERVATIVE_SECONDS_PER_MP, *, window: int = 8,
                 min_work_mp: float = 1.0) -> None:
        self._prior = seconds_per_mp
        self._min_work = min_work_mp
        self._seen: deque[float] = deque(maxlen=window)
        self._lock = threading.Lock()

    @property
    def seconds_per_mp(self) -> float:
        with self._lock:
            return max(self._seen) if self._seen else self._prior

    def predict(self, plan: WorkPlan, full_pixels: int) -> float:
        """Seconds to decode ``full_pixels`` and detect as ``plan`` says."""
        return plan.work * self.seconds_per_mp + DECODE_SECONDS_PER_MP * full_pixels / 1e6

    def observe(self, work_mp: float, seconds: float) -> None:
        """Record a detection of ``work_mp`` that took ``seconds`` (tiny ones are ignored: overhead)."""
        if work_mp >= self._min_work:
            with self._lock:
                self._seen.append(seconds / work_mp)
