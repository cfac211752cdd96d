"""Bounded work: one warm Lambda process fed phone-sized photos and costly options; peak RSS and time.

``sequence``: ONE child process runs the real handler (``facedetect.entrypoints.aws_lambda.handler``,
memory backend, API Gateway REST events) on, in turn, a 50 MP and a 25 MP (EXIF-rotated) JPEG at
default settings, a 4 MP JPEG with ``scale_factor=1.01&min_neighbors=0``, then the same 4 MP JPEG
under six more option sets. It reports each request's status, wall and CPU time, and the process's
peak RSS (``VmHWM``) over the whole sequence. The baseline, in its own child in the same run: the
raw seed pipeline (``cv2.imdecode`` + ``cvtColor`` + ``detectMultiScale(grey, 1.1, 5)``) on a 2 MP
photo, median of 3. Targets: peak RSS <= 600 MB, every request <= 10x the seed.

``sizes``: one fresh child per photo (2, 12, 25, 50 MP) sending it once at default settings: time,
CPU time and peak RSS. ``--src DIR`` runs the children on another checkout's ``src`` (the "before").

    .venv/bin/python benchmarks/bounded_work.py                  # sequence + sizes, ~2 min
    .venv/bin/python benchmarks/bounded_work.py --only sizes --src ../wt-base/src   # older code
    .venv/bin/python benchmarks/bounded_work.py --only sizes --detector yunet
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import REPO, YUNET_MODEL, machine, print_table, write_result

RSS_TARGET_MB = 600
TIME_TARGET_X = 10
#: (name, megapixels, EXIF orientation). 4:3 photos as phones take them, JPEG quality 90.
PHOTOS = {"2mp": (1632, 1224, None), "4mp": (2304, 1728, None), "12mp": (4000, 3000, None),
          "25mp": (5760, 4320, 6), "50mp": (8160, 6120, None)}
#: The sequence of one warm process: (photo, query parameters).
SEQUENCE: list[tuple[str, dict[str, str]]] = [
    ("50mp", {}),
    ("25mp", {}),
    ("4mp", {"scale_factor": "1.01", "min_neighbors": "0"}),
    ("4mp", {"scale_factor": "1.05"}),
    ("4mp", {"min_neighbors": "0"}),
    ("4mp", {"scale_factor": "1.02", "min_size": "40"}),
    ("4mp", {"min_neighbors": "1", "min_size": "10"}),
    ("4mp", {"max_dimension": "1024"}),
    ("4mp", {"scale_factor": "1.3", "min_neighbors": "3"}),
]

_CHILD = r"""
import json, os, sys, time
sys.path[:0] = [p for p in (os.environ.get("BENCH_SRC"), os.environ["BENCH_TESTS"]) if p]
def peak_mb():
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
role, *args = sys.argv[1:]
if role == "seed":
    import cv2, numpy as np
    data = open(args[0], "rb").read()
    c = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    times = []
    for _ in range(3):
        t = time.perf_counter()
        grey = cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2GRAY)
        faces = c.detectMultiScale(grey, 1.1, 5)
        times.append(time.perf_counter() - t)
    print(json.dumps({"seconds": sorted(times)[1], "faces": len(faces), "peak_rss_mb": peak_mb()}))
    sys.exit()
os.environ["FACEDETECT_BACKEND"] = "memory"
from support.lambda_events import FakeLambdaContext, make_api_event
from facedetect.entrypoints import aws_lambda
rows = []
for item in json.loads(args[0]):
    event = make_api_event("post_root_jpeg", image=open(item["file"], "rb").read())
    event["path"] = event["resource"] = "/faces"
    event["queryStringParameters"] = item["query"] or None
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in item["query"].items()} or None
    t, c = time.perf_counter(), time.process_time()
    result = aws_lambda.handler(event, FakeLambdaContext())
    seconds, cpu = time.perf_counter() - t, time.process_time() - c
    body = json.loads(result["body"])
    detection = body.get("detection") or {}
    rows.append({"photo": item["photo"], "query": item["query"], "status": result["statusCode"],
                 "seconds": seconds, "cpu_s": cpu, "faces": detection.get("face_count"),
                 "scaled_to": (detection.get("parameters") or {}).get("scaled_to"),
                 "error": (body.get("error") or {}).get("code"), "rss_so_far_mb": peak_mb()})
