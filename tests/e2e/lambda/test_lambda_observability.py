"""What the Lambda writes to stdout: JSON logs (never the image) and CloudWatch EMF metrics."""

from __future__ import annotations

import base64
import importlib
import json
import warnings
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from support import imagegen

from facedetect.entrypoints.aws_lambda import EmfMetrics
from facedetect.entrypoints.rest.events import build_event


def stdout_documents(text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split captured stdout into (log records, EMF documents); every line must be JSON."""
    logs, emf = [], []
    for line in filter(None, text.splitlines()):
        document = json.loads(line)
        (emf if "_aws" in document else logs).append(document)
    return logs, emf


def emf_metrics(documents: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Metric name -> [(value(s), dimensions)] across EMF documents."""
    found: dict[str, list[Any]] = {}
    for document in documents:
        for directive in document["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == "facedetect"
            dimensions = {name: document[name] for names in directive["Dimensions"] for name in names}
            for metric in directive["Metrics"]:
                found.setdefault(metric["Name"], []).append((document[metric["Name"]], dimensions))
    return found


@pytest.fixture(params=["default", "POWERTOOLS_LOGGER_LOG_EVENT=true"])
def log_setting(request: pytest.FixtureRequest, lambda_handler: ModuleType,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The handler as imported normally, and as imported when the operator asks Powertools to log events."""
    if request.param == "default":
        yield request.param
        return
    monkeypatch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", "true")  # read when the handler is decorated
    importlib.reload(lambda_handler)
    yield request.param
    monkeypatch.delenv("POWERTOOLS_LOGGER_LOG_EVENT")
    importlib.reload(lambda_handler)


def test_logs_are_json_with_the_request_id_and_never_contain_the_image(log_setting, invoke, api_event, capsys):
    jpeg = imagegen.jpeg()
    truncated = jpeg[: len(jpeg) // 2]
    capsys.readouterr()
    events = [api_event("post_root_jpeg", image=jpeg), api_event("post_faces_truncated", image=truncated),
              api_event("post_faces_json", image=jpeg)]
    statuses = [invoke(event).status for event in events]
    assert statuses == [200, 400, 200]

    out = capsys.readouterr().out
    logs, _ = stdout_documents(out)
    for blob in (jpeg, truncated):
        encoded = base64.b64encode(blob).decode()
        for start in range(0, len(encoded) - 64, len(encoded) // 7):
            assert encoded[start:start + 64] not in out
        assert blob[1000:1032].decode("latin-1") not in out
    served = [record for record in logs if record["message"] == "Request served"]
    assert [r["correlation_id"] for r in served] == [e["requestContext"]["requestId"] for e in events]
    assert all(r["service"] == "facedetect" and isinstance(r["cold_start"], bool) for r in served)
    rejected = [record for record in logs if record.get("code") == "invalid_image"]
    assert len(rejected) == 1 and rejected[0]["level"] == "INFO"
    assert rejected[0]["request_id"] == events[1]["requestContext"]["requestId"]


def test_metrics_per_detection_and_errors_by_code(invoke, api_event, capsys):
    capsys.readouterr()
    assert invoke(api_event("post_root_jpeg", image=imagegen.jpeg())).status == 200
    assert invoke(api_event("post_faces_gif", image=imagegen.pil_encode(imagegen.shapes(), "GIF"))).status == 415
    assert invoke(api_event("post_faces_empty")).status == 400
    _, emf = stdout_documents(capsys.readouterr().out)
    metrics = emf_metrics(emf)
    assert [value for value, _ in metrics["ImagesProcessed"]] == [[1.0]]
    assert [value for value, _ in metrics["FacesDetected"]] == [[1.0]]
    [(duration, dimensions)] = metrics["DetectionMilliseconds"]
    assert duration[0] > 0 and dimensions == {"service": "facedetect"}
    assert sorted(dims["code"] for _, dims in metrics["Errors"]) == ["invalid_input", "unsupported_image_format"]


def test_an_invocation_without_metrics_prints_none_and_does_not_warn_or_raise(invoke, capsys):
    capsys.readouterr()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert invoke(build_event("GET", "/faces")).status == 200
    _, emf = stdout_documents(capsys.readouterr().out)
    assert emf == []
    assert [str(w.message) for w in caught] == []


def test_cold_start_is_counted_once_per_process(capsys):
    metrics = EmfMetrics()
    for _ in range(2):
        with metrics.invocation():
            pass
    _, emf = stdout_documents(capsys.readouterr().out)
    assert [list(emf_metrics([doc])) for doc in emf] == [["ColdStart"]]


def test_a_missing_bucket_fails_every_request_with_a_500_and_one_clear_log_line(invoke, lambda_handler, monkeypatch,
                                                                                 capsys, api_event):
    monkeypatch.setenv("FACEDETECT_BACKEND", "aws")
    lambda_handler.reset()
    capsys.readouterr()
    events = [api_event("post_root_jpeg", image=imagegen.jpeg()), build_event("GET", "/openapi.json"),
              api_event("get_unknown_route")]
    for event in events:
        answer = invoke(event)
        assert answer.status == 500
        error = answer.json["error"]
        assert error["code"] == "configuration_error" and "FACEDETECT_S3_BUCKET" in error["message"]
        assert error["request_id"] == event["requestContext"]["requestId"]
    out = capsys.readouterr().out
    logs, _ = stdout_documents(out)
    errors = [record for record in logs if record["level"] == "ERROR"]
    assert len(errors) == len(events)
    assert all("FACEDETECT_S3_BUCKET" in r["message"] and "\n" not in r["message"] for r in errors)
    assert "Traceback" not in out
