"""Helpers for the AWS adapter tests: moto resources as deployed, sample detections, fault injection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from support.fake_aws import REGION

from facedetect.core.domain import BoundingBox, Detection, Face, Landmarks, Point

BUCKET = "facedetect-test-images"
TABLE = "faces"
INDEX = "by_created"


@dataclass
class Aws:
    """One moto backend: its clients and, for the server, its URL."""

    mode: str
    endpoint_url: str | None
    s3: Any
    dynamodb: Any

    def client(self, service: str, **config: Any) -> Any:
        """Another client on this backend (e.g. with different retry settings)."""
        extra: dict[str, Any] = {"s3": {"addressing_style": "path"}} if service == "s3" else {}
        return boto3.client(service, region_name=REGION, endpoint_url=self.endpoint_url,
                            config=Config(**{**extra, **config}))


def backend(mode: str, url: str | None) -> Aws:
    """Clients for moto in-process (``url=None``) or for the moto server at ``url``."""
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=url,
                      config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"))
    return Aws(mode, url, s3, boto3.client("dynamodb", region_name=REGION, endpoint_url=url))


def create_bucket(aws: Aws, name: str = BUCKET) -> str:
    """A private bucket, public access blocked, as the deployment creates it."""
    aws.s3.create_bucket(Bucket=name)
    aws.s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True})
    return name


def create_reference_table(aws: Aws, *, with_index: bool = False) -> str:
    """The reference table: ``faces``, ``face_id`` String HASH only, on-demand; optionally the GSI."""
    attributes = [{"AttributeName": "face_id", "AttributeType": "S"}]
    extra: dict[str, Any] = {}
    if with_index:
        attributes += [{"AttributeName": "list_pk", "AttributeType": "S"},
                       {"AttributeName": "list_sk", "AttributeType": "S"}]
        extra["GlobalSecondaryIndexes"] = [{
            "IndexName": INDEX,
            "KeySchema": [{"AttributeName": "list_pk", "KeyType": "HASH"},
                          {"AttributeName": "list_sk", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }]
    aws.dynamodb.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "face_id", "KeyType": "HASH"}],
                              AttributeDefinitions=attributes, BillingMode="PAY_PER_REQUEST", **extra)
    return TABLE


def scan_all(aws: Aws, table: str = TABLE) -> list[dict[str, Any]]:
    """Every item of the table as Python values (numbers as ``Decimal``)."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    found: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        response = aws.dynamodb.scan(**request)
        found += [{k: deserializer.deserialize(v) for k, v in item.items()} for item in response["Items"]]
        if "LastEvaluatedKey" not in response:
            return found
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def list_keys(aws: Aws, bucket: str = BUCKET) -> list[str]:
    return [o["Key"] for o in aws.s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


T0 = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


def make_detection(n_faces: int, *, index: int = 0, created_at: datetime | None = None,
                   landmarks: bool = False, duration_ms: float = 12.5) -> Detection:
    """A detection with ``n_faces`` distinct faces; values chosen to survive JSON rounding exactly."""
    faces = []
    for i in range(n_faces):
        marks = None
        if landmarks:
            marks = Landmarks(Point(i + 10.25, 20.5), Point(i + 30.75, 20.5), Point(i + 20.0, 30.0),
                              Point(i + 12.5, 40.25), Point(i + 28.5, 40.25))
        faces.append(Face(BoundingBox(x=(i * 7) % 900, y=(i * 13) % 700, width=20 + i % 50, height=24 + i % 40),
                          confidence=round(0.999 - i * 0.001, 6), landmarks=marks))
    sha = f"{index:064x}"
    return Detection(id=f"{index:032x}", sha256=sha, media_type="image/jpeg", width=1000, height=800,
                     faces=tuple(faces), detector="haar",
                     parameters={"scale_factor": 1.1, "min_neighbors": 5, "min_size": None},
                     created_at=created_at or T0 + timedelta(seconds=index), duration_ms=duration_ms)


def client_error(code: str, operation: str, *, status: int = 400, message: str = "injected",
                 reasons: list[str] | None = None) -> ClientError:
    """A ``ClientError`` as botocore raises it, optionally with transaction cancellation reasons."""
    response: dict[str, Any] = {"Error": {"Code": code, "Message": message},
                                "ResponseMetadata": {"HTTPStatusCode": status}}
    if reasons is not None:
        response["CancellationReasons"] = [{"Code": r} for r in reasons]
    return ClientError(response, operation)  # type: ignore[arg-type]


class FailingClient:
    """Wraps a real boto3 client; chosen calls of chosen operations raise instead of running.

    ``failures`` maps an operation name (``"put_object"``) to ``{call_number: exception}``
    (1-based) or to an exception raised on every call. ``calls`` counts calls per operation.
    """

    def __init__(self, client: Any, failures: dict[str, Any]) -> None:
        self._client = client
        self._failures = failures
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if not callable(attr) or name not in self._failures:
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] = number = self.calls.get(name, 0) + 1
            plan = self._failures[name]
            error = plan.get(number) if isinstance(plan, dict) else plan
            if error is not None:
                raise error
            return attr(*args, **kwargs)

        return call



