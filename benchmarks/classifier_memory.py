"""What Haar classifiers keep after large images, and what recreating them costs.

Part 1, memory: each strategy runs in a fresh child process whose worker threads (kept alive, as
a server's are) each detect faces in one large grey image at the same time; the child then
reports its idle RSS (``VmRSS`` of ``/proc/self/status``, after the detections, threads still
alive) and its peak (``VmHWM``). The buffers OpenCV keeps depend on the image's size, not its
content, so the images are flat grey (fast to scan). Strategies:

* ``per-thread, kept``: one classifier per thread, kept (facedetect before the pool);
* ``per-thread, recreated after large``: the same, dropped after an image whose pyramid is
  estimated above ``KEEP_BYTES``; ``+ malloc_trim`` also asks glibc to return freed pages;
* ``shared pool of 2, kept``: two classifiers lent to the threads in turn, never dropped;
* ``facedetect pool``: :class:`facedetect.detectors.haar.HaarCascadeDetector` as built;
* ``no detection``: the floor, a child that loads one classifier and detects nothing;
* with ``--yunet``: ``yunet per-thread, kept``, one ``cv2.FaceDetectorYN`` per thread, kept
  (facedetect before the pool), and ``facedetect yunet``, :class:`facedetect.detectors.yunet.YuNetDetector`
  as built (networks lent from the same pool). The images are then 3-channel.
* with ``--haar-multi``: ``facedetect haar-multi``, :class:`facedetect.detectors.haar_multi.MultiCascadeDetector`
  as built (its cascades lent from one pool per cascade file). haar-multi looks only for faces
  above a fraction of the shorter side, so its buffers are large for wide images (panoramas):
  try ``--width 16000 --height 1000``.

Part 2, time (this process): loading a classifier vs a detection, and a detection with a kept
classifier vs one with a freshly loaded one (whose buffers are allocated and first touched
during the scan) on astronaut composites around the size where the pool starts dropping
(paired, interleaved).

    nice -n 10 .venv/bin/python benchmarks/classifier_memory.py    # 12 MP on 4 threads, ~4 min
    nice -n 10 .venv/bin/python benchmarks/classifier_memory.py --threads 2 --width 6000 --height 4000
    nice -n 10 .venv/bin/python benchmarks/classifier_memory.py --time-only --time-repeats 12
    nice -n 10 .venv/bin/python benchmarks/classifier_memory.py --yunet-only    # YuNet, before and after
    nice -n 10 .venv/bin/python benchmarks/classifier_memory.py --haar-multi-only --width 16000 --height 1000
"""

from __future__ import annotations

import argparse
import json
import queue
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

from _common import REPO, YUNET_MODEL, machine, print_table, ratio_summary, rotated, summary_ms, write_result

CASCADE = "haarcascade_frontalface_default.xml"
#: Part 2's images: 1 MP (kept by the pool), 2 MP (kept), just above the threshold, 4 and 12 MP.
TIME_SIZES = ((1280, 960), (1920, 1080), (2048, 1536), (2448, 1632), (4000, 3000))
STRATEGIES = ("no detection", "per-thread, kept", "per-thread, recreated after large",
              "per-thread, recreated after large + malloc_trim", "shared pool of 2, kept", "facedetect pool")
#: With ``--yunet``: one raw ``FaceDetectorYN`` per thread, kept (the "before"), and facedetect's detector.
YUNET_KEPT = "yunet per-thread, kept"
YUNET = "facedetect yunet"
#: With ``--haar-multi``: facedetect's multi-cascade detector as built.
HAAR_MULTI = "facedetect haar-multi"


def _rss_mb(field: str) -> float:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(field)) / 1024


