"""Shared helpers of the benchmark scripts: paths, the WIDER subset, timing summaries, results.

The scripts run on a shared, noisy 2-core machine, so every figure that matters is a ratio
against a baseline measured in the same run, with candidate and baseline interleaved.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
WIDER = SHARED / "data" / "widerface-dev"
YUNET_MODEL = SHARED / "data" / "models" / "face_detection_yunet_2026may.onnx"
SCORER = SHARED / "eval" / "facescore.py"
RESULTS = REPO / "benchmarks" / "results"


def load_module(path: Path, name: str) -> ModuleType:
    """Import a Python file by path (the shared scorer is not a package)."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_truth(limit: int | None) -> dict[str, Any]:
    """``truth.json`` of the WIDER subset, cut to its first ``limit`` images."""
    if not (WIDER / "truth.json").is_file():
        raise SystemExit(f"{WIDER} is missing: these benchmarks need ../shared beside the repo")
    truth: dict[str, Any] = json.loads((WIDER / "truth.json").read_text())
    if limit is not None:
        truth["images"] = truth["images"][:limit]
    return truth


#: The probe images: the first this many dev images, on which the small-faces targets were set.
PROBE_IMAGES = 200


def load_truth_and_probe(step: int, offset: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """``truth.json`` cut to every ``step``-th image from ``offset``, and its images among the probe's.

    Both are truths the scorer takes; the second has no images when the cut misses the probe.
    """
    truth = load_truth(None)
    probe = {im["file"] for im in truth["images"][:PROBE_IMAGES]}
    truth["images"] = truth["images"][offset::step]
    return truth, {"images": [im for im in truth["images"] if im["file"] in probe]}


def wider_files(limit: int | None) -> list[Path]:
    """Paths of the first ``limit`` WIDER images, in ``truth.json`` order."""
    return [WIDER / im["file"] for im in load_truth(limit)["images"]]


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """Median, mean and total of a list of durations, in milliseconds."""
    return {
        "median_ms": round(statistics.median(seconds) * 1e3, 2),
        "mean_ms": round(statistics.fmean(seconds) * 1e3, 2),
        "total_s": round(sum(seconds), 2),
        "n": len(seconds),
    }


def ratio_summary(candidate: Sequence[float], baseline: Sequence[float]) -> dict[str, float]:
    """Candidate/baseline on paired samples: median of per-sample ratios, ratio of sums and of medians."""
    pairs = [c / b for c, b in zip(candidate, baseline, strict=True) if b > 0]
    return {
        "median_of_ratios": round(statistics.median(pairs), 4),
        "ratio_of_totals": round(sum(candidate) / sum(baseline), 4),
        "ratio_of_medians": round(statistics.median(candidate) / statistics.median(baseline), 4),
    }


def rotated(items: Sequence[Any], shift: int) -> list[Any]:
    """``items`` rotated by ``shift``: interleaves run order so no variant always goes first."""
    k = shift % len(items)
    return [*items[k:], *items[:k]]


def timed(fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """Call ``fn(*args)`` and return its result and wall-clock duration in seconds."""
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def busy_cpu_seconds() -> float:
    """CPU seconds all processes on the machine have spent busy since boot (from ``/proc/stat``)."""
    with open("/proc/stat") as fh:
        fields = [int(v) for v in fh.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def wait_for_quiet(max_busy_cores: float, timeout_s: float, probe_s: float = 1.0) -> float:
    """Wait until the machine is less busy than ``max_busy_cores`` over ``probe_s`` (or ``timeout_s``).

    Returns the busy cores seen in the last probe. The machine is shared: other sessions run
    tests in bursts, so waiting for a lull keeps their load out of a parallel speed-up.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        before = busy_cpu_seconds()
        time.sleep(probe_s)
        busy = (busy_cpu_seconds() - before) / probe_s
        if busy <= max_busy_cores or time.monotonic() >= deadline:
            return busy


def machine() -> dict[str, Any]:
    """What the figures were measured on (the load average says how busy the shared box was)."""
    import cv2
    import numpy
    import PIL

    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "opencv": cv2.__version__,
        "opencv_threads": cv2.getNumThreads(),
        "numpy": numpy.__version__,
        "pillow": PIL.__version__,
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


def write_result(name: str, payload: dict[str, Any], directory: Path | None = None) -> Path:
    """Add the end-of-run load average to ``payload`` and write it to ``benchmarks/results/NAME-<time>.json``
    (or into ``directory``)."""
    directory = directory or RESULTS
    directory.mkdir(parents=True, exist_ok=True)
    payload["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    path = directory / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(payload, indent=1) + "\n")
    return path


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """Print ``rows`` as an aligned plain-text table of ``columns``."""
    cells = [[_fmt(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for r in cells:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"
    return str(value)
