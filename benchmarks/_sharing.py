"""Detectors under concurrent use: one classifier per thread against a shared queue of classifiers."""

from __future__ import annotations

import argparse
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import cv2
import numpy as np
from _common import rotated
from _runs import measured, summarise

CASCADE = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"


class QueuePool:
    """A fixed set of classifiers shared by any number of threads through a queue."""

    def __init__(self, size: int) -> None:
        self._free: queue.Queue[Any] = queue.Queue()
        for _ in range(size):
            self._free.put(cv2.CascadeClassifier(CASCADE))

    def detect(self, grey: np.ndarray) -> Any:
        classifier = self._free.get()
        try:
            return classifier.detectMultiScale2(grey, scaleFactor=1.1, minNeighbors=5)
        finally:
            self._free.put(classifier)


class ThreadLocal:
    """One classifier per thread, made on the thread's first call (what HaarCascadeDetector does)."""

    def __init__(self) -> None:
        self._local = threading.local()

    def detect(self, grey: np.ndarray) -> Any:
        classifier = getattr(self._local, "classifier", None)
        if classifier is None:
            classifier = self._local.classifier = cv2.CascadeClassifier(CASCADE)
        return classifier.detectMultiScale2(grey, scaleFactor=1.1, minNeighbors=5)


def detector_sharing(files: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """Concurrent detection on decoded grey images, OpenCV single-threaded: thread-local vs a queue."""
    greys = [cv2.imread(f, cv2.IMREAD_GRAYSCALE) for f in files]
    cv2.setNumThreads(1)
    size = os.cpu_count() or 1
    strategies: dict[str, Callable[[], Any]] = {
        "thread-local": ThreadLocal, f"queue-of-{size}": lambda: QueuePool(size)}
    samples: dict[str, list[dict[str, float]]] = {}
    for r in range(args.rounds):
        for threads in (int(t) for t in args.threads.split(",")):
            for name in rotated(list(strategies), r):
                def run(make: Callable[[], Any] = strategies[name], threads: int = threads) -> float:
                    detector = make()  # fresh each run: making the classifiers is part of the cost
                    with ThreadPoolExecutor(threads) as pool:
                        list(pool.map(detector.detect, greys))
                    return 0.0

                key = f"{name} x{threads} threads"
                samples.setdefault(key, []).append(measured(run, len(greys), args.quiet, args.wait))
                print(f"  round {r + 1}: {key} {samples[key][-1]['images_per_s']:.2f} images/s, "
                      f"others {samples[key][-1]['others_cores']:.2f} cores", flush=True)
    cv2.setNumThreads(-1)
    return summarise(samples, next(iter(samples)), args.quiet)


