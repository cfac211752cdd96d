"""What each of haar-multi's speed choices buys: every pass timed against the seed detector, same images.

In one process, OpenCV single-threaded (as under ``facedetect detect`` with two workers), on the
decoded grey WIDER dev images: the seed detector (default cascade, 1.1, 5 neighbours) and
haar-multi's passes with and without their choices (pyramid step, smallest face), then the whole
detector serial and parallel. Every configuration runs on every image, the order rotated per
image; the table gives each one's total time over the seed's.

    .venv/bin/python benchmarks/haar_multi_passes.py --step 20 --rounds 2
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

import cv2
from _common import WIDER, load_truth, machine, print_table, rotated, write_result

from facedetect.detectors.haar_multi import PASSES, MultiCascadeDetector

SEED = "seed: default cascade, 1.1, 5 neighbours"


def cascade_run(name: str, scale: float, neighbours: int, fraction: float, mirrored: bool) -> Callable[[Any], Any]:
    classifier = cv2.CascadeClassifier(cv2.data.haarcascades + name)  # type: ignore[attr-defined]

    def run(grey: Any) -> Any:
        side = round(fraction * min(grey.shape[:2]))
        source = cv2.flip(grey, 1) if mirrored else grey
        return classifier.detectMultiScale2(source, scaleFactor=scale, minNeighbors=neighbours, minSize=(side, side))

    return run


def configurations() -> dict[str, Callable[[Any], Any]]:
    alt2, profile = PASSES[0], PASSES[1]
    serial, parallel = MultiCascadeDetector(parallel=False), MultiCascadeDetector(parallel=True)
    return {
        SEED: cascade_run("haarcascade_frontalface_default.xml", 1.1, 5, 0.0, False),
        "alt2 1.1, every size": cascade_run(alt2.cascade, 1.1, alt2.min_neighbors, 0.0, False),
        f"alt2 1.1, from {alt2.min_face_fraction:.0%} (haar-multi)": cascade_run(
            alt2.cascade, 1.1, alt2.min_neighbors, alt2.min_face_fraction, False),
        "profile 1.1, every size": cascade_run(profile.cascade, 1.1, profile.min_neighbors, 0.0, False),
        "profile 1.2, every size": cascade_run(profile.cascade, 1.2, profile.min_neighbors, 0.0, False),
        f"profile 1.2, from {profile.min_face_fraction:.0%} (haar-multi)": cascade_run(
            profile.cascade, 1.2, profile.min_neighbors, profile.min_face_fraction, False),
        "mirrored profile, as haar-multi (flip included)": cascade_run(
            profile.cascade, 1.2, profile.min_neighbors, profile.min_face_fraction, True),
        "haar-multi, passes one after the other": serial.detect,
        "haar-multi, passes in 3 threads": parallel.detect,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", type=int, default=20, help="every STEP-th WIDER dev image (default 20)")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    images = [cv2.cvtColor(cv2.imread(str(WIDER / im["file"])), cv2.COLOR_BGR2GRAY)
              for im in load_truth(None)["images"][::args.step]]
    configs = configurations()
    totals = dict.fromkeys(configs, 0.0)
    for round_ in range(args.rounds):
        for index, grey in enumerate(images):
            for name in rotated(list(configs), index + round_):
                start = time.perf_counter()
                configs[name](grey)
                totals[name] += time.perf_counter() - start
    rows = [{"configuration": name, "s": round(total, 2), "time / seed": round(total / totals[SEED], 3)}
            for name, total in totals.items()]
    print_table(rows, ["configuration", "s", "time / seed"])
    path = write_result("haar_multi_passes", {"machine": machine(), "images": len(images), "rounds": args.rounds,
                                              "command": sys.argv, "rows": rows})
    print(f"results: {path}")


if __name__ == "__main__":
    main()
