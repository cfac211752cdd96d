"""The local server's upload inbox: signed, expiring upload URLs to the server itself.

:meth:`LocalUploadInbox.target` answers ``PUT /uploads/<id>/content?expires=<unix>&signature=<hex>``
(relative: the route makes it absolute with the request's host). The signature is an
HMAC-SHA256, with a secret made per process, of the upload id, the expiry, the content type
and the byte limit, so a URL is good for that upload only, until it expires, and until the
server restarts. :meth:`accept` checks it and keeps the bytes in memory until they are
processed, then calls ``on_arrival`` with the upload id (the server processes it in the
background).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable

from facedetect.domain.uploads import UploadTarget
from facedetect.errors import ImageNotFound, ImageTooLarge, UploadRejected


class LocalUploadInbox:
    """An ``UploadInbox`` of the local server, holding arrived bytes in memory.

    Parameters
    ----------
    secret
        HMAC key (default: 32 random bytes, made now).
    clock
        Returns the current Unix time; injectable for tests.
    """

    def __init__(self, *, secret: bytes | None = None, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret or secrets.token_bytes(32)
        self._clock = clock
        self._arrived: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self.on_arrival: Callable[[str], object] | None = None

    def _signature(self, upload_id: str, expires: int, content_type: str, max_bytes: int) -> str:
        message = f"{upload_id}\n{expires}\n{content_type}\n{max_bytes}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def target(self, upload_id: str, *, content_type: str, max_bytes: int, expires_in: int) -> UploadTarget:
        expires = int(self._clock()) + expires_in
        signature = self._signature(upload_id, expires, content_type, max_bytes)
        return UploadTarget(url=f"/uploads/{upload_id}/content?expires={expires}&signature={signature}",
                            method="PUT", fields={}, expires_in=expires_in)

    def accept(self, upload_id: str, data: bytes, *, content_type: str, expires: str, signature: str,
               max_bytes: int) -> None:
        """Keep ``data`` for ``upload_id`` if the URL's ``expires`` and ``signature`` are good.

        Raises
        ------
        UploadRejected
            Bad or expired signature, or a content type other than the signed one (403).
        ImageTooLarge
            More than ``max_bytes`` (413).
        """
        media_type = content_type.split(";", 1)[0].strip().lower()
        try:
            expiry = int(expires)
        except ValueError:
            expiry = 0
        wanted = self._signature(upload_id, expiry, media_type, max_bytes)
        if not hmac.compare_digest(wanted, signature.lower()):
            raise UploadRejected("The upload URL's signature does not match (wrong URL, or the Content-Type "
                                 "differs from the one announced).")
        if expiry < self._clock():
            raise UploadRejected("The upload URL has expired; ask for a new one with POST /uploads.")
        if not data:
            raise UploadRejected("The upload is empty.")
        if len(data) > max_bytes:
            raise ImageTooLarge(f"The image is {len(data)} bytes; the limit is {max_bytes} bytes.")
        with self._lock:
            self._arrived[upload_id] = bytes(data)
        if self.on_arrival is not None:
            self.on_arrival(upload_id)

    def read(self, name: str, *, max_bytes: int) -> bytes:
        with self._lock:
            data = self._arrived.get(name)
        if data is None:
            raise ImageNotFound(f"Nothing arrived under {name!r}.")
        if len(data) > max_bytes:
            raise ImageTooLarge(f"The image is {len(data)} bytes; the limit is {max_bytes} bytes.")
        return data

    def delete(self, name: str) -> None:
        with self._lock:
            self._arrived.pop(name, None)
