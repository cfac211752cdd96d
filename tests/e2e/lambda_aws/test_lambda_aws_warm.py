"""Cold and warm invocations on the aws backend: one service, one pair of boto3 clients, no download.

A socket-level guard (``support.netguard``) refuses every destination but 127.0.0.1 (the
moto server) and records the connections made. The true cold start runs in a fresh
interpreter: the guard is installed before the handler module is even imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import boto3.session
import pytest
from support import imagegen
from support.netguard import loopback_only

TESTS = Path(__file__).resolve().parents[2]  # on PYTHONPATH of the child: support.netguard
PNG = imagegen.png()
JPEG = imagegen.jpeg(imagegen.composite([(0, 0, 0.5), (300, 40, 0.6)], size=(400, 640)))


def test_warm_invocations_reuse_the_service_its_clients_and_detector(deployed, api_event, moto_url, monkeypatch):
    created: list[str] = []
    real_client = boto3.session.Session.client

    def counting_client(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        created.append(args[0] if args else kwargs["service_name"])
        return real_client(self, *args, **kwargs)

    monkeypatch.setattr(boto3.session.Session, "client", counting_client)
    moto_port = urllib.parse.urlsplit(moto_url).port

    with loopback_only() as guard:
        cold = deployed.invoke(api_event("post_faces_png", image=PNG))
        service = deployed.handler.app.service
        detector = service.detector_for({})
        after_cold = list(created)
        warm = [deployed.invoke(api_event("post_root_jpeg", image=JPEG)),
                deployed.invoke(api_event("get_face", detection_id=cold.json["detection"]["id"]))]
        with pytest.raises(OSError):  # the guard is live: a download would be refused
            urllib.request.urlopen("https://github.com/opencv/opencv/raw/4.x/data/haarcascades/x.xml", timeout=5)

    assert [a.status for a in (cold, *warm)] == [200, 200, 200], [a.raw_body for a in (cold, *warm)]
    assert sorted(after_cold) == ["dynamodb", "s3"]  # the cold start made exactly one client of each
    assert created == after_cold  # warm invocations made none
    assert deployed.handler.app.service is service
    assert service.detector_for({}) is detector  # same service, same detector: the stores and clients are its own
    assert len(guard.refused) == 1 and guard.refused[0].startswith("github.com")  # only the probe above
    assert guard.connections and set(guard.connections) == {("127.0.0.1", moto_port)}


COLD_START = r"""
import json, sys
from support.netguard import loopback_only

class Context:
    function_name, function_version, memory_limit_in_mb = "facedetect", "$LATEST", 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:facedetect"
    aws_request_id, log_group_name, log_stream_name = "cold-1", "/aws/lambda/facedetect", "stream"
    def get_remaining_time_in_millis(self): return 30000

events = json.load(open(sys.argv[1]))
with loopback_only() as guard:  # before the handler module is imported
    from facedetect.entrypoints import aws_lambda
    statuses, identities = [], []
    for event in events:
        statuses.append(aws_lambda.handler(event, Context())["statusCode"])
        service = aws_lambda.app.service
        identities.append([id(service), id(service.detector_for({}))])
json.dump({"statuses": statuses, "identities": identities, "refused": guard.refused,
           "connections": guard.connections}, open(sys.argv[2], "w"))
"""


def test_a_fresh_interpreter_cold_start_downloads_nothing(deployed, api_event, moto_url, tmp_path):
    events = [api_event("post_root_jpeg", image=JPEG), api_event("post_faces_png", image=PNG),
              api_event("get_faces_list")]
    (tmp_path / "events.json").write_text(json.dumps(events))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}

    done = subprocess.run([sys.executable, "-c", COLD_START, str(tmp_path / "events.json"),
                           str(tmp_path / "result.json")], env=env, capture_output=True, text=True, timeout=180)

    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["statuses"] == [200, 200, 200]
    assert result["refused"] == []
    moto_port = urllib.parse.urlsplit(moto_url).port
    assert result["connections"] and {tuple(c) for c in result["connections"]} == {("127.0.0.1", moto_port)}
    assert all(identity == result["identities"][0] for identity in result["identities"])
    logs = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    served = [log for log in logs if log.get("message") == "Request served"]
    assert [log["cold_start"] for log in served] == [True, False, False]
    assert sum("ColdStart" in log for log in logs) == 1  # the EMF ColdStart metric, once
    assert len(deployed.objects()) == 2 and len(deployed.detection_items()) == 2
