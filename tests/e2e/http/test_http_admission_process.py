"""Issue scenario on a real ``facedetect serve``: four costly uploads whose clients give up after 3 s.

The server runs two detection slots; the uploads are 24-megapixel JPEGs at default options
(seconds of detection each). Once the server's log says both slots are busy, ``GET /faces``
and ``GET /`` must answer promptly (a generous bound: the machine may be loaded), while the
detections are still running; the two uploads that found no slot give up with 503. Once both
detections have ended, the idle server gives their memory back (it kept ~2.5 GB before the
classifier pool and the work budget).
"""

from __future__ import annotations

import http.client
import sys
import threading
import time
from pathlib import Path

import pytest
from support import imagegen
from support.local_server import serve_process

SLOTS = 2
CLIENT_PATIENCE_S = 3.0
READ_BOUND_S = 10.0  # the issue asks for < 3 s; the bound leaves room for a loaded CI machine
IDLE_RSS_BOUND_MB = 1000  # the bound; measured ~130 MB, ~2,560 MB before
RSS_SETTLE_S = 60.0  # the memory is given back when a detection ends; this only allows for a slow machine


def give_up_after(host: str, port: int, body: bytes, seconds: float) -> None:
    """POST ``body`` and hang up after ``seconds`` without a response, as an impatient client does."""
    connection = http.client.HTTPConnection(host, port, timeout=seconds)
    try:
        connection.request("POST", "/faces", body=body, headers={"Content-Type": "image/jpeg"})
        connection.getresponse().read()
    except (TimeoutError, OSError, http.client.HTTPException):
        pass
    finally:
        connection.close()


def resident_mb(pid: int) -> float:
    """``VmRSS`` of ``pid`` from ``/proc``, MB."""
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/status")
def test_reads_answer_promptly_while_four_costly_uploads_run(tmp_path: Path):
    scene = imagegen.composite([(0, 0, 1.0), (1500, 800, 2.0)], size=(4000, 6000))  # 24 MP
    bodies = [imagegen.jpeg(scene, quality=q) for q in (84, 85, 86, 87)]  # distinct bytes: four detections
    # A work budget three times the default keeps each detection busy for a few seconds even on a fast
    # machine, so the reads below surely overlap them.
    with serve_process("--backend", "memory", "--detections", str(SLOTS), "--upload-wait", "2",
                       cwd=tmp_path, env={"FACEDETECT_WORK_BUDGET_MP": "150"}) as server:
        clients = [threading.Thread(target=give_up_after, args=(server.host, server.port, body, CLIENT_PATIENCE_S))
                   for body in bodies]
        for client in clients:
            client.start()
        server.wait_for_log(f"upload admitted: {SLOTS} of {SLOTS} detection slots busy")
        timings = {}
        for path in ("/faces", "/"):
            started = time.monotonic()
            status, _, _ = server.request("GET", path, timeout=60)
            timings[path] = time.monotonic() - started
            assert status == 200, path
        seen = server.logged_so_far()
        freed_meanwhile = [line for line in seen if "detection slot freed" in line]
        print(f"read latencies while {SLOTS} detections ran: " +
              ", ".join(f"GET {p} {t * 1000:.0f} ms" for p, t in timings.items()))
        assert all(t < READ_BOUND_S for t in timings.values()), timings
        assert len(freed_meanwhile) < SLOTS, "the detections ended before the reads: nothing was shown"
        for client in clients:
            client.join(timeout=60)
        # Every upload ends in the log: refused (no slot came free in time) or detected (its slot freed).
        # Which of the two depends on how fast the machine detects; that every one ends does not.
        while sum("upload refused (503)" in line or "detection slot freed" in line for line in seen) < len(bodies):
            seen += server.wait_for_log("")  # the next log line, whatever it says
        # Both detections have ended; the idle server must not keep their memory.
        deadline = time.monotonic() + RSS_SETTLE_S
        while (idle_mb := resident_mb(server.process.pid)) > IDLE_RSS_BOUND_MB and time.monotonic() < deadline:
            time.sleep(0.5)
        print(f"idle RSS after the detections: {idle_mb:.0f} MB")
        assert idle_mb <= IDLE_RSS_BOUND_MB
