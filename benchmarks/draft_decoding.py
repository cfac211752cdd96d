"""Draft-mode JPEG decoding against full decode + resize: the same faces found? (AP on WIDER dev).

facedetect decodes a JPEG that will be shrunk in libjpeg's draft mode (DCT scaling to the smallest
1/2, 1/4 or 1/8 not below the target) and then resizes exactly (``INTER_AREA``) to the planned size.
This compares it, on every WIDER dev image shrunk to ``--max-dimension`` (512 by default: the
1024-wide images then decode at 1/2 scale in draft mode), with a full decode + the same resize:
same detector, same working size, boxes mapped back to original pixels, scored with ../shared's
facescore. Target: AP easy/medium/hard within 0.005.

    .venv/bin/python benchmarks/draft_decoding.py                 # 783 images, Haar and YuNet, ~5 min
    .venv/bin/python benchmarks/draft_decoding.py --limit 100 --max-dimension 300
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
from _common import SCORER, WIDER, YUNET_MODEL, load_module, load_truth, machine, print_table, timed, write_result

from facedetect.detectors import create_detector
from facedetect.domain.budget import scaled_size
from facedetect.domain.imaging import decode
from facedetect.domain.ports import FaceDetector

Pred = list[list[float]]


def full_then_resize(data: bytes, size: tuple[int, int]) -> np.ndarray:
    """Decode every pixel, then shrink with INTER_AREA (what facedetect did before draft mode)."""
    pixels = decode(data).pixels
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)  # type: ignore[return-value]


def draft_then_resize(data: bytes, size: tuple[int, int]) -> np.ndarray:
    """facedetect's decode to a planned size: draft mode, then INTER_AREA to exactly ``size``."""
    return decode(data, size=size).pixels


def predict(detector: FaceDetector, pixels: np.ndarray, scale: float, width: int, height: int) -> Pred:
    out = []
    for face in detector.detect(pixels):
        mapped = face.unscaled(scale, image_width=width, image_height=height)
        if mapped is not None:
            out.append([mapped.box.x, mapped.box.y, mapped.box.width, mapped.box.height, mapped.confidence])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="first N images (default: all 783)")
    parser.add_argument("--max-dimension", type=int, default=512, help="longer side to shrink to (default 512)")
    args = parser.parse_args()
    truth = load_truth(args.limit)
    detectors = {"haar": create_detector("haar")}
    if YUNET_MODEL.is_file():
        detectors["yunet"] = create_detector("yunet", yunet_model=str(YUNET_MODEL))
    decoders: dict[str, Callable[[bytes, tuple[int, int]], np.ndarray]] = {
        "full+resize": full_then_resize, "draft+resize": draft_then_resize}
    preds: dict[str, dict[str, Pred]] = {f"{d}/{m}": {} for d in detectors for m in decoders}
    decode_s: dict[str, float] = dict.fromkeys(decoders, 0.0)
    identical = dict.fromkeys(detectors, 0)
    started = time.perf_counter()
    for i, im in enumerate(truth["images"]):
        data = (WIDER / im["file"]).read_bytes()
        width, height = im["width"], im["height"]
        scale = min(1.0, args.max_dimension / max(width, height))
        size = scaled_size(width, height, scale)
        pixels = {}
        for name in (list(decoders) if i % 2 else list(decoders)[::-1]):  # alternate the order
            pixels[name], seconds = timed(decoders[name], data, size)
            decode_s[name] += seconds
        for det_name, detector in detectors.items():
            got = {m: predict(detector, pixels[m], scale, width, height) for m in decoders}
            for m, pred in got.items():
                preds[f"{det_name}/{m}"][im["file"]] = pred
            identical[det_name] += sorted(map(tuple, got["full+resize"])) == sorted(map(tuple, got["draft+resize"]))
        if (i + 1) % 100 == 0:
            print(f"  {i + 1}/{len(truth['images'])}, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    scorer = load_module(SCORER, "facescore")
    rows: list[dict[str, Any]] = []
    for name, pred in preds.items():
        score = scorer.score_all(truth, pred)
        rows.append({"config": name, **{f"AP {k}": v["ap"] for k, v in score.items()}})
    for det_name in detectors:
        full, draft = (next(r for r in rows if r["config"] == f"{det_name}/{m}") for m in decoders)
        draft["max |dAP|"] = round(max(abs(draft[k] - full[k]) for k in full if k.startswith("AP ")), 4)
        draft["same boxes"] = f"{identical[det_name]}/{len(truth['images'])}"
    result = {"benchmark": "draft_decoding", "images": len(truth["images"]), "max_dimension": args.max_dimension,
              "machine": machine(), "rows": rows,
              "decode_total_s": {k: round(v, 2) for k, v in decode_s.items()},
              "decode_ratio_draft_to_full": round(decode_s["draft+resize"] / decode_s["full+resize"], 3)}
    path = write_result("draft_decoding", result)
    print(f"{result['images']} images shrunk to <= {args.max_dimension} px; decode time draft/full "
          f"{result['decode_ratio_draft_to_full']} ({result['decode_total_s']})")
    print_table(rows, ["config", "AP easy", "AP medium", "AP hard", "max |dAP|", "same boxes"])
    print(f"written {path}")


if __name__ == "__main__":
    main()