print(json.dumps({"requests": rows, "peak_rss_mb": peak_mb()}))
"""


def make_photos(directory: Path, names: set[str]) -> dict[str, Path]:
    """Phone-like JPEGs (quality 90): astronaut faces at many scales on a noisy textured background."""
    import cv2
    import numpy as np

    sys.path.insert(0, str(REPO / "tests"))
    from support.imagegen import astronaut, jpeg_with_orientation

    paths = {}
    for name in sorted(names):
        width, height, orientation = PHOTOS[name]
        rng = np.random.default_rng(len(name) + width)
        image = cv2.resize(cv2.GaussianBlur(rng.integers(60, 200, (height // 32, width // 32, 3), dtype=np.uint8),
                                            (5, 5), 0), (width, height), interpolation=cv2.INTER_CUBIC)
        scale_max = min(width, height) / 512 * 0.6
        for _ in range(12):  # faces from ~50 pixels to most of the frame
            scale = float(rng.uniform(0.1, max(0.2, scale_max)))
            tile = cv2.resize(astronaut(), None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            x = int(rng.integers(0, max(1, width - tile.shape[1])))
            y = int(rng.integers(0, max(1, height - tile.shape[0])))
            h, w = min(tile.shape[0], height - y), min(tile.shape[1], width - x)
            image[y:y + h, x:x + w] = tile[:h, :w]
        image = np.clip(image + rng.normal(0, 6, image.shape), 0, 255).astype(np.uint8)  # sensor noise
        if orientation == 6:  # stored turned a quarter to the left, shown upright
            image = cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
        path = directory / f"{name}.jpg"
        path.write_bytes(jpeg_with_orientation(image, orientation, quality=90))
        del image
        paths[name] = path
    return paths


def child(args: list[str], src: str | None, detector: str = "haar") -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEDETECT_")}
    env["BENCH_TESTS"] = str(REPO / "tests")
    if detector == "yunet":
        env |= {"FACEDETECT_DETECTOR": "yunet", "FACEDETECT_YUNET_MODEL": str(YUNET_MODEL)}
    if src:
        env["BENCH_SRC"] = str(Path(src).resolve())
    done = subprocess.run([sys.executable, "-c", _CHILD, *args], capture_output=True, text=True, env=env,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"child failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run_sequence(photos: dict[str, Path], src: str | None) -> dict[str, Any]:
    items = [{"photo": p, "file": str(photos[p]), "query": q} for p, q in SEQUENCE]
    seeds = [child(["seed", str(photos["2mp"])], src=None)]
    result = child(["sequence", json.dumps(items)], src)
    seeds.append(child(["seed", str(photos["2mp"])], src=None))
    seed_s = statistics.median(s["seconds"] for s in seeds)
    for row in result["requests"]:
        row["x seed"] = round(row["seconds"] / seed_s, 2)
    result["seed_2mp_s"] = seed_s
    result["seed_runs"] = seeds
    result["slowest_x_seed"] = max(r["x seed"] for r in result["requests"])
    result["met"] = {"peak_rss": result["peak_rss_mb"] <= RSS_TARGET_MB,
                     "time": result["slowest_x_seed"] <= TIME_TARGET_X,
                     "status": all(r["status"] == 200 for r in result["requests"])}
    return result


def run_sizes(photos: dict[str, Path], src: str | None, detector: str) -> list[dict[str, Any]]:
    rows = []
    for name in ("2mp", "12mp", "25mp", "50mp"):
        got = child(["sequence", json.dumps([{"photo": name, "file": str(photos[name]), "query": {}}])], src,
                    detector)
        rows.append({**got["requests"][0], "peak_rss_mb": got["peak_rss_mb"]})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["sequence", "sizes"], help="run one part only")
    parser.add_argument("--src", help="run the handler from this src directory (e.g. an older checkout's)")
    parser.add_argument("--detector", choices=["haar", "yunet"], default="haar",
                        help="the service's detector for the sizes part (yunet needs ../shared's model)")
    parser.add_argument("--results", type=Path, help="directory for the results file (default benchmarks/results)")
    args = parser.parse_args()
    result: dict[str, Any] = {"benchmark": "bounded_work", "machine": machine(), "src": args.src or "this checkout",
                              "detector": args.detector}
    with tempfile.TemporaryDirectory() as tmp:
        photos = make_photos(Path(tmp), set(PHOTOS))
        if args.only in (None, "sequence"):
            result["sequence"] = run_sequence(photos, args.src)
        if args.only in (None, "sizes"):
            result["sizes"] = run_sizes(photos, args.src, args.detector)
    path = write_result("bounded_work", result, directory=args.results)
    columns = ["photo", "query", "status", "seconds", "cpu_s", "faces", "scaled_to", "error", "rss_so_far_mb"]
    if "sequence" in result:
        seq = result["sequence"]
        print(f"one warm process: peak RSS {seq['peak_rss_mb']:.0f} MB (target <= {RSS_TARGET_MB}); seed on 2 MP "
              f"{seq['seed_2mp_s']:.2f} s; slowest request {seq['slowest_x_seed']}x seed (target <= {TIME_TARGET_X})")
        print_table(seq["requests"], [*columns, "x seed"])
    if "sizes" in result:
        print("\nfresh process per photo, default settings")
        print_table(result["sizes"], ["photo", "status", "seconds", "cpu_s", "faces", "scaled_to", "peak_rss_mb"])
    print(f"written {path}")


if __name__ == "__main__":
    main()
