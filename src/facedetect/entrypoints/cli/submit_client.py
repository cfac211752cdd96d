"""The HTTP side of ``facedetect submit``: one file through ``POST /uploads`` of a facedetect API.

The request carries the file's SHA-256: content already detected with these options is
answered at once (200) and not uploaded; otherwise the bytes go where the answer says (an S3
presigned POST for a deployed stack, the local server's signed URL for ``facedetect serve``)
and ``GET /uploads/{id}`` is polled until done or failed. Only the standard library's HTTP
client is used; nothing is shared between threads.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

#: Seconds one image may take from upload to result before it is reported as failed.
RESULT_TIMEOUT_S = 900
_TIMEOUT_S = 60  # one HTTP request


class SubmitError(Exception):
    """One file could not be detected: ``code`` and ``message`` as the API's errors have them."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def submit_one(client: ApiClient, path: Path) -> dict[str, Any]:
    """Detect faces in the file at ``path`` through the API; the result line (or an error line)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return {"path": str(path), "error": {"code": "unreadable_file",
                                             "message": f"cannot read the file: {exc.strerror or exc}"}}
    try:
        detection = client.detect(data, content_type=_content_type(path, data))
    except SubmitError as exc:
        return {"path": str(path), "error": {"code": exc.code, "message": exc.message}}
    return {"path": str(path), "width": detection["width"], "height": detection["height"],
            "media_type": detection["media_type"], "faces": detection["faces"], "detection_id": detection["id"],
            "stored": True}


def _content_type(path: Path, data: bytes) -> str:
    from facedetect.domain.formats import ImageFormat, sniff

    found = sniff(data)
    if isinstance(found, ImageFormat):
        return found.media_type
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


class ApiClient:
    """The calls ``submit`` makes to a facedetect API (thread-safe: no shared connection)."""

    def __init__(self, base_url: str, *, api_key: str | None = None, options: Mapping[str, Any] | None = None,
                 poll_interval: float = 0.25) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.query = urlencode({k: v for k, v in (options or {}).items() if v is not None})
        self.poll_interval = poll_interval
        self.uploaded = 0  # files whose bytes were sent (the rest were known already)
        self._lock = threading.Lock()

    def detect(self, data: bytes, *, content_type: str) -> dict[str, Any]:
        """The detection of ``data``: known already, or uploaded and waited for."""
        request = {"content_type": content_type, "content_length": len(data),
                   "sha256": hashlib.sha256(data).hexdigest()}
        status, answer = self._call("POST", f"/uploads{'?' + self.query if self.query else ''}", request)
        if status == 200:
            detection: dict[str, Any] = answer["detection"]
            return detection
        _send(answer, data, content_type)
        with self._lock:
            self.uploaded += 1
        return self._wait(answer["status_url"])

    def _wait(self, status_url: str) -> dict[str, Any]:
        deadline = time.monotonic() + RESULT_TIMEOUT_S
        delay = self.poll_interval
        while time.monotonic() < deadline:
            _, answer = self._call("GET", status_url)
            if answer["status"] == "done":
                detection: dict[str, Any] = answer["detection"]
                return detection
            if answer["status"] == "failed":
                raise SubmitError(answer["error"]["code"], answer["error"]["message"])
            time.sleep(delay)
            delay = min(delay * 1.5, 5.0)
        raise SubmitError("timeout", f"no result within {RESULT_TIMEOUT_S} s")

    def _call(self, method: str, path_or_url: str, body: Mapping[str, Any] | None = None) -> tuple[int, Any]:
        url = path_or_url if "://" in path_or_url else self.base_url + path_or_url
        headers = {"Accept": "application/json"}
        if self.api_key:
            headers["x-api-key"] = self.api_key
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        status, payload = _http(urllib.request.Request(url, data=data, headers=headers, method=method))
        try:
            answer = json.loads(payload)
        except ValueError:
            raise SubmitError("bad_response", f"the API answered {status} without JSON") from None
        if status >= 400:
            error = answer.get("error", {}) if isinstance(answer, dict) else {}
            raise SubmitError(str(error.get("code", f"http_{status}")), str(error.get("message", f"HTTP {status}")))
        return status, answer


def _send(target: Mapping[str, Any], data: bytes, content_type: str) -> None:
    """Send the bytes as ``POST /uploads`` said: a form POST (S3) or a PUT (the local server)."""
    if target["method"] == "PUT":
        request = urllib.request.Request(target["url"], data=data, method="PUT",
                                         headers={"Content-Type": content_type})
    else:
        boundary = secrets.token_hex(16)
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                 for name, value in target["fields"].items()]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload"\r\n'
                     f"Content-Type: {content_type}\r\n\r\n".encode() + data + f"\r\n--{boundary}--\r\n".encode())
        request = urllib.request.Request(target["url"], data=b"".join(parts), method="POST",
                                         headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    status, payload = _http(request)
    if status >= 400:
        try:
            error = json.loads(payload).get("error", {})
            raise SubmitError(str(error.get("code", "upload_failed")), str(error.get("message", "")))
        except (ValueError, AttributeError):
            raise SubmitError("upload_failed", f"the upload was refused (HTTP {status})") from None


def _http(request: urllib.request.Request) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SubmitError("api_unreachable", f"cannot reach {request.full_url.split('?')[0]}: {reason}") from None
