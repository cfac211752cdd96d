"""Peak memory (RSS high-water mark) of detecting faces in a 24-megapixel JPEG.

Each case runs in a fresh child process (``python -c ...``) that reports its own peak RSS, the
``VmHWM`` line of ``/proc/self/status`` (not ``ru_maxrss``: on Linux a child inherits its parent's
``ru_maxrss`` across fork and exec). Cases are interleaved over the repeats; the median is reported.
Baselines: a bare ``import cv2, numpy`` process and raw OpenCV (imdecode + grey + detectMultiScale).

    /work/venv311/bin/python benchmarks/memory.py
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import REPO, YUNET_MODEL, machine, print_table, rotated, write_result

TARGET_MB = 400

# Every child ends by printing its peak RSS; ``data`` holds the JPEG's bytes, read before timing.
_PEAK = """
import json, time
hwm = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM'))
print(json.dumps({'peak_rss_mb': hwm / 1024, 'seconds': time.perf_counter() - t0, 'faces': int(faces)}))
"""
_READ = "import sys, time\ndata = open(sys.argv[1], 'rb').read()\nt0 = time.perf_counter()\n"
CASES = {
    "bare import cv2, numpy": "import time\nimport cv2, numpy\nt0 = time.perf_counter()\nfaces = 0\n",
    "raw-opencv": _READ + (
        "import cv2, numpy as np\n"
        "c = cv2.CascadeClassifier(cv2.data.haarcascades + 'haarcascade_frontalface_default.xml')\n"
        "grey = cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2GRAY)\n"
        "faces = len(c.detectMultiScale(grey, 1.1, 5))\n"
    ),
    "8 Haar classifiers, no detection": (
        "import time\nimport cv2\nt0 = time.perf_counter()\n"
        "cs = [cv2.CascadeClassifier(cv2.data.haarcascades + 'haarcascade_frontalface_default.xml')"
        " for _ in range(8)]\nfaces = 0\n"
    ),
    "facedetect decode only": _READ + (
        "from facedetect.domain.imaging import decode\npixels = decode(data).pixels\nfaces = 0\n"),
    "decode as before 2b30106 (decoding.py)": _READ + (
        f"sys.path.insert(0, {str(REPO / 'benchmarks')!r})\n"
        "from decoding import previous_decode\npixels = previous_decode(data)\nfaces = 0\n"),
    "draft-mode decode to >= 1024 (decoding.py)": _READ + (
        f"sys.path.insert(0, {str(REPO / 'benchmarks')!r})\n"
        "from decoding import draft_variant\npixels = draft_variant(data)\nfaces = 0\n"),
    "facedetect haar default": _READ + "from facedetect import detect_faces\nfaces = len(detect_faces(data))\n",
    "facedetect haar max1024": _READ + (
        "from facedetect import detect_faces\nfaces = len(detect_faces(data, max_dimension=1024))\n"),
    "facedetect yunet max1024": _READ + (
        f"from facedetect import detect_faces\nfaces = len(detect_faces(data, detector='yunet', "
        f"yunet_model={str(YUNET_MODEL)!r}, max_dimension=1024))\n"),
}


def make_jpeg(directory: Path, width: int = 6000, height: int = 4000) -> Path:
    """A ``width`` x ``height`` JPEG: astronaut tiles at several scales on a noisy grey background."""
    import cv2
    import numpy as np

    sys.path.insert(0, str(REPO / "tests"))
    from support.imagegen import composite  # the test suite's image maker: scikit-image's astronaut()

    rng = np.random.default_rng(0)
    placements = [(int(x), int(y), float(s)) for x, y, s in zip(
        rng.integers(0, width - 1500, 24), rng.integers(0, height - 1500, 24), rng.uniform(0.3, 2.5, 24),
        strict=True)]
    image = composite(placements, size=(height, width))
    noise = rng.integers(-12, 13, image.shape, dtype=np.int16)
    image = np.clip(image + noise, 0, 255).astype(np.uint8)
    path = directory / f"composite-{width}x{height}.jpg"
    cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return path


def measure(code: str, image: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", code + _PEAK, str(image)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"child failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each case, interleaved (default 3)")
    parser.add_argument("--width", type=int, default=6000)
    parser.add_argument("--height", type=int, default=4000)
    args = parser.parse_args()
    cases = {k: v for k, v in CASES.items() if "yunet" not in k or YUNET_MODEL.is_file()}
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in cases}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        image = make_jpeg(Path(tmp), args.width, args.height)
        size = image.stat().st_size
        for r in range(args.repeats):
            for name in rotated(list(cases), r):
                samples[name].append(measure(cases[name], image))
                print(f"  {name}: {samples[name][-1]['peak_rss_mb']:.0f} MB", file=sys.stderr, flush=True)
    rows = []
    for name, runs in samples.items():
        rows.append({"case": name, "peak_rss_mb": round(statistics.median(r["peak_rss_mb"] for r in runs), 1),
                     "seconds": round(statistics.median(r["seconds"] for r in runs), 2),
                     "faces": runs[0]["faces"], "runs": runs})
    raw = next(r["peak_rss_mb"] for r in rows if r["case"] == "raw-opencv")
    bare = next(r["peak_rss_mb"] for r in rows if r["case"].startswith("bare"))
    for row in rows:
        row["x raw-opencv"] = round(row["peak_rss_mb"] / raw, 3)
        row["over bare MB"] = round(row["peak_rss_mb"] - bare, 1)
        row["<= 400 MB"] = "yes" if row["peak_rss_mb"] <= TARGET_MB else "NO"
    result = {"benchmark": "memory", "image": {"width": args.width, "height": args.height, "jpeg_bytes": size},
              "repeats": args.repeats, "machine": machine(), "cases": rows,
              "wall_s": round(time.perf_counter() - start, 1)}
    path = write_result("memory", result)
    print(f"{args.width}x{args.height} JPEG, {size / 2**20:.1f} MiB, {args.repeats} runs each (median)")
    print_table(rows, ["case", "peak_rss_mb", "x raw-opencv", "over bare MB", "<= 400 MB",
                       "seconds", "faces"])
    print(f"written {path}")


if __name__ == "__main__":
    main()
