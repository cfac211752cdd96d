"""The AWS Lambda entrypoint: API Gateway REST proxy events in, the facedetect HTTP API out.

Handler: ``facedetect.entrypoints.aws_lambda.handler``. Configure it with the ``FACEDETECT_*``
variables (``FACEDETECT_BACKEND=aws``, ``FACEDETECT_S3_BUCKET``, ...; see
:mod:`facedetect.settings`) and give API Gateway the binary media types ``image/*`` and
``application/octet-stream``.

Importing this module is cheap: no OpenCV, NumPy or boto3. The service (settings, boto3
clients, the detector) is built on the first invocation and reused by warm ones; a
configuration error answers every request with a 500 JSON error and one log line.

Observability (Powertools, service ``facedetect``): JSON logs with the request id as
``correlation_id`` and the cold-start flag, never the request body; CloudWatch EMF metrics
in the namespace ``facedetect`` — ``ImagesProcessed``, ``FacesDetected``,
``DetectionMilliseconds`` per invocation, ``Errors`` with a ``code`` dimension, ``ColdStart``.

Deadline: a detection predicted not to finish :data:`DEADLINE_MARGIN_S` before the invocation's
end (``context.get_remaining_time_in_millis()``) answers 503 ``not_enough_time`` with
``Retry-After`` instead of being killed by the timeout.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from facedetect.adapters.aws.deadline import lambda_budget, request_deadline
from facedetect.entrypoints.aws_sqs import process_batch
from facedetect.entrypoints.rest.app import create_app
from facedetect.entrypoints.rest.application import LazyService
from facedetect.entrypoints.rest.upload_routes import upload_services

if TYPE_CHECKING:
    from facedetect.domain.model import Detection
    from facedetect.service.detections import FaceDetectionService

SERVICE = "facedetect"
NAMESPACE = "facedetect"
#: Seconds kept back from the invocation's remaining time for storing the result and answering:
#: a detection predicted to end later is refused (503 + Retry-After) instead of being killed.
DEADLINE_MARGIN_S = 3.0


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout`` is when a record is emitted (Lambda's stdout, or a test's capture)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


def _make_logger() -> Logger:
    """The Powertools logger; reuses the handler if the ``facedetect`` logger was set up before (re-import)."""
    configured = getattr(logging.getLogger(SERVICE), "powertools_handler", None) is not None
    return Logger(service=SERVICE, logger_handler=None if configured else _StdoutHandler())


logger: Logger = _make_logger()


class EmfMetrics:
    """Records each invocation's metrics in its own EMF document (no state shared between threads)."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._cold = True
        self._lock = threading.Lock()

    @contextmanager
    def invocation(self) -> Iterator[None]:
        """Collect the metrics of one invocation and print them at its end (nothing when there are none)."""
        metrics = EphemeralMetrics(namespace=NAMESPACE, service=SERVICE)
        with self._lock:
            cold, self._cold = self._cold, False
        if cold:
            metrics.add_metric(name="ColdStart", unit=MetricUnit.Count, value=1)
        self._local.metrics = metrics
        try:
            yield
        finally:
            self._local.metrics = None
            if metrics.metric_set:
                metrics.flush_metrics()

    def detected(self, detection: Detection) -> None:
        metrics: EphemeralMetrics | None = getattr(self._local, "metrics", None)
        if metrics is None:
            return
        metrics.add_metric(name="ImagesProcessed", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="FacesDetected", unit=MetricUnit.Count, value=len(detection.faces))
        metrics.add_metric(name="DetectionMilliseconds", unit=MetricUnit.Milliseconds, value=detection.duration_ms)

    def failed(self, code: str, status: int) -> None:
        errors = EphemeralMetrics(namespace=NAMESPACE, service=SERVICE)  # own document: its own dimension
        errors.add_dimension(name="code", value=code)
        errors.add_metric(name="Errors", unit=MetricUnit.Count, value=1)
        errors.flush_metrics()


#: What :func:`reset` asked the next bootstrap to use (tests' fakes); empty: the environment alone.
_parts: dict[str, Any] = {}


def _build_service() -> FaceDetectionService:
    from facedetect.composition import bootstrap

    started = time.perf_counter()
    service = bootstrap(**_parts)
    parts = service.describe()
    logger.info("Service ready", images=parts["images"], detections=parts["detections"], detector=parts["detector"],
                duration_ms=round((time.perf_counter() - started) * 1000, 1))
    return service


_services = LazyService(_build_service)
metrics = EmfMetrics()
app = create_app(_services, observer=metrics, eager_service=True, deadline_margin_s=DEADLINE_MARGIN_S)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Serve one API Gateway REST proxy event."""
    started = time.perf_counter()
    with metrics.invocation(), request_deadline(lambda_budget(context.get_remaining_time_in_millis())):
        result = app.resolve(event, context)  # AWS calls end within 20 s and the invocation's time
    request = event if isinstance(event, dict) else {}  # any event gets an answer, even one that is not a dict
    logger.info("Request served", method=request.get("httpMethod"), path=request.get("path"),
                status=result["statusCode"], duration_ms=round((time.perf_counter() - started) * 1000, 1))
    return result


def reset(**parts: Any) -> None:
    """Forget the service (and its cached detectors): the next invocation bootstraps again.

    For tests. ``parts`` are :func:`~facedetect.composition.bootstrap`'s keywords: stores
    (``images=`` and ``detections=``, e.g. fakes or fault-injecting ones), a ``detector=``, or
    settings fields (``max_bytes=``), used by every bootstrap until the next ``reset()``;
    without them the service comes from the ``FACEDETECT_*`` variables alone.
    """
    _services.reset()
    _parts.clear()
    _parts.update(parts)


@logger.inject_lambda_context(log_event=False)
def sqs_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Process one batch of SQS messages naming new uploads (:mod:`~facedetect.entrypoints.aws_sqs`)."""
    return process_batch(event, context, uploads=upload_services(app).get, logger=logger)