def child(strategy: str, threads: int, width: int, height: int) -> dict[str, Any]:
    """Run ``strategy`` on ``threads`` threads, one ``width`` x ``height`` image each; report RSS."""
    import cv2
    import numpy as np

    from facedetect.detectors.classifiers import KEEP_BYTES, pyramid_buffer_bytes, return_freed_memory
    from facedetect.detectors.haar import HaarCascadeDetector

    path = cv2.data.haarcascades + CASCADE  # type: ignore[attr-defined]
    image = np.full((height, width, 3) if "yunet" in strategy else (height, width), 128, np.uint8)
    large = pyramid_buffer_bytes(width, height, 1.1) > KEEP_BYTES
    local = threading.local()
    pool: queue.Queue[Any] = queue.Queue()
    for _ in range(2):
        pool.put(cv2.CascadeClassifier(path))
    detector = HaarCascadeDetector()
    if strategy == YUNET:
        from facedetect.detectors.yunet import YuNetDetector

        yunet = YuNetDetector(YUNET_MODEL)
    if strategy == HAAR_MULTI:
        from facedetect.detectors.haar_multi import MultiCascadeDetector

        multi = MultiCascadeDetector()
    # A worker that fails breaks the barriers (timeout) instead of hanging the parent.
    start, done = threading.Barrier(threads, timeout=900), threading.Barrier(threads + 1, timeout=900)
    leave = threading.Event()

    def detect_once() -> None:
        if strategy == "facedetect pool":
            detector.detect(image)
        elif strategy == YUNET:
            yunet.detect(image)
        elif strategy == HAAR_MULTI:
            multi.detect(image)
        elif strategy == YUNET_KEPT:
            local.network = cv2.FaceDetectorYN.create(str(YUNET_MODEL), "", (width, height), 0.7, 0.3, 5000)
            local.network.detect(image)
        elif strategy == "shared pool of 2, kept":
            classifier = pool.get()  # blocks while both are lent
            classifier.detectMultiScale(image, 1.1, 5)
            pool.put(classifier)
        else:
            if getattr(local, "classifier", None) is None:
                local.classifier = cv2.CascadeClassifier(path)
            local.classifier.detectMultiScale(image, 1.1, 5)
            if "recreated" in strategy and large:
                local.classifier = None
                if "malloc_trim" in strategy:
                    return_freed_memory()

    def worker() -> None:
        local.classifier = cv2.CascadeClassifier(path)
        start.wait()
        if strategy != "no detection":
            detect_once()
        done.wait()
        leave.wait()  # alive while the parent thread measures, as a server's threads are

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for t in workers:
        t.start()
    done.wait()
    time.sleep(0.5)  # let freed pages settle; RSS is read, not timed
    result = {"idle_rss_mb": round(_rss_mb("VmRSS"), 1), "peak_rss_mb": round(_rss_mb("VmHWM"), 1)}
    leave.set()
    for t in workers:
        t.join()
    return result


