"""Admission for uploads: detections run on a few slots, the rest wait briefly or get 503.

A detection is CPU- and memory-heavy; a read is cheap. Without a bound, a burst of costly
uploads takes every worker thread and ``GET /faces`` or the upload page wait behind them
(and memory grows with each detection at once). The gate lets ``slots`` uploads run,
``waiting`` more wait up to ``wait_seconds`` for a slot, and answers the rest at once:
503 with ``Retry-After``. The server gives the gate fewer threads than it has (see
:func:`plan`), so reads always find a free one.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

logger = logging.getLogger(__name__)

#: How long an upload waits for a detection slot by default, seconds.
DEFAULT_UPLOAD_WAIT_SECONDS = 5.0
#: Worker threads kept for everything but uploads (reads, pages, docs), when there are enough.
READ_THREADS = 4


class ServerBusy(Exception):
    """No detection slot came free in time."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"every detection slot is busy; retry after {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds


@dataclass(frozen=True)
class Plan:
    """How the server's worker threads are shared: ``slots`` detect, ``waiting`` may wait, the rest read."""

    threads: int
    slots: int
    waiting: int

    @property
    def read_threads(self) -> int:
        return self.threads - self.slots - self.waiting


def default_slots() -> int:
    """One detection per core (at least one)."""
    return max(1, os.cpu_count() or 1)


def plan(*, slots: int | None = None, threads: int | None = None) -> Plan:
    """Share ``threads`` worker threads (default: enough for all) between detections, waiting uploads and reads.

    Reads keep up to :data:`READ_THREADS` threads and never fewer than one; ``slots`` (default
    one per core) is lowered to fit; the threads left over are for uploads waiting for a slot
    (by default, as many as run).

    >>> plan(slots=2)
    Plan(threads=8, slots=2, waiting=2)
    >>> plan(slots=2, threads=4)
    Plan(threads=4, slots=2, waiting=0)
    >>> plan(slots=2, threads=20)
    Plan(threads=20, slots=2, waiting=14)
    """
    wanted = slots or default_slots()
    if threads is None:
        return Plan(wanted * 2 + READ_THREADS, wanted, wanted)
    if threads < 2:
        return Plan(threads, threads, 0)  # one thread: uploads and reads take turns
    running = min(wanted, threads - 1)
    reserved = min(READ_THREADS, threads - running)
    return Plan(threads, running, max(0, threads - running - reserved))


class AdmissionGate:
    """At most ``slots`` holders at once; ``waiting`` more wait up to ``wait_seconds``; others are refused.

    Parameters
    ----------
    slots, waiting
        Uploads running at once, and uploads allowed to wait for one of them.
    wait_seconds
        The longest an upload waits before :class:`ServerBusy`.
    """

    def __init__(self, slots: int, waiting: int, wait_seconds: float) -> None:
        self.slots, self.waiting, self.wait_seconds = slots, waiting, wait_seconds
        self._running = 0
        self._queued = 0
        self._changed = threading.Condition()

    @property
    def retry_after_seconds(self) -> int:
        return max(1, math.ceil(self.wait_seconds))

    def counts(self) -> tuple[int, int]:
        """``(running, waiting)`` now."""
        with self._changed:
            return self._running, self._queued

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a detection slot for the ``with`` block; raises :class:`ServerBusy` when none comes free."""
        self._acquire()
        started = time.monotonic()
        try:
            yield
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify_all()
                logger.info("detection slot freed after %.1f s: %d of %d busy, %d waiting",
                            time.monotonic() - started, self._running, self.slots, self._queued)

    def _acquire(self) -> None:
        with self._changed:
            if self._running < self.slots and not self._queued:  # nobody waits before this one
                self._running += 1
                logger.info("upload admitted: %d of %d detection slots busy, %d waiting",
                            self._running, self.slots, self._queued)
                return
            # Waiters that a freed slot has just woken still count as queued until they run: compare
            # the total, so a request arriving in that moment is not refused while a slot is free.
            if self._running + self._queued >= self.slots + self.waiting:
                logger.warning("upload refused (503): %d of %d detection slots busy, %d waiting",
                               self._running, self.slots, self._queued)
                raise ServerBusy(self.retry_after_seconds)
            self._queued += 1
            logger.info("upload waiting for a detection slot: %d of %d busy, %d waiting",
                        self._running, self.slots, self._queued)
            deadline = time.monotonic() + self.wait_seconds
            try:
                while self._running >= self.slots:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        logger.warning("upload refused (503) after waiting %.1f s: %d of %d detection slots busy",
                                       self.wait_seconds, self._running, self.slots)
                        raise ServerBusy(self.retry_after_seconds)
                    self._changed.wait(remaining)
                self._running += 1
            finally:
                self._queued -= 1
            logger.info("upload admitted after waiting: %d of %d detection slots busy, %d waiting",
                        self._running, self.slots, self._queued)
