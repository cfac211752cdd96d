"""The one retry helper (adapters/aws/retries.py): attempts and the waits between them."""

from __future__ import annotations

import pytest

from facedetect.adapters.aws import retries


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(retries.time, "sleep", slept.append)
    return slept


def test_waits_double_between_attempts_and_never_before_the_first_or_after_the_last(waits: list[float]) -> None:
    assert list(retries.attempts(4, first_wait_s=0.5)) == [0, 1, 2, 3]
    assert waits == [0.5, 1.0, 2.0]


def test_a_success_stops_the_attempts_without_waiting_again(waits: list[float]) -> None:
    for attempt in retries.attempts(8):
        if attempt == 1:
            break
    else:
        pytest.fail("the loop ran out of attempts")
    assert waits == [retries.FIRST_WAIT_S]


def test_running_out_of_attempts_reaches_the_else(waits: list[float]) -> None:
    for _ in retries.attempts(retries.CONFLICT_ATTEMPTS):
        pass
    else:
        ran_out = True
    assert ran_out and len(waits) == retries.CONFLICT_ATTEMPTS - 1
