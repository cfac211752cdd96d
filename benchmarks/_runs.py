"""Timed runs on a shared machine: wait for a lull, measure, and summarise clean runs apart."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from _common import busy_cpu_seconds, wait_for_quiet


def measured(run: Callable[[], float], images: int, quiet: float, wait_s: float) -> dict[str, float]:
    """Wait for a lull, then ``run()``: images/s, own CPU ms/image, own CPU use, others' cores."""
    wait_for_quiet(quiet, wait_s)
    cpu, busy, start = time.process_time(), busy_cpu_seconds(), time.perf_counter()
    child_cpu = run()
    seconds = time.perf_counter() - start
    own = time.process_time() - cpu + child_cpu
    return {"images_per_s": images / seconds, "cpu_ms_per_image": 1e3 * own / images, "cpu_use": own / seconds,
            "others_cores": max(0.0, busy_cpu_seconds() - busy - own) / seconds}


def summarise(samples: dict[str, list[dict[str, float]]], baseline: str, quiet: float) -> dict[str, Any]:
    """Per variant: medians over all runs and over clean runs; speed-ups against ``baseline``."""
    def clean_rate(name: str) -> float | None:
        rates = [s["images_per_s"] for s in samples[name] if s["others_cores"] <= quiet]
        return statistics.median(rates) if rates else None

    base_clean = clean_rate(baseline)
    out = {}
    for name, runs in samples.items():
        paired = [s["images_per_s"] / b["images_per_s"] for s, b in zip(runs, samples[baseline], strict=True)]
        clean = clean_rate(name)
        out[name] = {
            "images_per_s_median": round(statistics.median(s["images_per_s"] for s in runs), 3),
            "speedup_paired_median": round(statistics.median(paired), 3),
            "clean_runs": sum(s["others_cores"] <= quiet for s in runs),
            "images_per_s_clean": round(clean, 3) if clean else None,
            "speedup_clean": round(clean / base_clean, 3) if clean and base_clean else None,
            **{k: round(statistics.median(s[k] for s in runs), 2) for k in runs[0] if k != "images_per_s"},
            "runs": [{k: round(v, 3) for k, v in s.items()} for s in runs],
        }
    return out


