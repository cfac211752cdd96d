"""An upload: the record of an image sent to storage first and detected on arrival.

The flow and its outcomes are :mod:`facedetect.service.uploads`'; how a record is stored is
:mod:`facedetect.adapters.records`'.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

UploadStatus = Literal["pending", "done", "failed"]


@dataclass(frozen=True, slots=True)
class Upload:
    """One upload, from its creation to its outcome.

    Parameters
    ----------
    upload_id
        Random URL-safe id (32 hex digits); also the name of the bytes in the inbox.
    status
        ``pending`` until the bytes are processed, then ``done`` or ``failed``.
    content_type, content_length
        What the client announced at creation.
    options
        The detector options given at creation (only those given), used at processing.
    created_at, expires_at
        Creation time and the end of the upload URL's validity (UTC).
    detection_id
        The detection made (``done``).
    error_code, error_message
        Why it failed (``failed``): the code and message of the facedetect error.
    """

    upload_id: str
    status: UploadStatus
    content_type: str
    content_length: int
    options: dict[str, Any] = field(hash=False)
    created_at: datetime
    expires_at: datetime
    detection_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None

    def done(self, detection_id: str) -> Upload:
        """This upload, finished with ``detection_id``."""
        return replace(self, status="done", detection_id=detection_id)

    def failed(self, code: str, message: str) -> Upload:
        """This upload, failed with the error ``code`` and ``message``."""
        return replace(self, status="failed", error_code=code, error_message=message)


@dataclass(frozen=True, slots=True)
class UploadTarget:
    """Where and how to send an upload's bytes.

    ``method`` is ``POST`` for a form upload (``multipart/form-data`` with every entry of
    ``fields`` and then the file as ``file``, as S3 presigned POSTs want) or ``PUT`` for the
    raw bytes with the announced ``Content-Type``.
    """

    url: str
    method: Literal["POST", "PUT"]
    fields: dict[str, str] = field(hash=False)
    expires_in: int


def new_upload_id() -> str:
    """A fresh random upload id: 32 hex digits."""
    return secrets.token_hex(16)


def is_upload_id(text: str) -> bool:
    """Whether ``text`` has the shape of an upload id (anything else cannot exist)."""
    return len(text) == 32 and all(c in "0123456789abcdef" for c in text)
