"""Many writers on one filesystem store: threads in one process, and two processes at once.

The filesystem adapters promise that a detection is visible whole or not at all, that an
image is stored once however many writers race for it, and that ``put`` reports "created"
to exactly one of them.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from support import imagegen

from facedetect.adapters.filesystem import FilesystemImageStore
from facedetect.composition import bootstrap
from facedetect.entrypoints.rest.representation import detection_to_json

THREADS = 8
PER_THREAD = 50
TIMEOUT = 300  # seconds; generous for two busy cores, a hang fails instead of blocking CI


def _result(as_json: dict[str, Any]) -> dict[str, Any]:
    """What every writer of the same image must agree on (the timing fields are each caller's own)."""
    return {k: v for k, v in as_json.items() if k not in ("created_at", "duration_ms")}


def _merge(results: list[tuple[bytes, dict[str, Any]]]) -> dict[str, tuple[bytes, dict[str, Any]]]:
    """Results by detection id, checking that callers racing on one image got the same result."""
    merged: dict[str, tuple[bytes, dict[str, Any]]] = {}
    for data, as_json in results:
        previous = merged.setdefault(as_json["id"], (data, as_json))
        assert previous[0] == data and _result(previous[1]) == _result(as_json)
    return merged


def _check_store(data_dir: Path, expected: dict[str, tuple[bytes, dict[str, Any]]]) -> None:
    """Every expected detection readable and intact; every image stored exactly once; no temp files."""
    service = bootstrap(backend="filesystem", data_dir=data_dir)  # a fresh reader, as after a restart
    images = set()
    for det_id, (data, as_json) in expected.items():
        stored = service.get(det_id)
        assert _result(detection_to_json(stored)) == _result(as_json)
        assert service.image(det_id) == (data, "image/png")
        assert stored.sha256 == hashlib.sha256(data).hexdigest()
        images.add(stored.image_key)
    on_disk = sorted(p.name for p in (data_dir / "images").iterdir())
    assert on_disk == sorted(images)
    for path in (data_dir / "images").iterdir():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.stem
    detection_files = sorted((data_dir / "detections").iterdir())
    assert [p.stem for p in detection_files] == sorted(expected)
    for path in detection_files:
        json.loads(path.read_text())  # complete JSON, never a half-written file
    listed = service.list(limit=1000)
    assert sorted(d.id for d in listed.items) == sorted(expected) and listed.next_cursor is None


def test_8_threads_x_50_detections_through_one_service(tmp_path: Path) -> None:
    service = bootstrap(backend="filesystem", data_dir=tmp_path)
    distinct = imagegen.variants(THREADS * PER_THREAD, size=72)
    shared = imagegen.variants(10, size=72, seed=99)  # every thread also sends these: racing writers

    def work(worker: int) -> list[tuple[bytes, dict[str, Any]]]:
        out = []
        mine = distinct[worker * PER_THREAD:(worker + 1) * PER_THREAD]
        for i, data in enumerate(mine):
            out.append((data, detection_to_json(service.detect(data))))
            if i % 5 == 0:  # all threads reach the same shared image at about the same time
                extra = shared[i // 5]
                out.append((extra, detection_to_json(service.detect(extra))))
        return out

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = [item for chunk in pool.map(work, range(THREADS)) for item in chunk]

    expected = _merge(results)
    assert len(expected) == THREADS * PER_THREAD + len(shared)
    _check_store(tmp_path, expected)


# --- two processes ----------------------------------------------------------------------------


def _process_worker(data_dir: str, images: list[bytes], barrier: Any) -> list[tuple[bytes, dict[str, Any]]]:
    service = bootstrap(backend="filesystem", data_dir=data_dir)
    barrier.wait(timeout=TIMEOUT)  # both processes start writing at the same moment
    return [(data, detection_to_json(service.detect(data))) for data in images]


def _put_worker(data_dir: str, items: list[tuple[str, bytes]], barrier: Any) -> list[bool]:
    store = FilesystemImageStore(data_dir)
    barrier.wait(timeout=TIMEOUT)
    return [store.put(key, data, media_type="image/png") for key, data in items]


def _run_two(target: Any, args_a: tuple[Any, ...], args_b: tuple[Any, ...]) -> tuple[Any, Any]:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(2)
        with ctx.Pool(2) as pool:
            a = pool.apply_async(target, (*args_a, barrier))
            b = pool.apply_async(target, (*args_b, barrier))
            return a.get(TIMEOUT), b.get(TIMEOUT)


def test_two_processes_write_overlapping_and_distinct_images(tmp_path: Path) -> None:
    common = imagegen.variants(30, size=72, seed=1)
    own_a = imagegen.variants(30, size=72, seed=2)
    own_b = imagegen.variants(30, size=72, seed=3)
    # Process A sends the common images first, B sends them last and reversed: they meet in the middle.
    results_a, results_b = _run_two(_process_worker, (str(tmp_path), common + own_a),
                                    (str(tmp_path), own_b + common[::-1]))
    expected = _merge([*results_a, *results_b])
    assert len(expected) == 90
    _check_store(tmp_path, expected)


def test_two_processes_putting_the_same_keys_agree_on_who_created_each(tmp_path: Path) -> None:
    items = [(f"{hashlib.sha256(str(i).encode()).hexdigest()}.png", str(i).encode() * 1000) for i in range(200)]
    created_a, created_b = _run_two(_put_worker, (str(tmp_path), items), (str(tmp_path), items[::-1]))
    created_b = created_b[::-1]
    assert all(a != b for a, b in zip(created_a, created_b, strict=True))  # exactly one True per key
    store = FilesystemImageStore(tmp_path)
    for key, data in items:
        assert store.get(key) == data
    assert sorted(p.name for p in (tmp_path / "images").iterdir()) == sorted(k for k, _ in items)
