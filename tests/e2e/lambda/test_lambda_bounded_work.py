"""Bounded work on the Lambda: the deadline from the context, and one warm process fed phone photos.

The sequence test runs ``benchmarks/bounded_work.py``'s sequence (a 50 MP and a 25 MP JPEG at
defaults, then a 4 MP JPEG under seven option sets, one of them ``scale_factor=1.01&min_neighbors=0``)
in a child process on the real handler and checks every answer and the child's peak RSS.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from support import imagegen
from support.lambda_events import Answer, FakeLambdaContext

from facedetect.entrypoints.aws_lambda import DEADLINE_MARGIN_S

REPO = Path(__file__).resolve().parents[3]


@dataclass
class ShortOfTime(FakeLambdaContext):
    """An invocation with only ``remaining_ms`` left."""

    remaining_ms: int = 30_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def test_a_detection_that_cannot_end_before_the_deadline_is_a_503_with_retry_after(
        lambda_handler: ModuleType, api_event: Callable[..., dict[str, Any]],
        stored: Callable[[], tuple[int, int]]) -> None:
    event = api_event("post_root_jpeg", image=imagegen.jpeg(imagegen.group()))
    short = ShortOfTime(remaining_ms=int(DEADLINE_MARGIN_S * 1000) + 20)
    answer = Answer.from_result(lambda_handler.handler(event, short))
    assert answer.status == 503, answer.raw_body
    assert answer.json["error"]["code"] == "not_enough_time"
    assert int(answer.header("Retry-After") or 0) >= 1
    assert stored() == (0, 0)
    answer = Answer.from_result(lambda_handler.handler(event, ShortOfTime(remaining_ms=25_000)))
    assert answer.status == 200 and answer.json["detection"]["face_count"] >= 3


@pytest.mark.slow
def test_one_warm_process_detects_phone_photos_and_costly_options_within_600_mb(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bounded_work.py"), "--only", "sequence",
                           "--results", str(tmp_path)], capture_output=True, text=True, check=False,
                          cwd=REPO / "benchmarks", timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(next(tmp_path.glob("bounded_work-*.json")).read_text())["sequence"]
    statuses = [(r["photo"], r["query"], r["status"]) for r in result["requests"]]
    assert all(status == 200 for *_, status in statuses), statuses
    assert [r["photo"] for r in result["requests"]] == ["50mp", "25mp"] + ["4mp"] * 7
    big = result["requests"][:3]
    assert all(r["scaled_to"] for r in big)  # shrunk to the budget, and the answer says so
    assert all(r["faces"] >= 1 for r in result["requests"])
    assert result["peak_rss_mb"] <= 600
    # Time: only a very generous bound (a busy 2-core machine): 10x the seed on 2 MP, at least 60 s.
    assert max(r["seconds"] for r in result["requests"]) <= max(60.0, 10 * result["seed_2mp_s"])
