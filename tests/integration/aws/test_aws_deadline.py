"""The request deadline: the product's clients start no attempt that could not end before it."""

from __future__ import annotations

import pytest
from support.aws_faults import WireFaults
from support.aws_resources import BUCKET, TABLE, Aws

from facedetect.adapters.aws.clients import ATTEMPT_WORST_CASE_S, dynamodb_client, s3_client
from facedetect.adapters.aws.deadline import REQUEST_BUDGET_S, lambda_budget, remaining, request_deadline
from facedetect.adapters.aws.dynamodb.repository import DynamoDBDetectionRepository
from facedetect.adapters.aws.s3 import S3ImageStore
from facedetect.errors import StorageUnavailable


def test_the_lambda_budget_is_20_s_or_the_remaining_time_less_a_second() -> None:
    assert lambda_budget(300_000) == REQUEST_BUDGET_S == 20.0
    assert lambda_budget(9_000) == 8.0
    assert lambda_budget(500) < 0  # nothing may start


def test_outside_a_request_nothing_is_checked() -> None:
    assert remaining() is None
    with request_deadline(60):
        left = remaining()
        assert left is not None and 0 < left <= 60
    assert remaining() is None


def test_an_attempt_that_cannot_end_in_time_is_not_sent(aws: Aws, bucket: str, table: str) -> None:
    if aws.mode != "server":
        pytest.skip("the product's clients talk HTTP; the in-process mock has no endpoint")
    s3, dynamodb = s3_client(aws.endpoint_url), dynamodb_client(aws.endpoint_url)
    sent = WireFaults()  # no faults: it only counts what reaches the wire
    sent.install(s3, dynamodb)
    store, repo = S3ImageStore(BUCKET, client=s3), DynamoDBDetectionRepository(TABLE, client=dynamodb)

    with request_deadline(ATTEMPT_WORST_CASE_S - 0.5):
        for call in (lambda: store.put("k.jpg", b"x", media_type="image/jpeg"), lambda: repo.get("0" * 32),
                     repo.list):
            with pytest.raises(StorageUnavailable) as info:
                call()
            assert "deadline" in info.value.detail and "deadline" not in info.value.message
    assert sent.attempts == {}

    with request_deadline(ATTEMPT_WORST_CASE_S + 5):  # time for one attempt each
        assert store.put("k.jpg", b"x", media_type="image/jpeg") is True
    assert sent.attempts == {"PutObject": 1}
