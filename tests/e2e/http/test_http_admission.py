"""Admission on the local server: detections take a bounded number of slots; reads never wait behind them.

A fake detector that blocks until released makes "every slot busy" a state the test holds
on purpose, instead of a timing it hopes for.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
from support import imagegen
from support.local_server import RunningServer, server_in_thread

from facedetect.entrypoints.local_server.admission import AdmissionGate, ServerBusy, plan

SLOTS = 2
WAIT_SECONDS = 1.0


class BlockingDetector:
    """A detector that finds nothing, and does not return before :meth:`release` (or 120 s)."""

    name = "haar"
    parameters: dict[str, Any] = {"blocking": True}  # noqa: RUF012 (read-only here)

    def __init__(self) -> None:
        self._released = threading.Event()
        self._inside = threading.Condition()
        self.running = 0

    def detect(self, image: Any) -> list[Any]:
        with self._inside:
            self.running += 1
            self._inside.notify_all()
        self._released.wait(timeout=120)
        with self._inside:
            self.running -= 1
        return []

    def wait_running(self, count: int, timeout: float = 60) -> None:
        with self._inside:
            assert self._inside.wait_for(lambda: self.running == count, timeout=timeout), self.running

    def release(self) -> None:
        self._released.set()


@pytest.fixture
def blocked_server() -> Iterator[tuple[RunningServer, BlockingDetector]]:
    detector = BlockingDetector()
    with server_in_thread(threads=8, detections=SLOTS, upload_wait=WAIT_SECONDS, backend="memory",
                          detector=detector) as server:
        try:
            yield server, detector
        finally:
            detector.release()


def upload(server: RunningServer, body: bytes) -> tuple[int, dict[str, str], bytes]:
    return server.request("POST", "/faces", body, {"Content-Type": "image/png"})


def test_reads_are_answered_while_every_detection_slot_is_busy(blocked_server):
    server, detector = blocked_server
    images = imagegen.variants(SLOTS)
    with ThreadPoolExecutor(max_workers=SLOTS) as pool:
        running = [pool.submit(upload, server, body) for body in images]
        detector.wait_running(SLOTS)
        for path in ("/faces", "/", "/openapi.json", "/static/app.js", "/faces/0123456789abcdef0123456789abcdef"):
            started = time.monotonic()
            status, _, _ = server.request("GET", path)
            assert status in (200, 404) and time.monotonic() - started < 30, path
        assert detector.running == SLOTS and not any(f.done() for f in running)  # the uploads really were busy
        detector.release()
        assert [f.result()[0] for f in running] == [200] * SLOTS


def test_uploads_beyond_capacity_wait_briefly_then_get_503_with_retry_after(blocked_server):
    server, detector = blocked_server
    images = imagegen.variants(SLOTS + 3)
    capacity = plan(slots=SLOTS, threads=8)
    assert capacity.waiting == 2  # so: 2 run, 2 wait and give up, the fifth is refused at once
    with ThreadPoolExecutor(max_workers=len(images)) as pool:
        running = [pool.submit(upload, server, body) for body in images[:SLOTS]]
        detector.wait_running(SLOTS)
        started = time.monotonic()
        waiting: list[Future[tuple[int, dict[str, str], bytes]]] = [
            pool.submit(upload, server, body) for body in images[SLOTS:]]
        answers = [f.result(timeout=60) for f in waiting]
        elapsed = time.monotonic() - started
        assert [a[0] for a in answers] == [503] * 3
        assert all(a[1]["retry-after"] == "1" and b'"server_busy"' in a[2] for a in answers)
        assert WAIT_SECONDS * 0.9 <= elapsed < 60  # the waiting ones waited before giving up
        assert not any(f.done() for f in running)
        detector.release()
        assert [f.result()[0] for f in running] == [200] * SLOTS
    assert len(server.detections.items) == SLOTS  # the refused ones stored nothing


def test_a_waiting_upload_gets_the_slot_a_finished_one_frees():
    gate = AdmissionGate(slots=1, waiting=1, wait_seconds=60)
    inside = [threading.Event(), threading.Event()]
    leave = [threading.Event(), threading.Event()]

    def hold(i: int) -> None:
        with gate.slot():
            inside[i].set()
            leave[i].wait(60)

    first = threading.Thread(target=hold, args=(0,))
    first.start()
    assert inside[0].wait(60)
    second = threading.Thread(target=hold, args=(1,))
    second.start()
    deadline = time.monotonic() + 60
    while gate.counts() != (1, 1):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    with pytest.raises(ServerBusy), gate.slot():  # the queue is full: refused at once
        pass
    assert not inside[1].is_set()
    leave[0].set()
    assert inside[1].wait(60)
    assert gate.counts() == (1, 0)
    leave[1].set()
    for thread in (first, second):
        thread.join(60)
    assert gate.counts() == (0, 0)



def test_an_upload_arriving_as_a_slot_frees_is_not_refused():
    """The moment between a slot freeing and the woken waiter taking it: a new upload may queue."""
    gate = AdmissionGate(slots=1, waiting=1, wait_seconds=300)
    first = gate.slot()
    first.__enter__()
    inside, leave = threading.Event(), threading.Event()

    def wait_then_hold() -> None:
        with gate.slot():
            inside.set()
            leave.wait(300)

    waiter = threading.Thread(target=wait_then_hold)
    waiter.start()
    deadline = time.monotonic() + 300
    while gate.counts() != (1, 1):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    with gate._changed:  # the woken waiter cannot run until this block ends (the lock is re-entrant)
        first.__exit__(None, None, None)  # the slot frees; the waiter still counts as queued
        arriving = gate.slot()
        arriving.__enter__()  # before the fix: "503, the queue is full", with a slot free
    arriving.__exit__(None, None, None)
    assert inside.wait(300), "the waiter gets the slot after the newcomer"
    leave.set()
    waiter.join(300)
    assert gate.counts() == (0, 0)

@pytest.mark.parametrize(("slots", "threads", "expected"), [
    (4, None, (12, 4, 4)), (2, 4, (4, 2, 0)), (8, 4, (4, 3, 0)), (1, 1, (1, 1, 0)), (2, 30, (30, 2, 24)),
])
def test_plan_always_keeps_a_thread_for_reads_when_it_can(slots, threads, expected):
    shares = plan(slots=slots, threads=threads)
    assert (shares.threads, shares.slots, shares.waiting) == expected
    assert shares.read_threads >= (1 if shares.threads > 1 else 0)
