"""Where facedetect's decode path spends its time, step by step, against ``cv2.imdecode``.

facedetect decodes with Pillow (safe header parsing, limits before allocation, truncation errors)
then converts to OpenCV's BGR. This splits that path into its steps and times each, interleaved
with the baseline ``cv2.imdecode``, on WIDER images and on a generated 24-megapixel JPEG.

    /work/venv311/bin/python benchmarks/decoding.py --limit 40
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from _common import machine, print_table, rotated, timed, wider_files, write_result
from memory import make_jpeg
from PIL import Image, ImageOps

from facedetect.domain.imaging import decode


def pillow_steps(data: bytes) -> dict[str, float]:
    """facedetect's decode, step by step (JPEG, RGB, upright: the common case)."""
    steps = {}
    img, steps["open+load (Pillow decode)"] = timed(lambda: _load(data))
    _, steps["EXIF orientation check"] = timed(lambda: img.getexif().get(0x0112, 1))
    rgb, steps["np.asarray (a copy)"] = timed(np.asarray, img)
    img.close()
    _, steps["cvtColor RGB->BGR (a copy)"] = timed(cv2.cvtColor, rgb, cv2.COLOR_RGB2BGR)
    return steps


def _load(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data), formats=["JPEG"])
    img.load()
    return img


def previous_decode(data: bytes) -> np.ndarray:
    """facedetect's decode before commit 2b30106: an EXIF-transposed copy even when upright, and
    the Pillow image kept alive during the BGR conversion (four full-size buffers at once)."""
    with _load(data) as img:
        oriented = ImageOps.exif_transpose(img)
        return cv2.cvtColor(np.asarray(oriented), cv2.COLOR_RGB2BGR)


def draft_variant(data: bytes, max_dimension: int = 1024) -> np.ndarray:
    """Pillow's JPEG draft mode: libjpeg scales by 1/2, 1/4 or 1/8 while decoding, never below
    ``max_dimension`` on the longer side (what ``max_dimension`` then shrinks further)."""
    img = Image.open(io.BytesIO(data), formats=["JPEG"])
    scale = max_dimension / max(img.size)
    img.draft("RGB", (max(1, round(img.width * scale)), max(1, round(img.height * scale))))
    return cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR)


def measure(files: list[bytes], repeats: int) -> dict[str, Any]:
    whole: dict[str, Callable[[bytes], Any]] = {
        "cv2.imdecode (baseline)": lambda d: cv2.imdecode(np.frombuffer(d, np.uint8), cv2.IMREAD_COLOR),
        "facedetect decode()": lambda d: decode(d).pixels,
        "facedetect decode() before 2b30106": previous_decode,
        "draft mode, >= 1024 (for max_dimension)": draft_variant,
    }
    times: dict[str, list[float]] = {name: [] for name in [*whole, *pillow_steps(files[0])]}
    identical = dict.fromkeys(whole, 0)  # images whose pixels equal cv2.imdecode's (checked untimed)
    for i, data in enumerate(files):
        expected = whole["cv2.imdecode (baseline)"](data)
        for name, fn in whole.items():
            got = fn(data)
            identical[name] += got.shape == expected.shape and bool(np.array_equal(got, expected))
        for r in range(repeats):
            for name in rotated([*whole, "steps"], i + r):
                if name == "steps":
                    for step, seconds in pillow_steps(data).items():
                        times[step].append(seconds)
                else:
                    times[name].append(timed(whole[name], data)[1])
    base = times["cv2.imdecode (baseline)"]
    rows = []
    for name, values in times.items():
        ratios = [v / b for v, b in zip(values, base, strict=True)]
        rows.append({"path": name, "median_ms": round(statistics.median(values) * 1e3, 2),
                     "x imdecode": round(statistics.median(ratios), 3), "samples": len(values),
                     "same pixels as imdecode": f"{identical[name]}/{len(files)}" if name in identical else ""})
    return {"images": len(files), "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=40, help="WIDER images (default 40)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs per image (default 3)")
    args = parser.parse_args()
    wider = [p.read_bytes() for p in wider_files(args.limit)]
    with tempfile.TemporaryDirectory() as tmp:
        big = make_jpeg(Path(tmp)).read_bytes()
    result: dict[str, Any] = {"benchmark": "decoding", "machine": machine(),
              "wider": measure(wider, args.repeats), "24mp": measure([big], max(args.repeats, 5))}
    path = write_result("decoding", result)
    for key, label in (("wider", f"{len(wider)} WIDER images (~1 MP)"), ("24mp", "one 6000x4000 JPEG")):
        print(f"\n{label}, median of per-run times; 'x imdecode' = median ratio to cv2.imdecode in the same run")
        print_table(result[key]["rows"], ["path", "median_ms", "x imdecode", "same pixels as imdecode"])
    print(f"written {path}")


if __name__ == "__main__":
    main()
