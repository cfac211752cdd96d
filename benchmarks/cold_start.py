"""Cold start of the Lambda zip with its bytecode against the same zip without it.

The zip (``facedetect build-lambda``) is unzipped twice: as built (``with-pyc``: the
``__pycache__/*.cpython-312.pyc`` the build compiled) and with every ``__pycache__`` removed
(``source-only``: what the zip was before it shipped bytecode). Each run starts a fresh Python
3.12 (the runtime's) with ``PYTHONPATH`` = one of the two trees and ``PYTHONDONTWRITEBYTECODE=1``
(``/var/task`` is read-only on Lambda: nothing compiled is kept), imports the handler and serves
one ``POST /`` event (``tests/events/post_root_jpeg.json`` with a sample JPEG) on the memory
backend, so no AWS call is timed. The interpreter is a venv holding only boto3 (and its
jmespath, which Powertools imports), as the runtime has, made once in
``benchmarks/results/lambda-runtime-venv``. The two variants alternate run by run (ABAB, order rotated).

Reported per variant: the median of import, first invocation and their sum (wall, inside the
process), the process's CPU time and the whole process's wall time as seen from outside; and
``with-pyc / source-only`` as the median of per-pair ratios.

    .venv/bin/facedetect build-lambda --output build/facedetect-lambda.zip
    nice -n 10 .venv/bin/python benchmarks/cold_start.py --zip build/facedetect-lambda.zip --runs 15
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from _common import REPO, RESULTS, print_table, ratio_summary, rotated, wait_for_quiet, write_result

from facedetect_deploy.bytecode import find_interpreter

VARIANTS = ("with-pyc", "source-only")
EVENT = REPO / "tests" / "events" / "post_root_jpeg.json"

PROBE = """
import json, os, sys, time
t0 = time.perf_counter()
from facedetect.entrypoints import aws_lambda
t1 = time.perf_counter()
class Context:
    function_name, function_version, memory_limit_in_mb = "facedetect", "$LATEST", 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:facedetect"
    aws_request_id, log_group_name, log_stream_name = "cold", "/aws/lambda/facedetect", "bench"
    def get_remaining_time_in_millis(self): return 30000
answer = aws_lambda.handler(json.load(sys.stdin), Context())
t2 = time.perf_counter()
assert answer["statusCode"] == 200, answer
cached = os.path.isfile(aws_lambda.__cached__)
print("@@" + json.dumps({"import_ms": (t1 - t0) * 1e3, "first_ms": (t2 - t1) * 1e3,
                         "cpu_ms": time.process_time() * 1e3, "handler_pyc": cached}))
"""


def unpack(zip_path: Path, work: Path) -> dict[str, Path]:
    """The zip unzipped as built and again without any ``__pycache__``."""
    roots = {variant: work / variant for variant in VARIANTS}
    for root in roots.values():
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(root)
    pycs = list(roots["with-pyc"].rglob("*.cpython-312.pyc"))
    if not pycs:
        raise SystemExit(f"{zip_path} holds no cpython-312 bytecode: build it without --no-bytecode")
    for cache in sorted(roots["source-only"].rglob("__pycache__")):
        shutil.rmtree(cache)
    return roots


def event_for(root: Path) -> str:
    """The reference ``POST /`` event carrying the package's sample JPEG."""
    image = sorted((root / "facedetect" / "samples").glob("*.jpg"))[0].read_bytes()
    text = EVENT.read_text(encoding="utf-8")
    return text.replace("__IMAGE_BASE64__", base64.b64encode(image).decode())


def one_cold_start(python: str, root: Path, event: str, home: Path) -> dict[str, Any]:
    """A fresh interpreter on ``root``: import the handler, serve ``event``; its timings."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
           "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1", "LAMBDA_TASK_ROOT": str(root),
           "FACEDETECT_BACKEND": "memory", "POWERTOOLS_SERVICE_NAME": "facedetect",
           "POWERTOOLS_METRICS_NAMESPACE": "facedetect", "AWS_LAMBDA_FUNCTION_NAME": "facedetect",
           "AWS_REGION": "us-east-1"}
    start = time.perf_counter()
    done = subprocess.run([python, "-s", "-P", "-c", PROBE], input=event, cwd=root, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    wall = (time.perf_counter() - start) * 1e3
    if done.returncode != 0:
        raise SystemExit(f"the cold start failed:\n{done.stderr[-3000:]}")
    sample: dict[str, Any] = json.loads(done.stdout.rsplit("@@", 1)[1])
    return {**sample, "process_ms": wall, "total_ms": sample["import_ms"] + sample["first_ms"]}


def runtime_python(base: str) -> str:
    """The python of a venv of ``base`` holding only boto3 (created on first use, then reused)."""
    venv = RESULTS / "lambda-runtime-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([base, "-m", "venv", str(venv)], check=True, timeout=300)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "boto3"],
                       check=True, timeout=600)
    return str(python)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--zip", type=Path, default=REPO / "build" / "facedetect-lambda.zip")
    parser.add_argument("--runs", type=int, default=15, help="cold starts per variant")
    parser.add_argument("--python", help="the runtime's Python 3.12 (default: found on PATH or pyenv)")
    args = parser.parse_args()
    base = args.python or find_interpreter("3.12")
    if base is None:
        raise SystemExit("no Python 3.12 found: pass --python PATH")
    python = runtime_python(base)
    with tempfile.TemporaryDirectory(prefix="facedetect-cold-") as tmp:
        roots = unpack(args.zip, Path(tmp))
        event = event_for(roots["with-pyc"])
        home = Path(tmp) / "home"
        home.mkdir()
        for variant in VARIANTS:  # warm the page cache of both trees; not measured
            one_cold_start(python, roots[variant], event, home)
        quiet = wait_for_quiet(1.0, timeout_s=60)
        samples: dict[str, list[dict[str, Any]]] = {variant: [] for variant in VARIANTS}
        for run in range(args.runs):
            for variant in rotated(VARIANTS, run):
                samples[variant].append(one_cold_start(python, roots[variant], event, home))
    assert all(s["handler_pyc"] for s in samples["with-pyc"]) and not any(s["handler_pyc"]
                                                                         for s in samples["source-only"])
    keys = ("import_ms", "first_ms", "total_ms", "cpu_ms", "process_ms")
    medians = {v: {k: round(statistics.median(s[k] for s in samples[v]), 1) for k in keys} for v in VARIANTS}
    ratios = {k: ratio_summary([s[k] for s in samples["with-pyc"]], [s[k] for s in samples["source-only"]])
              for k in keys}
    rows = [{"variant": v, **{f"{k.removesuffix('_ms')} ms": medians[v][k] for k in keys}} for v in VARIANTS]
    rows.append({"variant": "with/source", **{f"{k.removesuffix('_ms')} ms": ratios[k]["median_of_ratios"]
                                              for k in keys}})
    print_table(rows, list(rows[0]))
    path = write_result("cold_start", {"zip": str(args.zip), "python": python, "runs": args.runs,
                                       "busy_cores_before": round(quiet, 2), "medians": medians, "ratios": ratios,
                                       "samples": samples})
    print(f"\nmedians of {args.runs} cold starts per variant; ratios are medians of per-pair ratios; {path}")


if __name__ == "__main__":
    main()