class WireFaults:
    """Faults on the wire, per attempt: a ``before-send`` hook on real clients (retries included).

    ``plan`` maps an operation name (``"PutObject"``) to ``"before"`` (the attempt fails
    before it reaches the server: ``EndpointConnectionError``) or ``"after"`` (the attempt
    is sent, the server applies it, and its answer is lost: ``ConnectionClosedError``), or
    to ``(mode, first_call)`` to spare the calls before ``first_call`` (1-based, counted
    per operation). botocore sees an ordinary network failure and retries as configured.
    ``random_rate`` instead fails any attempt with that probability, half before, half after.
    ``attempts`` counts attempts per operation; ``applied`` the answers the server gave to
    attempts sent on through here, per operation and status.
    """

    def __init__(self, plan: dict[str, Any] | None = None, *, random_rate: float = 0.0, seed: int = 0) -> None:
        import random
        import threading

        self.plan: dict[str, Any] = dict(plan or {})
        self.random_rate = random_rate
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.attempts: dict[str, int] = {}
        self.calls: dict[str, int] = {}
        self.failed: dict[str, int] = {}
        self.applied: dict[tuple[str, int], int] = {}

    def install(self, *clients: Any) -> None:
        for client in clients:
            client.meta.events.register("before-call", self._count_call)
            client.meta.events.register("before-send", self._on_send)

    def clear(self) -> None:
        with self._lock:
            self.plan, self.random_rate = {}, 0.0

    def _count_call(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[model.name] = self.calls.get(model.name, 0) + 1

    def _mode(self, operation: str) -> str | None:
        with self._lock:
            self.attempts[operation] = self.attempts.get(operation, 0) + 1
            if self.random_rate and self._random.random() < self.random_rate:
                return self._random.choice(["before", "after"])
            planned = self.plan.get(operation)
            if isinstance(planned, tuple):
                mode, first_call = planned
                return mode if self.calls.get(operation, 0) >= first_call else None
            return planned  # type: ignore[no-any-return]

    def _on_send(self, request: Any, event_name: str, **_: Any) -> None:
        from botocore.exceptions import ConnectionClosedError, EndpointConnectionError
        from botocore.httpsession import URLLib3Session

        operation = event_name.rsplit(".", 1)[-1]
        mode = self._mode(operation)
        if mode is None:
            return
        if mode == "after":
            status = URLLib3Session(timeout=30).send(request).status_code  # the server applies it...
            with self._lock:
                self.applied[operation, status] = self.applied.get((operation, status), 0) + 1
        with self._lock:
            self.failed[operation] = self.failed.get(operation, 0) + 1
        if mode == "after":
            raise ConnectionClosedError(endpoint_url=request.url)  # ...and its answer is lost
        raise EndpointConnectionError(endpoint_url=request.url)
