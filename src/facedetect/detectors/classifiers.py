"""Lending OpenCV classifiers out one detection at a time, so they give their memory back.

``cv2.CascadeClassifier`` keeps the buffers of the largest image pyramid it has scanned:
about :data:`BYTES_PER_PYRAMID_PIXEL` bytes for each pixel of every pyramid level, 1.2 GB
after one 24-megapixel photo at the default ``scale_factor=1.1``. A fresh one loads in
~30 ms but must fault its buffers in again during its first scan (10-40 % slower). So a
:class:`ClassifierPool` keeps a few classifiers whose largest pyramid was small and drops
the others after the detection (``benchmarks/classifier_memory.py`` measured the choice).

YuNet's ``cv2.FaceDetectorYN`` networks are lent from the same pool: they hold ~60 bytes per
pixel of their input (:data:`facedetect.detectors.yunet.BYTES_PER_INPUT_PIXEL`), so the pool
keeps those that saw small inputs and drops the others in the same way.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from facedetect.domain.budget import haar_pyramid
from facedetect.errors import DetectionResourcesExhausted

#: Bytes a Haar classifier keeps per pyramid pixel (measured 9.4-10.7 on OpenCV 4.14; rounded up).
BYTES_PER_PYRAMID_PIXEL = 11
#: Idle classifiers whose buffers are estimated above this are dropped, not kept (~2.2 MP at 1.1).
KEEP_BYTES = 128 * 2**20

_ALLOCATION_FAILURES = ("insufficient memory", "failed to allocate", "out of memory")


def pyramid_buffer_bytes(
    width: int,
    height: int,
    scale_factor: float,
    min_size: tuple[int, int] | None = None,
    max_size: tuple[int, int] | None = None,
) -> int:
    """Estimated bytes a Haar classifier keeps after scanning a ``width`` x ``height`` image.

    The pixels of the pyramid levels ``detectMultiScale`` builds (:func:`facedetect.domain.budget.haar_pyramid`,
    which replays OpenCV's scale loop within ``min_size``/``max_size``) times the bytes each keeps.
    """
    return int(haar_pyramid(width, height, scale_factor, min_size, max_size).pixels * BYTES_PER_PYRAMID_PIXEL)


def is_allocation_failure(exc: BaseException) -> bool:
    """Whether ``exc`` says memory ran out (``MemoryError``, or OpenCV's allocation ``cv2.error``)."""
    if isinstance(exc, MemoryError):
        return True
    if "cv2" not in sys.modules or not isinstance(exc, sys.modules["cv2"].error):
        return False
    # Not ``exc.code``: OpenCV's binding sets it on the cv2.error *class*, so it is the last error's, any thread's.
    return any(phrase in str(exc).lower() for phrase in _ALLOCATION_FAILURES)


def return_freed_memory() -> None:
    """Ask glibc to hand freed heap pages back to the OS (``malloc_trim``); elsewhere a no-op."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes  # lazily: ~20 ms to import, and only needed after a large scan

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):  # musl, or no glibc: nothing to trim
        pass


class IdleBudget:
    """Bytes that idle classifiers of several pools may hold together (thread-safe).

    Parameters
    ----------
    limit_bytes
        The most the pools sharing this budget keep idle, by :func:`pyramid_buffer_bytes`.
    """

    def __init__(self, limit_bytes: int) -> None:
        self.limit_bytes = limit_bytes
        self._held = 0
        self._lock = threading.Lock()

    @property
    def held_bytes(self) -> int:
        """Bytes idle classifiers hold now."""
        with self._lock:
            return self._held

    def try_hold(self, n: int) -> bool:
        """Take ``n`` bytes of the budget if they fit; whether they did."""
        with self._lock:
            if self._held + n > self.limit_bytes:
                return False
            self._held += n
            return True

    def free(self, n: int) -> None:
        """Give back ``n`` bytes taken by :meth:`try_hold`."""
        with self._lock:
            self._held -= n


class ClassifierPool:
    """Classifiers of one cascade (or networks of one model), lent to one detection at a time.

    Any thread may borrow one; none is used by two detections at once.

    Parameters
    ----------
    load
        Makes a fresh classifier or network (raises if the cascade or model cannot be read).
    keep_bytes
        A classifier whose last scan is estimated above this many bytes is dropped after it.
    max_idle
        How many idle classifiers to keep; default the number of CPUs, as many as detect at once
        when detections are admitted one per core.
    budget
        Shared with other pools: an idle classifier is kept only while its bytes fit in it.

    Notes
    -----
    The memory an idle pool holds is at most ``max_idle * keep_bytes`` (and within
    ``budget``) plus the cascades themselves (about 2 MB each).
    """

    def __init__(self, load: Callable[[], Any], *, keep_bytes: int = KEEP_BYTES, max_idle: int | None = None,
                 budget: IdleBudget | None = None) -> None:
        self._load = load
        self.keep_bytes = keep_bytes
        self.max_idle = max_idle if max_idle is not None else os.cpu_count() or 2
        self._budget = budget
        self._idle: list[tuple[Any, int]] = []  # (classifier, estimated bytes it holds)
        self._lock = threading.Lock()

    @property
    def retained_bytes(self) -> int:
        """Estimated bytes the idle classifiers hold in buffers."""
        with self._lock:
            return sum(held for _, held in self._idle)

    @property
    def idle(self) -> int:
        """How many classifiers wait, unused."""
        with self._lock:
            return len(self._idle)

    def warm(self) -> None:
        """Load one classifier now (so a bad cascade fails at start-up) and keep it idle."""
        self._keep(self._load(), 0)

    def release(self) -> None:
        """Drop every idle classifier and the memory it holds."""
        with self._lock:
            dropped, self._idle = self._idle, []
        held = sum(n for _, n in dropped)
        del dropped
        if self._budget is not None:
            self._budget.free(held)
        if held:
            return_freed_memory()

    def close(self) -> None:
        """Drop the idle classifiers and keep none from now on (classifiers lent out are dropped on return)."""
        with self._lock:
            self.max_idle = 0
        self.release()

    @contextmanager
    def lend(self, buffer_bytes: int) -> Iterator[Any]:
        """A classifier for one scan estimated at ``buffer_bytes``; given back or dropped after it.

        A borrower that deletes its name for the classifier before the block ends lets a dropped
        one be freed before ``malloc_trim`` runs (it matters for buffers on the heap, not mmapped ones).

        Raises
        ------
        DetectionResourcesExhausted
            Memory ran out during the scan (the classifier is dropped).
        """
        with self._lock:
            classifier, held = self._idle.pop() if self._idle else (None, 0)
        if classifier is None:
            classifier = self._load()
        elif self._budget is not None:
            self._budget.free(held)
        try:
            yield classifier
        except Exception as exc:
            if is_allocation_failure(exc):
                del classifier
                return_freed_memory()
                raise DetectionResourcesExhausted(
                    "The server ran out of memory for this detection; retry later, or send a smaller image."
                ) from None
            raise
        held = max(held, buffer_bytes)
        if not self._keep(classifier, held):
            del classifier  # the last reference, once the borrower has let go of it
            if held:
                return_freed_memory()

    def _keep(self, classifier: Any, held: int) -> bool:
        """Keep ``classifier`` idle if it is small enough and there is room; whether it was kept."""
        with self._lock:
            if (held <= self.keep_bytes and len(self._idle) < self.max_idle
                    and (self._budget is None or self._budget.try_hold(held))):
                self._idle.append((classifier, held))
                return True
        return False
