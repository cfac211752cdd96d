"""Lambda handler latency on the aws backend (moto server) against the bare in-process service.

Per request, on the same images, interleaved image by image with the order rotated (ABAB):

- ``handler-aws``: ``aws_lambda.handler`` with the reference event (``POST /``, raw JPEG,
  base64) and ``FACEDETECT_BACKEND=aws`` against a moto server on 127.0.0.1: the whole
  request (base64, routing, decode, detect, S3 put, DynamoDB GetItem + TransactWriteItems,
  JSON, logs, metrics). ``sdk_ms`` is the time spent inside boto3 calls;
- ``handler-nostore``: the same handler and event with ``?store=false``: detection only;
- ``service-memory``: ``FaceDetectionService.detect`` on the memory backend (no handler).

Every request carries bytes never seen before (a serial number drawn in a corner), so none is
answered from a stored detection. Wall and CPU time (this process, all threads) are recorded;
on the shared machine CPU time is the steadier figure. moto runs in its own process
(``python -m moto.server``), as a remote service would: its latency on localhost stands in
for AWS's and is not AWS's. Then: the
import of the handler module in fresh interpreters (``-X importtime`` cumulative, wall,
CPU) and cold starts (fresh interpreter: import, first and second invocation).

    /work/venv311/bin/python benchmarks/lambda_latency.py --images 6 --rounds 5
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import copy
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from typing import Any

import cv2
import numpy as np
from _common import REPO, machine, print_table, ratio_summary, rotated, wait_for_quiet, write_result

BUCKET, TABLE = "facedetect-bench", "faces"
EVENT = json.loads((REPO / "tests" / "events" / "post_root_jpeg.json").read_text())
VARIANTS = ("handler-aws", "handler-nostore", "service-memory")
HANDLER = "facedetect.entrypoints.aws_lambda"


class Context:
    """The ``LambdaContext`` attributes Powertools reads."""

    function_name, function_version, memory_limit_in_mb = "facedetect", "$LATEST", 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:facedetect"
    aws_request_id, log_group_name, log_stream_name = "bench", "/aws/lambda/facedetect", "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    """A moto server in its own process on a free 127.0.0.1 port; returns it and its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
            return proc, url
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("the moto server did not start")


