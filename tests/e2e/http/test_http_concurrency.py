"""Concurrent requests through the local server: no cross-talk between them, nothing lost or doubled."""

from __future__ import annotations

import hashlib
import itertools
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from support import imagegen
from support.local_server import server_in_thread


def test_concurrent_uploads_each_get_their_own_answer_and_are_stored_once(tmp_path: Path):
    images = imagegen.variants(12)
    uploads = images + images[:4]  # four duplicates, sent at the same time as their originals
    # capacity for every client at once: 4 detecting, 4 waiting (as long as they need), 4 threads for reads
    with server_in_thread(threads=12, detections=4, upload_wait=300, backend="filesystem", data_dir=tmp_path) as server:
        def send(body: bytes) -> tuple[bytes, int, dict[str, object]]:
            status, _, payload = server.request("POST", "/faces", body, {"Content-Type": "image/png"})
            return body, status, json.loads(payload)

        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(send, uploads))
    for body, status, payload in answers:
        assert status == 200, payload
        assert payload["detection"]["sha256"] == hashlib.sha256(body).hexdigest()  # its own body, no other's
    assert len({payload["detection"]["id"] for _, _, payload in answers}) == len(images)
    assert len(list((tmp_path / "detections").glob("*.json"))) == len(images)
    assert len(list((tmp_path / "images").glob("*.png"))) == len(images)


def test_requests_are_processed_in_parallel_by_the_worker_threads(tmp_path: Path):
    """Four slow requests with four detection slots: their server-side detections overlap in time."""
    scene = imagegen.composite([(0, 0, 1.0), (600, 200, 1.0)], size=(900, 1200))
    bodies = [imagegen.jpeg(scene, quality=q) for q in (80, 81, 82, 83)]  # distinct bytes, same content
    with server_in_thread(threads=8, detections=4, backend="memory") as server:
        def send(body: bytes) -> int:
            return server.request("POST", "/faces", body, {"Content-Type": "image/jpeg"})[0]

        with ThreadPoolExecutor(max_workers=4) as pool:
            assert list(pool.map(send, bodies)) == [200] * 4
        detections = list(server.detections.items.values())
    spans = sorted((d.created_at.timestamp() - d.duration_ms / 1000, d.created_at.timestamp()) for d in detections)
    assert len(spans) == 4
    assert any(later_start < earlier_end for (_, earlier_end), (later_start, _) in itertools.pairwise(spans))
