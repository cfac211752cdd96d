"""Bounded load test of ``facedetect serve`` on loopback, and its throughput against the in-process service.

1. Mixed load: ``facedetect serve`` (filesystem backend, a fresh temporary directory) gets
   ``--requests`` requests from ``--clients`` concurrent keep-alive clients: valid images (raw
   bytes and base64 JSON, drawn from ``--images`` distinct small composites, so most are
   duplicates), invalid bodies (random bytes, empty, truncated JPEG, GIF, bad JSON) and
   listings. Afterwards the data directory is counted: no 5xx, every answer the expected one,
   and distinct valid images == detections stored == images stored. The same request list is
   then run in-process (``service.detect``/``service.list``, same thread count) for the ratio.
2. Scaling: every request detects (``?store=false``), with 1, 2, 4 and 8 server worker threads,
   each ``--rounds`` times in rotated order (the median run is reported), each run followed by
   the bare service with as many threads.

    /work/venv311/bin/python benchmarks/load_test.py
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import json
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import REPO, machine, print_table, rotated, wait_for_quiet, write_result

sys.path.insert(0, str(REPO / "tests"))
from support import imagegen

SCALING_THREADS = (1, 2, 4, 8)


@dataclass(frozen=True)
class Call:
    kind: str  # "image", "json", "invalid", "list"
    body: bytes = b""
    content_type: str = "image/jpeg"
    sha256: str = ""
    query: str = ""


def make_calls(count: int, distinct: int, seed: int = 7) -> list[Call]:
    """The request mix: 60 % raw images, 10 % base64 JSON images, 20 % invalid bodies, 10 % listings."""
    rng = random.Random(seed)
    images = []
    for i in range(distinct):
        x, y, s = rng.randint(0, 120), rng.randint(0, 40), rng.uniform(0.35, 0.45)
        scene = imagegen.composite([(x, y, s), (x + 200, y + 30, s * 0.9)], size=(280, 480))
        images.append(imagegen.jpeg(scene, 85 + i % 10))
    truncated, gif = images[0][: len(images[0]) // 2], imagegen.pil_encode(imagegen.shapes(), "GIF")
    invalid = [(b"", "image/jpeg"), (bytes(rng.randrange(256) for _ in range(3000)), "application/octet-stream"),
               (truncated, "image/jpeg"), (gif, "image/gif"), (b'{"image": "@@@"}', "application/json")]
    calls = []
    for _ in range(count):
        roll, picture = rng.random(), rng.choice(images)
        digest = hashlib.sha256(picture).hexdigest()
        if roll < 0.6:
            calls.append(Call("image", picture, "image/jpeg", digest))
        elif roll < 0.7:
            document = json.dumps({"image": base64.b64encode(picture).decode()}).encode()
            calls.append(Call("json", document, "application/json", digest))
        elif roll < 0.9:
            body, content_type = rng.choice(invalid)
            calls.append(Call("invalid", body, content_type))
        else:
            calls.append(Call("list", query="?limit=5"))
    return calls


#: Uploads allowed to wait for a detection slot: every client's (the benchmark measures throughput, not refusals).
WAITING_UPLOADS = 16


def start_server(data_dir: Path, threads: int) -> tuple[subprocess.Popen[str], str, int]:
    """``facedetect serve`` with ``threads`` detection slots, room for every client to wait, four read threads."""
    command = [sys.executable, "-m", "facedetect.entrypoints.cli.main", "serve", "--port", "0",
               "--detections", str(threads), "--threads", str(threads + WAITING_UPLOADS + 4),
               "--upload-wait", "300", "--data-dir", str(data_dir)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    banner = process.stdout.readline()
    host_port = banner.split()[2].removeprefix("http://").rstrip("/")
    host, port = host_port.rsplit(":", 1)
    return process, host, int(port)


def stop_server(process: subprocess.Popen[str]) -> int:
    process.send_signal(2)  # SIGINT: the graceful stop
    return process.wait(timeout=120)


def run_http(host: str, port: int, calls: list[Call], clients: int) -> tuple[list[dict[str, Any]], float]:
    """Send ``calls`` with ``clients`` keep-alive connections; one record per call and the wall time."""
    local = threading.local()

    def send(call: Call) -> dict[str, Any]:
        if getattr(local, "connection", None) is None:
            local.connection = http.client.HTTPConnection(host, port, timeout=120)
        method, path = ("GET", "/faces") if call.kind == "list" else ("POST", "/faces")
        started = time.perf_counter()
        try:
            local.connection.request(method, path + call.query, body=call.body if method == "POST" else None,
                                     headers={"Content-Type": call.content_type})
            response = local.connection.getresponse()
            payload = response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            local.connection.close()
            local.connection = None
            return {"call": call, "status": 0, "error": repr(exc), "seconds": time.perf_counter() - started}
        if response.will_close:
            local.connection.close()
            local.connection = None
        return {"call": call, "status": status, "body": payload, "seconds": time.perf_counter() - started}

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        records = list(pool.map(send, calls))
    return records, time.perf_counter() - started


def run_in_process(data_dir: Path, calls: list[Call], clients: int, store: bool = True) -> float:
    """The same calls made directly on a service (same backend, same thread count); the wall time."""
    from facedetect.composition import bootstrap
    from facedetect.errors import FaceDetectError

    service = bootstrap(backend="filesystem", data_dir=data_dir)

    def call(item: Call) -> None:
        try:
            if item.kind == "list":
                service.list(limit=5)
            elif item.kind == "json":
                service.detect(base64.b64decode(json.loads(item.body)["image"]), store=store)
            else:
                service.detect(item.body, store=store)
        except (FaceDetectError, ValueError):
            pass

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(call, calls))
    return time.perf_counter() - started


def check(records: list[dict[str, Any]], data_dir: Path) -> dict[str, Any]:
    """Correctness of a mixed run: statuses, bodies, and what the data directory holds."""
    server_errors = [r for r in records if r["status"] >= 500 or r["status"] == 0]
    wrong = []
    ids = set()
    for r in records:
        call: Call = r["call"]
        if call.kind in ("image", "json"):
            detection = json.loads(r["body"])["detection"] if r["status"] == 200 else {}
            if detection.get("sha256") != call.sha256:
                wrong.append(r)
            ids.add(detection.get("id"))
        elif (call.kind == "invalid") != (400 <= r["status"] < 500):
            wrong.append(r)
    distinct = {r["call"].sha256 for r in records if r["call"].kind in ("image", "json")}
    stored_detections = len(list((data_dir / "detections").glob("*.json")))
    stored_images = len([p for p in (data_dir / "images").iterdir() if not p.name.startswith(".")])
    return {"server_errors": len(server_errors), "wrong_answers": len(wrong), "distinct_valid_images": len(distinct),
            "distinct_detection_ids": len(ids), "detections_stored": stored_detections, "images_stored": stored_images,
            "ok": not server_errors and not wrong and len(distinct) == len(ids) == stored_detections == stored_images}


def latency_summary(records: list[dict[str, Any]], wall: float) -> dict[str, float]:
    seconds = sorted(r["seconds"] for r in records)
    cuts = statistics.quantiles(seconds, n=100)
    return {"requests": len(records), "throughput_rps": round(len(records) / wall, 1),
            "p50_ms": round(statistics.median(seconds) * 1e3, 2), "p99_ms": round(cuts[98] * 1e3, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--threads", type=int, default=8, help="server worker threads of the mixed run")
    parser.add_argument("--scaling-requests", type=int, default=160)
    parser.add_argument("--rounds", type=int, default=3, help="scaling runs per thread count (median reported)")
    args = parser.parse_args()
    calls = make_calls(args.requests, args.images)
    result: dict[str, Any] = {"machine": machine(), "args": vars(args)}
    with tempfile.TemporaryDirectory() as tmp:
        wait_for_quiet(0.5, 60)
        process, host, port = start_server(Path(tmp, "http"), args.threads)
        records, wall = run_http(host, port, calls, args.clients)
        result["exit_status"] = stop_server(process)
        result["http"] = latency_summary(records, wall) | check(records, Path(tmp, "http"))
        in_process = run_in_process(Path(tmp, "direct"), calls, args.clients)
        result["in_process"] = {"throughput_rps": round(len(calls) / in_process, 1)}
        result["http_over_in_process"] = round((len(calls) / wall) / (len(calls) / in_process), 3)

        detect_calls = [Call("image", c.body, c.content_type, c.sha256, "?store=false")
                        for c in calls if c.kind == "image"][: args.scaling_requests]
        runs: dict[int, list[tuple[list[dict[str, Any]], float, float]]] = {t: [] for t in SCALING_THREADS}
        for round_no in range(args.rounds):  # rotated order: the shared machine's load falls on all alike
            for threads in rotated(SCALING_THREADS, round_no):
                wait_for_quiet(0.5, 30)
                process, host, port = start_server(Path(tmp, f"scale-{threads}-{round_no}"), threads)
                records, wall = run_http(host, port, detect_calls, args.clients)
                stop_server(process)
                direct = run_in_process(Path(tmp, f"direct-{threads}-{round_no}"), detect_calls, threads, store=False)
                runs[threads].append((records, wall, direct))
        scaling = []
        for threads, samples in runs.items():
            best = sorted(samples, key=lambda sample: sample[1])[len(samples) // 2]  # the median run by wall time
            direct = statistics.median(sample[2] for sample in samples)
            scaling.append({"threads": threads, **latency_summary(best[0], best[1]),
                            "in_process_rps": round(len(detect_calls) / direct, 1),
                            "http_over_in_process": round(direct / best[1], 3),
                            "5xx": sum(r["status"] >= 500 or r["status"] == 0 for s in samples for r in s[0])})
        base = scaling[0]["throughput_rps"]
        for row in scaling:
            row["speedup"] = round(row["throughput_rps"] / base, 2)
        result["scaling"] = scaling
    print(json.dumps({k: result[k] for k in ("http", "in_process", "http_over_in_process", "exit_status")}, indent=1))
    print_table(scaling, ["threads", "requests", "throughput_rps", "speedup", "p50_ms", "p99_ms", "in_process_rps",
                          "http_over_in_process", "5xx"])
    print(f"written to {write_result('load_test', result)}")
    if not result["http"]["ok"] or result["exit_status"] != 0 or any(row["5xx"] for row in scaling):
        raise SystemExit("load test FAILED: see the figures above")


if __name__ == "__main__":
    main()