def measure_memory(strategy: str, threads: int, width: int, height: int) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--child", strategy, "--threads", str(threads),
                           "--width", str(width), "--height", str(height)],
                          capture_output=True, text=True, check=False, cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"child failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure_time(repeats: int) -> dict[str, Any]:
    """Classifier load time vs detection time with a kept or a fresh classifier (paired, interleaved)."""
    import cv2
    import numpy as np

    sys.path.insert(0, str(REPO / "tests"))
    from support.imagegen import composite

    from facedetect.detectors.classifiers import KEEP_BYTES, pyramid_buffer_bytes

    path = cv2.data.haarcascades + CASCADE  # type: ignore[attr-defined]
    loads = []
    for _ in range(max(20, repeats)):
        t0 = time.perf_counter()
        cv2.CascadeClassifier(path)
        loads.append(time.perf_counter() - t0)
    rows = []
    for width, height in TIME_SIZES:
        rng = np.random.default_rng(width)
        placements = [(int(x), int(y), float(s)) for x, y, s in zip(
            rng.integers(0, width - 300, 8), rng.integers(0, height - 300, 8), rng.uniform(0.2, 0.6, 8), strict=True)]
        grey = cv2.cvtColor(composite(placements, size=(height, width)), cv2.COLOR_BGR2GRAY)
        kept_classifier = cv2.CascadeClassifier(path)
        kept_classifier.detectMultiScale(grey, 1.1, 5)  # warm: buffers already grown
        kept, fresh = [], []
        for r in range(repeats):
            for variant in rotated(["kept", "fresh"], r):
                t0 = time.perf_counter()
                classifier = kept_classifier if variant == "kept" else cv2.CascadeClassifier(path)
                classifier.detectMultiScale(grey, 1.1, 5)
                (kept if variant == "kept" else fresh).append(time.perf_counter() - t0)
        dropped = pyramid_buffer_bytes(width, height, 1.1) > KEEP_BYTES
        rows.append({"image": f"{width}x{height}", "dropped by pool": dropped,
                     "kept_median_ms": summary_ms(kept)["median_ms"], "fresh_median_ms": summary_ms(fresh)["median_ms"],
                     "fresh / kept": ratio_summary(fresh, kept)["median_of_ratios"],
                     "load / detect": round(statistics.median(loads) / statistics.median(kept), 4)})
    return {"classifier_load": summary_ms(loads), "detections": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=(*STRATEGIES, YUNET_KEPT, YUNET, HAAR_MULTI), help=argparse.SUPPRESS)
    parser.add_argument("--haar-multi", action="store_true", help="also measure the haar-multi detector")
    parser.add_argument("--haar-multi-only", action="store_true",
                        help="part 1 for haar-multi only: the floor, per-thread classifiers kept, and haar-multi")
    parser.add_argument("--yunet", action="store_true", help="also measure the YuNet detector (needs ../shared)")
    parser.add_argument("--threads", type=int, default=4, help="worker threads, one large image each (default 4)")
    parser.add_argument("--width", type=int, default=4000)
    parser.add_argument("--height", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=2, help="runs of each memory case, interleaved (default 2)")
    parser.add_argument("--time-repeats", type=int, default=8, help="paired detections per image in part 2")
    parser.add_argument("--time-only", action="store_true", help="run part 2 only")
    parser.add_argument("--yunet-only", action="store_true",
                        help="part 1 for YuNet only (the floor and the two YuNet cases); no part 2")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.threads, args.width, args.height)))
        return
    if (args.yunet or args.yunet_only) and not YUNET_MODEL.is_file():
        raise SystemExit(f"--yunet needs the model at {YUNET_MODEL}")
    strategies = ((STRATEGIES[0], YUNET_KEPT, YUNET) if args.yunet_only
                  else (STRATEGIES[0], STRATEGIES[1], HAAR_MULTI) if args.haar_multi_only
                  else (*STRATEGIES, *((YUNET_KEPT, YUNET) if args.yunet else ()),
                        *((HAAR_MULTI,) if args.haar_multi else ())))
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in strategies if not args.time_only}
    start = time.perf_counter()
    for r in range(0 if args.time_only else args.repeats):
        for name in rotated(list(strategies), r):
            samples[name].append(measure_memory(name, args.threads, args.width, args.height))
            print(f"  {name}: {samples[name][-1]}", file=sys.stderr, flush=True)
    rows = [{"strategy": name, "idle_rss_mb": round(statistics.median(s["idle_rss_mb"] for s in runs), 1),
             "peak_rss_mb": round(statistics.median(s["peak_rss_mb"] for s in runs), 1), "runs": runs}
            for name, runs in samples.items()]
    floor = rows[0]["idle_rss_mb"] if rows else 0.0
    for row in rows:  # each detector against its own "before": Haar's per-thread classifiers, YuNet's networks
        kept = YUNET_KEPT if "yunet" in row["strategy"] else "per-thread, kept"
        before = next((r["idle_rss_mb"] for r in rows if r["strategy"] == kept), floor) - floor
        row["idle over floor MB"] = round(row["idle_rss_mb"] - floor, 1)
        row["x before (over floor)"] = round((row["idle_rss_mb"] - floor) / before, 4) if before > 0 else ""
    timing = measure_time(args.time_repeats) if not (args.yunet_only or args.haar_multi_only) else None
    result = {"benchmark": "classifier_memory", "threads": args.threads,
              "image": {"width": args.width, "height": args.height}, "repeats": args.repeats,
              "machine": machine(), "memory": rows, "time": timing, "wall_s": round(time.perf_counter() - start, 1)}
    path = write_result("classifier_memory", result)
    if rows:
        print(f"{args.threads} threads, one {args.width}x{args.height} flat image each; median of {args.repeats} runs")
        print_table(rows, ["strategy", "idle_rss_mb", "idle over floor MB", "x before (over floor)", "peak_rss_mb"])
    if timing is not None:
        print(f"\nclassifier load: median {timing['classifier_load']['median_ms']} ms")
        print_table(timing["detections"], ["image", "dropped by pool", "kept_median_ms", "fresh_median_ms",
                                           "fresh / kept", "load / detect"])
    print(f"written {path}")


if __name__ == "__main__":
    main()
