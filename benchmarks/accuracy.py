"""Accuracy and speed of facedetect's detectors on the WIDER FACE dev subset, against raw OpenCV.

Every configuration runs on every image in the same process, the order rotated per image, so the
shared machine's noise falls on all of them alike. Each is timed end to end from the encoded bytes
(decode + detect; reading the file is excluded). Predictions are scored with ../shared's facescore.

    /work/venv311/bin/python benchmarks/accuracy.py --limit 40
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
from _common import (
    SCORER,
    WIDER,
    YUNET_MODEL,
    load_module,
    load_truth,
    machine,
    print_table,
    ratio_summary,
    rotated,
    summary_ms,
    timed,
    write_result,
)

from facedetect import detect_faces
from facedetect.domain.imaging import decode

Pred = list[list[float]]
BASELINE = "raw-opencv"
CANDIDATE = "haar-default"


def raw_opencv() -> Callable[[bytes], Pred]:
    """The reference system: imdecode + grey + detectMultiScale(grey, 1.1, 5); no scores (all rank equal)."""
    classifier = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")

    def run(data: bytes) -> Pred:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        return [[*map(float, b), 1.0] for b in classifier.detectMultiScale(grey, 1.1, 5)]

    return run


def through_facedetect(**options: Any) -> Callable[[bytes], Pred]:
    """``facedetect.detect_faces(bytes, **options)``: the public API, decode + detect."""

    def run(data: bytes) -> Pred:
        return [[f.box.x, f.box.y, f.box.width, f.box.height, f.confidence] for f in detect_faces(data, **options)]

    return run


def decode_only(pixels: object) -> Pred:
    """Discard decoded pixels: the decode-only rows time decoding and predict nothing."""
    del pixels
    return []


def configurations(with_yunet: bool) -> dict[str, Callable[[bytes], Pred]]:
    configs = {
        BASELINE: raw_opencv(),
        CANDIDATE: through_facedetect(),
        "haar-max1024": through_facedetect(max_dimension=1024),
        "haar-max640": through_facedetect(max_dimension=640),
        # Decode alone, to see what facedetect's Pillow path costs over cv2.imdecode.
        "decode-facedetect": lambda data: decode_only(decode(data).pixels),
        "decode-cv2": lambda data: decode_only(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)),
    }
    if with_yunet:
        for threshold in (0.3, 0.7):
            configs[f"yunet-{threshold}"] = through_facedetect(
                detector="yunet", yunet_model=str(YUNET_MODEL), score_threshold=threshold
            )
    return configs


def boxes(pred: Pred) -> list[tuple[int, ...]]:
    return sorted(tuple(int(v) for v in p[:4]) for p in pred)


def run(limit: int | None, with_yunet: bool, repeats: int) -> dict[str, Any]:
    truth = load_truth(limit)
    configs = configurations(with_yunet)
    names = list(configs)
    preds: dict[str, dict[str, Pred]] = {n: {} for n in names}
    times: dict[str, list[float]] = {n: [] for n in names}
    mismatches: list[str] = []
    where = machine()  # before the run: its load average is the run's starting load
    first = (WIDER / truth["images"][0]["file"]).read_bytes()
    for fn in configs.values():  # warm-up: load cascades and models outside the timed loop
        fn(first)
    started = time.perf_counter()
    for i, im in enumerate(truth["images"]):
        data = (WIDER / im["file"]).read_bytes()
        runs: dict[str, list[float]] = {n: [] for n in names}
        for r in range(repeats):  # ABAB...: every configuration once per round, order rotated
            for name in rotated(names, i + r):
                preds[name][im["file"]], seconds = timed(configs[name], data)
                runs[name].append(seconds)
        for name in names:
            times[name].append(statistics.median(runs[name]))
        if boxes(preds[CANDIDATE][im["file"]]) != boxes(preds[BASELINE][im["file"]]):
            mismatches.append(im["file"])
        if (i + 1) % 50 == 0:
            print(f"  {i + 1}/{len(truth['images'])} images, {time.perf_counter() - started:.0f} s",
                  file=sys.stderr, flush=True)
    scorer = load_module(SCORER, "facescore")
    results = {}
    for name in names:
        entry: dict[str, Any] = {"time": summary_ms(times[name])}
        if not name.startswith("decode-"):
            entry["score"] = scorer.score_all(truth, preds[name])
        entry["ratio_to_raw_opencv"] = ratio_summary(times[name], times[BASELINE])
        results[name] = entry
    return {
        "benchmark": "accuracy",
        "images": len(truth["images"]),
        "repeats": repeats,
        "machine": where,
        "wall_s": round(time.perf_counter() - started, 1),
        "parity": {"equal": len(truth["images"]) - len(mismatches), "images": len(truth["images"]),
                   "mismatched_files": mismatches},
        "configurations": results,
    }


def report(result: dict[str, Any]) -> None:
    rows = []
    for name, entry in result["configurations"].items():
        row: dict[str, Any] = {"config": name, **{k: entry["time"][k] for k in ("median_ms", "mean_ms")},
                               "x raw (median of ratios)": entry["ratio_to_raw_opencv"]["median_of_ratios"],
                               "x raw (totals)": entry["ratio_to_raw_opencv"]["ratio_of_totals"]}
        for subset, s in entry.get("score", {}).items():
            row[f"AP {subset}"] = s["ap"]
            if subset == "hard":
                row |= {"P": s["precision"], "R": s["recall"], "F1": s["f1"]}
        rows.append(row)
    print(f"{result['images']} images, OpenCV threads {result['machine']['opencv_threads']}, "
          f"load {result['machine']['loadavg']} -> {result['loadavg_end']}")
    print_table(rows, ["config", "AP easy", "AP medium", "AP hard", "P", "R", "F1", "median_ms", "mean_ms",
                       "x raw (median of ratios)", "x raw (totals)"])
    print("(P/R/F1: operating point on the 'hard' subset, i.e. every valid face; per-subset figures in the JSON)")
    ratio = result["configurations"][CANDIDATE]["ratio_to_raw_opencv"]
    parity = result["parity"]
    print(f"{CANDIDATE} / {BASELINE} time: median of per-image ratios {ratio['median_of_ratios']}, "
          f"ratio of totals {ratio['ratio_of_totals']} (target <= 1.05)")
    print(f"parity: default Haar boxes equal raw OpenCV's on {parity['equal']}/{parity['images']} images")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="first N images only (default: all 783)")
    parser.add_argument("--threads", type=int, default=None,
                        help="cv2.setNumThreads(N) before running (default: OpenCV's own choice)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="run every configuration N times per image, interleaved; time = per-image median")
    parser.add_argument("--no-yunet", action="store_true", help="skip YuNet")
    args = parser.parse_args()
    if args.threads is not None:
        cv2.setNumThreads(args.threads)
    result = run(args.limit, with_yunet=not args.no_yunet and YUNET_MODEL.is_file(),
                 repeats=args.repeats)
    result["results_file"] = str(write_result("accuracy", result))
    report(result)
    print(f"written {result['results_file']}")


if __name__ == "__main__":
    main()
