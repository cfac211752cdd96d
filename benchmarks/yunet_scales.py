"""What limits YuNet ``--small-faces`` on WIDER hard: other passes and merges, scored and costed in-process.

Every dev image is run once through each YuNet *pass* below (a scale, and perhaps a transform),
each pass timed (OpenCV single-threaded, two worker processes). A pass returns the candidates the
shipped detector fuses (score >= ``yunet_small.CANDIDATE_SCORE``, YuNet's NMS at
``CANDIDATE_NMS``), in original pixels. Each *variant* pools some passes, the upscaled ones'
faces under ``SMALL_FACE_PX``, fuses them with the shipped ``yunet_small.fuse`` at score 0.3, and
is scored by ../shared's facescore: AP easy / medium / hard over the images, AP hard on the
first 200 dev images too (the probe images), hard recall, and the passes' CPU
time relative to the shipped 1x + 1.5x. A *gated* variant skips its upscaled passes on an image
whose first pass has no candidate under ``GATE_PX``. A few images are also run through the shipped detector
itself, and its faces must equal the shipped variant's (the script stops otherwise). For the
shipped variant it also says where AP hard is lost: missed hard faces, those a returned box
overlaps by IoU 0.3-0.5, the images holding most misses, and true and false faces by score.

    .venv/bin/python benchmarks/yunet_scales.py              # all 783 images (about 17 min)
    .venv/bin/python benchmarks/yunet_scales.py --step 4     # every 4th image
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from multiprocessing import Pool
from typing import Any

import numpy as np
from _common import SCORER, WIDER, YUNET_MODEL, load_module, load_truth_and_probe, machine, print_table, write_result

SCORE_THRESHOLD = 0.3
#: Every this-many-th image is also run through the shipped detector, as a check of the replay.
CHECK_EVERY = 40
#: The gated variants' bound: no first-pass candidate narrower than this, no upscaled pass.
GATE_PX = 100


def _clahe(image: Any) -> Any:
    import cv2

    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)
    lab[:, :, 0] = cv2.createCLAHE(2.0, (8, 8)).apply(lab[:, :, 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2BGR)


def _mirrored(image: Any) -> Any:
    return image[:, ::-1].copy()


#: pass name -> (scale, transform applied after resizing, or None).
PASSES: dict[str, tuple[float, Callable[[Any], Any] | None]] = {
    "0.75x": (0.75, None),
    "1x": (1.0, None),
    "1.25x": (1.25, None),
    "1.5x": (1.5, None),
    "1.75x": (1.75, None),
    "2x": (2.0, None),
    "1.5x CLAHE": (1.5, _clahe),
    "1.5x mirrored": (1.5, _mirrored),
}
SHIPPED = "1x + 1.5x (shipped)"
GATED = "1x + 1.5x, gated"
#: variant -> (the pass whose faces of every size count, the upscaled passes, faces under SMALL_FACE_PX).
VARIANTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "1x alone, candidates fused": ("1x", ()),
    SHIPPED: ("1x", ("1.5x",)),
    GATED: ("1x", ("1.5x",)),
    "0.75x + 1.5x": ("0.75x", ("1.5x",)),
    "1x + 1.25x": ("1x", ("1.25x",)),
    "1x + 1.75x": ("1x", ("1.75x",)),
    "1x + 2x": ("1x", ("2x",)),
    "0.75x + 1.25x + 1.75x": ("0.75x", ("1.25x", "1.75x")),
    "1x + 1.5x + 2x": ("1x", ("1.5x", "2x")),
    "1x + 1.5x with CLAHE": ("1x", ("1.5x CLAHE",)),
    "1x + 1.5x + 1.5x with CLAHE": ("1x", ("1.5x", "1.5x CLAHE")),
    "1x + 1.5x + mirrored 1.5x": ("1x", ("1.5x", "1.5x mirrored")),
    "every pass (1x to 2x, CLAHE, mirrored)": ("1x", ("1.25x", "1.5x", "1.75x", "2x", "1.5x CLAHE",
                                                      "1.5x mirrored")),
}

#: A worker's YuNet returning candidates, and its shipped detector (the check), made on first use.
_network: Any = None
_shipped: Any = None


def run_passes(job: tuple[str, bool]) -> tuple[str, dict[str, tuple[Any, float]], Any]:
    """One image through every pass (and the shipped detector if asked): candidates and seconds."""
    import cv2

    from facedetect.detectors.yunet import YuNetDetector
    from facedetect.detectors.yunet_small import CANDIDATE_NMS, CANDIDATE_SCORE, SmallFacesYuNet

    global _network, _shipped
    if _network is None:
        cv2.setNumThreads(1)
        _network = YuNetDetector(YUNET_MODEL, score_threshold=CANDIDATE_SCORE, nms_threshold=CANDIDATE_NMS)
        _shipped = SmallFacesYuNet.wrapping(YuNetDetector(YUNET_MODEL, score_threshold=SCORE_THRESHOLD))
    name, check = job
    image = cv2.imread(str(WIDER / name))
    height, width = image.shape[:2]
    found = {}
    for pass_name, (scale, transform) in PASSES.items():
        start = time.perf_counter()
        scaled = image if scale == 1 else cv2.resize(image, (round(width * scale), round(height * scale)),
                                                     interpolation=cv2.INTER_LINEAR)
        if transform is not None:
            scaled = transform(scaled)
        rows = _network.raw(scaled)
        seconds = time.perf_counter() - start
        if transform is _mirrored:
            mirrored_width = scaled.shape[1]
            rows[:, 0] = mirrored_width - rows[:, 0] - rows[:, 2]
            rows[:, 4:14:2] = mirrored_width - rows[:, 4:14:2]
        rows[:, :14] /= scale
        found[pass_name] = (rows, seconds)
    shipped = [(*f.box.to_xyxy(), f.confidence) for f in _shipped.detect(image)] if check else None
    return name, found, shipped


def passes_run(found: dict[str, tuple[Any, float]], variant: str) -> tuple[str, ...]:
    """The passes a variant runs on one image (a gated one may skip its upscaled passes)."""
    first, upscaled = VARIANTS[variant]
    if variant == GATED:
        rows = found[first][0]
        if not (np.maximum(rows[:, 2], rows[:, 3]) < GATE_PX).any():
            return (first,)
    return (first, *upscaled)


def variant_faces(found: dict[str, tuple[Any, float]], variant: str, width: int, height: int) -> list[Any]:
    """The faces a variant returns for one image's passes (the shipped fusion)."""
    from facedetect.detectors.yunet_small import SMALL_FACE_PX, fuse

    first, *upscaled = passes_run(found, variant)
    parts = [found[first][0]]
    for pass_name in upscaled:
        rows = found[pass_name][0]
        parts.append(rows[np.maximum(rows[:, 2], rows[:, 3]) < SMALL_FACE_PX])
    return fuse(np.concatenate(parts), SCORE_THRESHOLD, width, height)