def deploy(url: str) -> dict[str, str]:
    """Create the private bucket and the reference table; the environment the handler needs."""
    env = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": "us-east-1",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true", "FACEDETECT_BACKEND": "aws",
           "FACEDETECT_S3_BUCKET": BUCKET, "FACEDETECT_AWS_ENDPOINT_URL": url}
    os.environ.update(env)
    import boto3

    s3 = boto3.client("s3", endpoint_url=url)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_public_access_block(Bucket=BUCKET, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    boto3.client("dynamodb", endpoint_url=url).create_table(
        TableName=TABLE, KeySchema=[{"AttributeName": "face_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "face_id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    return env


def base_images() -> dict[str, np.ndarray]:
    """The image sets: the shipped 512x512 astronaut (1 face) and a 1200x900 group of three."""
    from facedetect.samples import sample_image

    astronaut = cv2.imdecode(np.frombuffer(sample_image(), np.uint8), cv2.IMREAD_COLOR)
    group = np.full((900, 1200, 3), 128, np.uint8)
    for x, y, scale in ((0, 0, 0.6), (380, 80, 0.8), (820, 300, 0.7)):
        tile = cv2.resize(astronaut, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        group[y:y + tile.shape[0], x:x + tile.shape[1]] = tile[:900 - y, :1200 - x]
    return {"astronaut-512": astronaut, "group-1200x900": group}


def unique_jpeg(image: np.ndarray, serial: int) -> bytes:
    """``image`` as a JPEG whose bytes no other request has: ``serial`` written in its top-left corner.

    (A one-pixel change is not enough: JPEG quantisation can give identical bytes.)
    """
    marked = image.copy()
    cv2.putText(marked, f"{serial:07d}", (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
    return cv2.imencode(".jpg", marked, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()


def event_for(data: bytes, *, store: bool = True) -> dict[str, Any]:
    event = copy.deepcopy(EVENT)
    event["body"] = base64.b64encode(data).decode()
    if not store:
        event["queryStringParameters"] = {"store": "false"}
        event["multiValueQueryStringParameters"] = {"store": ["false"]}
    return event


class SdkTimer:
    """Sums the time spent inside boto3 calls (``before-call`` to ``after-call``) of some clients."""

    def __init__(self, *clients: Any) -> None:
        self.total = 0.0
        self._started = threading.local()
        for client in clients:
            client.meta.events.register("before-call", self._start)
            client.meta.events.register("after-call", self._stop)

    def _start(self, **_: Any) -> None:
        self._started.at = time.perf_counter()

    def _stop(self, **_: Any) -> None:
        self.total += time.perf_counter() - self._started.at


def measure(images: dict[str, np.ndarray], count: int, rounds: int) -> dict[str, Any]:
    """ABAB latency of the three variants per image set; milliseconds per request."""
    from facedetect.adapters.aws.clients import dynamodb_client, s3_client
    from facedetect.adapters.aws.dynamodb.repository import DynamoDBDetectionRepository
    from facedetect.adapters.aws.s3 import S3ImageStore
    from facedetect.composition import bootstrap
    from facedetect.entrypoints import aws_lambda
    from facedetect.settings import load_settings

    memory = bootstrap(backend="memory")
    settings = load_settings()  # the handler's: FACEDETECT_* name the moto server, bucket and table
    s3, dynamodb = s3_client(settings.aws_endpoint_url or None), dynamodb_client(settings.aws_endpoint_url or None)
    aws_lambda.reset(images=S3ImageStore(settings.s3_bucket, prefix=settings.s3_prefix, client=s3),
                     detections=DynamoDBDetectionRepository(settings.dynamodb_table, client=dynamodb))
    sdk = SdkTimer(s3, dynamodb)  # the handler's clients: the stores above are the ones it bootstraps with
    serial = iter(range(1, 10**6))
    with open(os.devnull, "w") as sink:  # logs and EMF are formatted and written, not shown
        with contextlib.redirect_stdout(sink):
            for _ in range(3):  # the cold start, and first use of every code path
                data = unique_jpeg(images["astronaut-512"], next(serial))
                aws_lambda.handler(event_for(data), Context())
                aws_lambda.handler(event_for(data, store=False), Context())
                memory.detect(data)
        calls = {"handler-aws": lambda d: aws_lambda.handler(event_for(d), Context()),
                 "handler-nostore": lambda d: aws_lambda.handler(event_for(d, store=False), Context()),
                 "service-memory": memory.detect}
        out: dict[str, Any] = {}
        for name, image in images.items():
            payloads = [[unique_jpeg(image, next(serial)) for _ in range(count)] for _ in range(rounds)]
            assert len({d for row in payloads for d in row}) == count * rounds, "payloads must all differ"
            out[name] = run_set(payloads, calls, sdk, sink)
    return out


def run_set(payloads: list[list[bytes]], calls: dict[str, Any], sdk: SdkTimer, sink: Any) -> dict[str, Any]:
    """Every payload through every variant, order rotated per payload; wall and process-CPU medians."""
    wall: dict[str, list[float]] = {v: [] for v in (*VARIANTS, "sdk")}
    cpu: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for r, row in enumerate(payloads):
        for i, data in enumerate(row):
            for variant in rotated(VARIANTS, r * len(row) + i):
                before_sdk = sdk.total
                with contextlib.redirect_stdout(sink):
                    started, started_cpu = time.perf_counter(), time.process_time()
                    result = calls[variant](data)
                    elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu
                if variant != "service-memory":
                    assert result["statusCode"] == 200, result["body"]
                if variant == "handler-aws":
                    wall["sdk"].append(sdk.total - before_sdk)
                wall[variant].append(elapsed)
                cpu[variant].append(elapsed_cpu)
    aws, nostore = wall["handler-aws"], wall["handler-nostore"]
    return {
        "bytes_median": int(statistics.median(len(d) for row in payloads for d in row)),
        "median_ms": {v: round(statistics.median(t) * 1e3, 2) for v, t in wall.items()},
        "cpu_median_ms": {v: round(statistics.median(t) * 1e3, 2) for v, t in cpu.items()},
        "aws_vs_memory": ratio_summary(aws, wall["service-memory"]),
        "aws_vs_nostore": ratio_summary(aws, nostore),
        "storage_overhead_ms": round(statistics.median(a - b for a, b in zip(aws, nostore, strict=True)) * 1e3, 2),
        "n": len(aws),
    }


IMPORT_PROBE = f"""
import time
wall, cpu = time.perf_counter(), time.process_time()
import {HANDLER}
print((time.perf_counter() - wall) * 1e3, (time.process_time() - cpu) * 1e3)
"""


def importtime_rows(lines: list[str]) -> list[list[str]]:
    """``-X importtime`` lines split into (self, cumulative, indented name)."""
    return [line.split("|") for line in lines if line.startswith("import time:") and "|" in line]


def import_time(runs: int) -> dict[str, Any]:
    """Fresh interpreters: ``-X importtime`` cumulative of the import statement, and its wall and CPU time."""
    cumulative, wall, cpu, process = [], [], [], []
    heavy: set[str] = set()
    for _ in range(runs):
        marked = f"import sys; sys.stderr.write('@@\\n'); sys.stderr.flush(); import {HANDLER}"
        done = subprocess.run([sys.executable, "-X", "importtime", "-c", marked], capture_output=True, text=True,
                              check=True)
        lines = done.stderr.split("@@\n", 1)[1].splitlines()
        top = [fields for fields in importtime_rows(lines) if not fields[2].startswith("  ")]  # not nested
        cumulative.append(sum(int(fields[1]) for fields in top))
        heavy |= {fields[2].strip() for fields in importtime_rows(lines)
                  if fields[2].strip().split(".")[0] in ("cv2", "numpy", "boto3", "botocore", "PIL")}
        started = time.perf_counter()
        probe = subprocess.run([sys.executable, "-c", IMPORT_PROBE], capture_output=True, text=True, check=True)
        process.append((time.perf_counter() - started) * 1e3)
        w, c = (float(v) for v in probe.stdout.split())
        wall.append(w)
        cpu.append(c)
    return {"runs": runs, "cumulative_us_median": int(statistics.median(cumulative)),
            "import_wall_ms_median": round(statistics.median(wall), 1),
            "import_cpu_ms_median": round(statistics.median(cpu), 1),
            "process_wall_ms_median": round(statistics.median(process), 1), "heavy_modules_imported": sorted(heavy)}


COLD_PROBE = f"""
import json, sys, time
class Context:
    function_name, function_version, memory_limit_in_mb = "facedetect", "$LATEST", 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:facedetect"
    aws_request_id, log_group_name, log_stream_name = "cold", "/aws/lambda/facedetect", "bench"
    def get_remaining_time_in_millis(self): return 30000
events = json.load(sys.stdin)
t0 = time.perf_counter()
from {HANDLER.rsplit(".", 1)[0]} import aws_lambda
t1 = time.perf_counter()
first = aws_lambda.handler(events[0], Context())
t2 = time.perf_counter()
second = aws_lambda.handler(events[1], Context())
t3 = time.perf_counter()
assert first["statusCode"] == second["statusCode"] == 200, (first, second)
print("@@" + json.dumps([(t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3]))
"""


def cold_starts(image: np.ndarray, runs: int, env: dict[str, str]) -> dict[str, Any]:
    """Fresh interpreters: import, first (cold) and second (warm) invocation, milliseconds."""
    samples = []
    for run in range(runs):
        events = [event_for(unique_jpeg(image, 900_000 + 2 * run + k)) for k in (0, 1)]
        assert events[0]["body"] != events[1]["body"]
        done = subprocess.run([sys.executable, "-c", COLD_PROBE], input=json.dumps(events), capture_output=True,
                              text=True, check=True, env={**os.environ, **env})
        samples.append(json.loads(done.stdout.rsplit("@@", 1)[1]))
    names = ("import_ms", "first_invocation_ms", "second_invocation_ms")
    return {"runs": runs, **{n: round(statistics.median(s[i] for s in samples), 1) for i, n in enumerate(names)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--images", type=int, default=6, help="distinct images per set and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--import-runs", type=int, default=7)
    parser.add_argument("--cold-runs", type=int, default=5)
    args = parser.parse_args()
    proc, url = start_moto()
    try:
        env = deploy(url)
        images = base_images()
        quiet = wait_for_quiet(1.0, timeout_s=60)
        latency = measure(images, args.images, args.rounds)
        imports = import_time(args.import_runs)
        cold = cold_starts(images["astronaut-512"], args.cold_runs, env)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    rows = [{"images": name, **{f"{v} ms": r["median_ms"][v] for v in VARIANTS}, "sdk ms": r["median_ms"]["sdk"],
             "storage ms": r["storage_overhead_ms"], "aws/memory": r["aws_vs_memory"]["median_of_ratios"],
             "aws/nostore": r["aws_vs_nostore"]["median_of_ratios"],
             **{f"cpu {v.split('-')[-1]} ms": r["cpu_median_ms"][v] for v in VARIANTS}, "n": r["n"]}
            for name, r in latency.items()]
    print_table(rows, list(rows[0]))
    print(f"\nimport {HANDLER}: {imports['cumulative_us_median']} us cumulative (-X importtime), "
          f"{imports['import_wall_ms_median']} ms wall, {imports['import_cpu_ms_median']} ms CPU, "
          f"process {imports['process_wall_ms_median']} ms; heavy modules: {imports['heavy_modules_imported']}")
    print(f"cold start (fresh interpreter): import {cold['import_ms']} ms, first invocation "
          f"{cold['first_invocation_ms']} ms, second {cold['second_invocation_ms']} ms")
    path = write_result("lambda_latency", {"machine": machine(), "busy_cores_before": round(quiet, 2),
                                           "args": vars(args), "latency": latency, "import": imports,
                                           "cold_start": cold})
    print(f"\nwrote {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
