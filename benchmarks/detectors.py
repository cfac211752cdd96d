"""The detectors compared through the command line on WIDER FACE dev: AP and wall time, same run.

Each configuration is the real command, ``facedetect detect DIR --no-store --detector ...`` (both
cores: the CLI's default two workers), on the same folder of WIDER dev images. The images are
split into chunks; every chunk is run by every configuration in turn, the order rotated per
chunk, so the shared machine's load falls on all of them alike. Wall time (start-up included)
is summed per configuration and reported as a ratio to the seed detector's (default Haar) on the
same chunks. Predictions (the JSON lines) are scored with ../shared's facescore, over the images
run and, for AP easy and hard, over those among the first 200 dev images too (the probe images).

    .venv/bin/python benchmarks/detectors.py                 # all 783 images
    .venv/bin/python benchmarks/detectors.py --step 8         # every 8th image (98), for tuning
    .venv/bin/python benchmarks/detectors.py --step 2 --offset 1   # the 392 images no tuning used
    # --chunks N: how many interleaved chunks (default 8); --only NAME,...: a subset of configurations
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import (
    SCORER,
    WIDER,
    YUNET_MODEL,
    load_module,
    load_truth_and_probe,
    machine,
    print_table,
    rotated,
    write_result,
)

BASELINE = "seed haar"
#: name -> the detector options given to ``facedetect detect``.
CONFIGURATIONS: dict[str, list[str]] = {
    BASELINE: [],
    "haar-multi": ["--detector", "haar-multi"],
    "yunet 0.3": ["--detector", "yunet", "--yunet-model", str(YUNET_MODEL), "--yunet-score-threshold", "0.3"],
    "yunet 0.3 small-faces": ["--detector", "yunet", "--yunet-model", str(YUNET_MODEL),
                              "--yunet-score-threshold", "0.3", "--small-faces"],
}


def run_cli(directory: Path, options: list[str]) -> tuple[float, dict[str, list[list[float]]]]:
    """Run ``facedetect detect DIRECTORY --no-store OPTIONS``; wall seconds and predictions by file."""
    command = [str(Path(sys.executable).with_name("facedetect")), "detect", str(directory), "--no-store", *options]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEDETECT_")}
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
    predictions: dict[str, list[list[float]]] = {}
    for line in done.stdout.splitlines():
        result = json.loads(line)
        name = str(Path(result["path"]).relative_to(directory))
        predictions[name] = [[f["x"], f["y"], f["width"], f["height"], f["confidence"]] for f in result["faces"]]
    return wall, predictions


def link_chunks(files: list[str], chunks: int, root: Path) -> list[Path]:
    """Symlink the images into ``chunks`` folders under ``root``, keeping WIDER's relative paths."""
    folders = [root / f"chunk{i}" for i in range(chunks)]
    for index, name in enumerate(files):
        target = folders[index % chunks] / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(WIDER / name)
    return folders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", type=int, default=1, help="use every STEP-th image (default: all)")
    parser.add_argument("--offset", type=int, default=0, help="starting at this one (default 0)")
    parser.add_argument("--chunks", type=int, default=8, help="interleaved chunks (default 8)")
    parser.add_argument("--only", help="comma-separated configuration names (default: all)")
    args = parser.parse_args()
    names = [n for n in CONFIGURATIONS if not args.only or n in args.only.split(",")]
    if BASELINE not in names:
        names.insert(0, BASELINE)
    if not YUNET_MODEL.is_file():
        names = [n for n in names if "yunet" not in n]
    truth, probe_truth = load_truth_and_probe(args.step, args.offset)
    files = [im["file"] for im in truth["images"]]
    scorer = load_module(SCORER, "facescore")
    walls: dict[str, list[float]] = {n: [] for n in names}
    predictions: dict[str, dict[str, list[list[float]]]] = {n: {} for n in names}
    meta = machine()
    with tempfile.TemporaryDirectory(prefix="facedetect-detectors-") as temp:
        folders = link_chunks(files, args.chunks, Path(temp))
        for index, folder in enumerate(folders):
            for name in rotated(names, index):
                wall, found = run_cli(folder, CONFIGURATIONS[name])
                walls[name].append(wall)
                predictions[name].update(found)
                print(f"chunk {index + 1}/{len(folders)} {name}: {wall:.1f} s", file=sys.stderr, flush=True)
    rows: list[dict[str, Any]] = []
    for name in names:
        scores = scorer.score_all(truth, predictions[name])
        per_chunk = [w / b for w, b in zip(walls[name], walls[BASELINE], strict=True)]
        probe_scores = scorer.score_all(probe_truth, predictions[name]) if probe_truth["images"] else None
        rows.append({
            "configuration": name,
            "AP easy": scores["easy"]["ap"], "AP medium": scores["medium"]["ap"], "AP hard": scores["hard"]["ap"],
            "wall s": round(sum(walls[name]), 1),
            "time / seed": round(sum(walls[name]) / sum(walls[BASELINE]), 3),
            "median chunk ratio": round(sorted(per_chunk)[len(per_chunk) // 2], 3),
            "probe AP easy": probe_scores["easy"]["ap"] if probe_scores else None,
            "probe AP hard": probe_scores["hard"]["ap"] if probe_scores else None,
            "scores": scores, "probe scores": probe_scores, "walls": walls[name],
        })
    print_table(rows, ["configuration", "AP easy", "AP medium", "AP hard", "wall s", "time / seed",
                       "median chunk ratio", "probe AP easy", "probe AP hard"])
    path = write_result("detectors", {"machine": meta, "images": len(files), "step": args.step,
                                      "offset": args.offset,
                                      "chunks": args.chunks, "command": sys.argv, "rows": rows})
    print(f"results: {path}")


if __name__ == "__main__":
    main()
