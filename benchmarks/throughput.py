"""Directory throughput of facedetect (read + decode + default Haar), one worker against two.

Strategies, each run on the same N image files in rounds, the order rotated each round:

- ``sequential``: one image at a time, OpenCV single-threaded (``1t``, the baseline) or with its
  own threads (``cv``);
- ``threads-K``: a thread pool of K workers sharing facedetect's (thread-local) detector;
- ``processes-K``: a process pool of K spawned workers (warmed before timing; start-up reported apart);
- ``cli --workers K``: the real command, ``facedetect detect DIR --no-store --workers K``, in its own
  process (start-up included; with ``--workers 1`` the CLI leaves OpenCV its own threads).

Then concurrent use of detectors (``_sharing.py``): thread-local classifiers against a shared queue.
The machine is shared, so each run first waits for a lull, and records how many cores other
processes used meanwhile (``others``); "clean" figures use only runs where that stayed low.

    /work/venv311/bin/python benchmarks/throughput.py --limit 24
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from _common import machine, print_table, rotated, wider_files, write_result
from _runs import measured, summarise
from _sharing import detector_sharing

from facedetect import detect_faces

BASELINE = "sequential-1t"
WARM_PAUSE_S = 0.3


def detect_file(path: str) -> float:
    """The per-image work of ``facedetect detect DIR --no-store``: read, decode, detect.

    Returns this process's CPU seconds for it: exact in a process-pool worker (one task at a
    time); in-process runs measure their CPU around the whole run instead.
    """
    start = time.process_time()
    detect_faces(path)
    return time.process_time() - start


def _init_worker(opencv_threads: int) -> None:
    cv2.setNumThreads(opencv_threads)


def _warm(pause: float) -> None:
    """Load the detector in this worker, then hold on so that each worker gets one warm-up task."""
    detect_faces(np.zeros((64, 64, 3), np.uint8))
    time.sleep(pause)


def run_cli(directory: str, workers: int) -> float:
    """``facedetect detect DIRECTORY --no-store --workers N``; returns the CPU seconds it used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [str(Path(sys.executable).with_name("facedetect")), "detect", directory, "--no-store",
               "--workers", str(workers)]
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


@contextmanager
def strategy(kind: str, workers: int, opencv_threads: int) -> Iterator[tuple[Callable[[list[str]], float], float]]:
    """A warm runner for ``kind`` (returning CPU spent in child processes) and its start-up seconds."""
    cv2.setNumThreads(opencv_threads)
    if kind == "cli":
        yield (lambda files: run_cli(os.path.dirname(files[0]), workers)), 0.0
        return
    if kind == "sequential":
        _warm(0.0)

        def run_sequential(files: list[str]) -> float:
            for f in files:
                detect_file(f)
            return 0.0

        yield run_sequential, 0.0
        return
    start = time.perf_counter()
    pool: Executor
    if kind == "threads":
        pool = ThreadPoolExecutor(workers)
    else:  # spawn: forking after OpenCV has started its threads is unsafe
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_init_worker, initargs=(opencv_threads,))
    with pool:
        list(pool.map(_warm, [WARM_PAUSE_S] * workers))
        startup = max(0.0, time.perf_counter() - start - WARM_PAUSE_S)

        def run_pool(files: list[str]) -> float:
            child_cpu = list(pool.map(detect_file, files))
            return sum(child_cpu) if kind == "processes" else 0.0

        yield run_pool, startup


def directory_throughput(files: list[str], args: argparse.Namespace) -> dict[str, Any]:
    k = args.workers
    variants = {BASELINE: ("sequential", 1, 1), "sequential-cv": ("sequential", 1, -1),
                f"threads-{k}-1t": ("threads", k, 1), f"threads-{k}-cv": ("threads", k, -1),
                f"processes-{k}-1t": ("processes", k, 1), f"processes-{k}-cv": ("processes", k, -1),
                "cli --workers 1": ("cli", 1, -1), f"cli --workers {k}": ("cli", k, -1)}
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    for r in range(args.rounds):
        for name in rotated(list(variants), r):
            with strategy(*variants[name]) as (run, startup):
                sample = measured(lambda run=run: run(files), len(files), args.quiet, args.wait)
            samples[name].append({**sample, "startup_s": startup})
            print(f"  round {r + 1}: {name} {sample['images_per_s']:.2f} images/s, "
                  f"others {sample['others_cores']:.2f} cores", flush=True)
    cv2.setNumThreads(-1)
    return summarise(samples, BASELINE, args.quiet)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=24, help="number of WIDER images (default 24)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="pool size (default: cpus)")
    parser.add_argument("--threads", default="2,8", help="thread counts for the sharing test (default 2,8)")
    parser.add_argument("--quiet", type=float, default=0.3,
                        help="'clean' run: other processes used at most this many cores (default 0.3)")
    parser.add_argument("--wait", type=float, default=60, help="seconds to wait for a lull before a run")
    args = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="facedetect-throughput-")  # the images, linked into one directory
    files = []
    for i, source in enumerate(wider_files(args.limit)):
        files.append(os.path.join(directory, f"{i:04d}.jpg"))
        os.symlink(source, files[-1])
    result: dict[str, Any] = {"benchmark": "throughput", "images": len(files), "args": vars(args),
                              "machine": machine()}
    start = time.perf_counter()
    result["directory"] = directory_throughput(files, args)
    result["sharing"] = detector_sharing(files, args)
    shutil.rmtree(directory)
    result["wall_s"] = round(time.perf_counter() - start, 1)
    path = write_result("throughput", result)
    print(f"\n{len(files)} images, {args.rounds} rounds, load {result['machine']['loadavg']} "
          f"-> {result['loadavg_end']}; clean = others used <= {args.quiet} cores during the run")
    columns = ["images_per_s_median", "speedup_paired_median", "clean_runs", "images_per_s_clean", "speedup_clean",
               "cpu_ms_per_image", "cpu_use", "others_cores"]
    print_table([{"variant": k, **v} for k, v in result["directory"].items()], ["variant", *columns, "startup_s"])
    print(f"(speed-ups against {BASELINE}: one image at a time, OpenCV single-threaded)\n")
    print_table([{"strategy": k, **v} for k, v in result["sharing"].items()],
                ["strategy", "images_per_s_median", "clean_runs", "images_per_s_clean", "cpu_ms_per_image", "cpu_use",
                 "others_cores"])
    print(f"written {path}")


if __name__ == "__main__":
    main()