def where_lost(truth: dict[str, Any], predictions: dict[str, list[list[float]]], scorer: Any) -> dict[str, Any]:
    """Missed hard faces (IoU < 0.5 with every returned box), near misses, and true/false faces by score.

    A returned face is true if it takes a hard face not yet taken at IoU >= 0.5 (most confident
    first, as the scorer matches); faces the scorer ignores count as neither.
    """
    missed = near = 0
    per_image: list[tuple[int, int, str]] = []
    bands = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01]
    true = [0] * (len(bands) - 1)
    false = [0] * (len(bands) - 1)
    for image in truth["images"]:
        boxes = np.array(predictions.get(image["file"], []), float).reshape(-1, 5)
        boxes = boxes[np.argsort(-boxes[:, 4], kind="stable")]
        faces = np.array(image["faces"], float).reshape(-1, 4)
        hard = np.zeros(len(faces), bool)
        hard[image["subsets"]["hard"]] = True
        ious = scorer.iou_matrix(boxes[:, :4], faces)
        taken = np.zeros(len(faces), bool)
        for i in range(len(boxes)):
            band = int(np.searchsorted(bands, boxes[i, 4], side="right")) - 1
            j = int(np.argmax(ious[i])) if len(faces) else -1
            if j >= 0 and ious[i, j] >= 0.5 and not hard[j]:
                continue
            if j >= 0 and ious[i, j] >= 0.5 and not taken[j]:
                taken[j] = True
                true[band] += 1
            else:
                false[band] += 1
        best = ious.max(axis=0) if len(boxes) else np.zeros(len(faces))
        lost = hard & ~taken
        missed += int(lost.sum())
        near += int((lost & (best >= 0.3)).sum())
        per_image.append((int(lost.sum()), int(hard.sum()), image["file"]))
    per_image.sort(reverse=True)
    return {"hard faces": sum(n for _, n, _ in per_image), "missed": missed, "missed, a box at IoU 0.3-0.5": near,
            "most missed (missed, hard faces, image)": per_image[:3],
            "by score (from, true, false)": [(b, t, f) for b, t, f in zip(bands, true, false, strict=False)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", type=int, default=1, help="use every STEP-th image (default: all)")
    parser.add_argument("--offset", type=int, default=0, help="starting at this one (default 0)")
    args = parser.parse_args()
    if not YUNET_MODEL.is_file():
        raise SystemExit(f"{YUNET_MODEL} is missing: this benchmark needs the YuNet model in ../shared")
    truth, probe_truth = load_truth_and_probe(args.step, args.offset)
    sizes = {im["file"]: (im["width"], im["height"]) for im in truth["images"]}
    scorer = load_module(SCORER, "facescore")
    meta = machine()
    jobs = [(im["file"], index % CHECK_EVERY == 0) for index, im in enumerate(truth["images"])]
    results = {}
    with Pool(2) as pool:
        for done, (name, found, shipped) in enumerate(pool.imap(run_passes, jobs, chunksize=2), 1):
            results[name] = found
            if shipped is not None:
                replayed = [(*f.box.to_xyxy(), f.confidence) for f in variant_faces(found, SHIPPED, *sizes[name])]
                if replayed != shipped:
                    raise SystemExit(f"{name}: the replayed shipped variant differs from the detector")
            if done % 100 == 0:
                print(f"{done}/{len(jobs)} images", file=sys.stderr, flush=True)
    pass_seconds = {p: sum(found[p][1] for found in results.values()) for p in PASSES}
    shipped_seconds = sum(pass_seconds[p] for p in ("1x", "1.5x"))
    rows: list[dict[str, Any]] = []
    for variant in VARIANTS:
        predictions = {}
        seconds = sum(found[p][1] for found in results.values() for p in passes_run(found, variant))
        for name, found in results.items():
            faces = variant_faces(found, variant, *sizes[name])
            predictions[name] = [[f.box.x, f.box.y, f.box.width, f.box.height, f.confidence] for f in faces]
        scores = scorer.score_all(truth, predictions)
        row = {"variant": variant, "AP easy": scores["easy"]["ap"], "AP medium": scores["medium"]["ap"],
               "AP hard": scores["hard"]["ap"], "recall hard": scores["hard"]["recall"],
               "cost / shipped": round(seconds / shipped_seconds, 2)}
        if probe_truth["images"]:
            row["probe AP hard"] = scorer.score_all(probe_truth, predictions)["hard"]["ap"]
        rows.append(row)
        if variant == SHIPPED:
            lost = where_lost(truth, predictions, scorer)
    columns = ["variant", "AP easy", "AP medium", "AP hard", "recall hard", "cost / shipped"]
    print_table(rows, columns + (["probe AP hard"] if probe_truth["images"] else []))
    path = write_result("yunet_scales", {"machine": meta, "images": len(results), "step": args.step,
                                         "offset": args.offset, "command": sys.argv,
                                         "pass_seconds": pass_seconds, "rows": rows, "shipped losses": lost})
    for key, value in lost.items():
        print(f"shipped, {key}: {value}")
    skipped = sum(len(passes_run(found, GATED)) == 1 for found in results.values())
    print(f"gated: the upscaled pass skipped on {skipped} of {len(results)} images")
    print(f"results: {path}")


if __name__ == "__main__":
    main()
