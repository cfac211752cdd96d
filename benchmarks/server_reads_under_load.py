"""Reads on ``facedetect serve`` while costly uploads hold every detection slot; the idle server's memory after.

The issue's scenario: four uploads of a 24-megapixel JPEG at default options, each client
giving up after 3 s, on a server with ``--detections 2 --upload-wait 2`` (memory backend).
While the server's log says both slots are busy, ``GET /faces`` and ``GET /`` are timed in
a loop until both detections end; the baseline is the same reads on the idle server just
before, in the same run. Then, 5 s after the last detection, the server's resident memory
(``VmRSS``; its peak, ``VmHWM``, too). ``--src DIR`` runs the server from another checkout's ``src``.

    nice -n 10 .venv/bin/python benchmarks/server_reads_under_load.py    # --megapixels 24 --uploads 4 --slots 2
    git archive 9b79c37 src | tar -x -C ../before                        # the code before bounded work
    nice -n 10 .venv/bin/python benchmarks/server_reads_under_load.py --src ../before/src
"""

from __future__ import annotations

import argparse
import http.client
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _common import REPO, machine, write_result

sys.path.insert(0, str(REPO / "tests"))
from support import imagegen  # the test suite's image generator


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of ``pid`` (Linux ``/proc``; ``VmHWM`` for the peak), MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmRSS: this script needs Linux")


def timed_get(host: str, port: int, path: str) -> float:
    connection = http.client.HTTPConnection(host, port, timeout=120)
    started = time.perf_counter()
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"GET {path}: {response.status}")
    finally:
        connection.close()
    return time.perf_counter() - started


def impatient_upload(host: str, port: int, body: bytes, patience: float) -> None:
    connection = http.client.HTTPConnection(host, port, timeout=patience)
    try:
        connection.request("POST", "/faces", body=body, headers={"Content-Type": "image/jpeg"})
        connection.getresponse().read()
    except (OSError, http.client.HTTPException):
        pass
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megapixels", type=float, default=24.0)
    parser.add_argument("--uploads", type=int, default=4)
    parser.add_argument("--slots", type=int, default=2)
    parser.add_argument("--patience", type=float, default=3.0, help="seconds before a client hangs up")
    parser.add_argument("--src", type=Path, help="run the server from this src directory (e.g. an older checkout's)")
    args = parser.parse_args()

    height = int((args.megapixels * 1e6 / 1.5) ** 0.5)
    scene = imagegen.composite([(0, 0, 1.0), (height // 3, height // 5, 2.0)], size=(height, int(height * 1.5)))
    bodies = [imagegen.jpeg(scene, quality=80 + i) for i in range(args.uploads)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEDETECT_")}
    if args.src:
        env["PYTHONPATH"] = str(args.src.resolve())
    command = [sys.executable, "-m", "facedetect.entrypoints.cli.main", "serve", "--port", "0", "--backend", "memory",
               "--detections", str(args.slots), "--upload-wait", "2"]
    with tempfile.TemporaryDirectory() as cwd:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, bufsize=1)
        assert process.stdout is not None and process.stderr is not None
        banner = process.stdout.readline()
        host, port_text = banner.split()[2].removeprefix("http://").rstrip("/").rsplit(":", 1)
        port = int(port_text)
        log: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [log.put(line) for line in process.stderr], daemon=True).start()  # type: ignore[union-attr]
        try:
            for path in ("/faces", "/", "/faces", "/"):  # warm up: the first requests build the service's parts
                timed_get(host, port, path)
            idle = [timed_get(host, port, path) for _ in range(20) for path in ("/faces", "/")]
            rss_before = rss_mb(process.pid)
            clients = [threading.Thread(target=impatient_upload, args=(host, port, body, args.patience))
                       for body in bodies]
            for client in clients:
                client.start()
            lines: list[str] = []
            while not any(f"{args.slots} of {args.slots} detection slots busy" in line for line in lines):
                lines.append(log.get(timeout=120))
            loaded: list[float] = []
            freed = 0
            while freed < args.slots:  # until both admitted detections have ended
                loaded.extend(timed_get(host, port, path) for path in ("/faces", "/"))
                time.sleep(0.05)
                while not log.empty():
                    line = log.get()
                    lines.append(line)
                    freed += "detection slot freed" in line
            for client in clients:
                client.join()
            time.sleep(5)
            rss_after, rss_peak = rss_mb(process.pid), rss_mb(process.pid, "VmHWM")
        finally:
            process.terminate()
            process.wait(timeout=60)
    durations = [float(line.split("freed after ")[1].split(" s")[0]) for line in lines if "freed after" in line]
    result: dict[str, Any] = {
        "megapixels": args.megapixels, "uploads": args.uploads, "slots": args.slots,
        "idle_read_median_ms": round(statistics.median(idle) * 1e3, 1),
        "loaded_read_median_ms": round(statistics.median(loaded) * 1e3, 1),
        "loaded_read_max_ms": round(max(loaded) * 1e3, 1), "loaded_reads": len(loaded),
        "loaded_over_idle_median": round(statistics.median(loaded) / statistics.median(idle), 2),
        "detection_seconds": durations,
        "uploads_refused_503": sum("upload refused (503)" in line for line in lines),
        "rss_mb_idle_before": round(rss_before, 1), "rss_mb_idle_after": round(rss_after, 1),
        "rss_mb_peak": round(rss_peak, 1), "src": str(args.src or REPO / "src"),
        "machine": machine(),
    }
    path = write_result("server_reads_under_load", result)
    for key, value in result.items():
        if key != "machine":
            print(f"{key:28} {value}")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
