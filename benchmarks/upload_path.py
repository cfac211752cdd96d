"""The upload path's cost: processing an arrived photo against detecting the same bytes directly.

For generated phone-sized JPEGs (12 and 24 megapixels, astronauts on a noisy background), times
``UploadService.process`` (read the arrived bytes, detect, store image and detection, record the
outcome, delete the upload) against ``FaceDetectionService.detect`` on the same bytes (what
``POST /faces`` does), interleaved, each on a fresh in-memory service so both really detect.
OpenCV runs on one thread, as on a Lambda function of up to 1,769 MB (one vCPU at most).
The per-image duration feeds the cost estimate in docs/deploy.md.

    nice -n 10 .venv/bin/python benchmarks/upload_path.py --repeats 5
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path
from typing import Any

import cv2
from _common import machine, print_table, ratio_summary, rotated, summary_ms, timed, write_result
from memory import make_jpeg

from facedetect.adapters.local_inbox import LocalUploadInbox
from facedetect.adapters.memory import InMemoryDetectionRepository, InMemoryImageStore
from facedetect.adapters.memory_uploads import InMemoryUploadRepository
from facedetect.detectors import create_detector
from facedetect.domain.imaging import ImageLimits
from facedetect.service.detections import FaceDetectionService
from facedetect.service.uploads import UploadService

SIZES = ((4000, 3000), (6000, 4000))


def fresh_service(detector: Any) -> FaceDetectionService:
    return FaceDetectionService(detector, InMemoryImageStore(), InMemoryDetectionRepository(),
                                limits=ImageLimits(max_bytes=40 * 1024 * 1024, max_pixels=50_000_000))


def direct(detector: Any, data: bytes) -> float:
    service = fresh_service(detector)
    _, seconds = timed(service.detect, data)
    return seconds


def via_upload(detector: Any, data: bytes) -> float:
    inbox = LocalUploadInbox()
    uploads = UploadService(fresh_service(detector), InMemoryUploadRepository(), inbox)
    upload, target = uploads.create(content_type="image/jpeg", content_length=len(data))
    query = dict(part.split("=") for part in target.url.split("?", 1)[1].split("&"))
    inbox.accept(upload.upload_id, data, content_type="image/jpeg", expires=query["expires"],
                 signature=query["signature"], max_bytes=uploads.max_bytes)
    done, seconds = timed(uploads.process, upload.upload_id)
    assert done is not None and done.status == "done", done
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    detector = create_detector("haar")
    rows, results = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for width, height in SIZES:
            data = make_jpeg(Path(tmp), width, height).read_bytes()
            timings: dict[str, list[float]] = {"direct": [], "upload": []}
            variants = [("direct", direct), ("upload", via_upload)]
            for i in range(args.repeats):
                for name, run in rotated(variants, i):
                    timings[name].append(run(detector, data))
            key = f"{width}x{height}"
            results[key] = {"bytes": len(data), "direct": summary_ms(timings["direct"]),
                            "upload": summary_ms(timings["upload"]),
                            "upload_vs_direct": ratio_summary(timings["upload"], timings["direct"])}
            rows.append({"image": key, "MB": round(len(data) / 1e6, 1),
                         "direct median s": round(statistics.median(timings["direct"]), 2),
                         "upload median s": round(statistics.median(timings["upload"]), 2),
                         "upload/direct": results[key]["upload_vs_direct"]["median_of_ratios"]})
    print_table(rows, list(rows[0]))
    path = write_result("upload_path", {"machine": machine(), "repeats": args.repeats, "results": results})
    print(f"written: {path}")


if __name__ == "__main__":
    main()
