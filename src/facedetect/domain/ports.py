"""The ports: what the service needs from the outside world, as small ``typing.Protocol``\\ s.

Adapters in :mod:`facedetect.adapters` implement them (memory, filesystem, S3, DynamoDB);
the service depends only on these. Every method raises the errors of
:mod:`facedetect.errors`, never an SDK's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from facedetect.domain.model import Detection, Face

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from facedetect.domain.uploads import Upload, UploadTarget


@runtime_checkable
class FaceDetector(Protocol):
    """Finds faces in a BGR image. Implementations must be safe to call from many threads."""

    @property
    def name(self) -> str:
        """Short detector name stored with each detection (``haar``, ``yunet``)."""
        ...

    @property
    def parameters(self) -> dict[str, Any]:
        """The options that determine the result; part of the detection id."""
        ...

    def detect(self, image: npt.NDArray[np.uint8], *, scale: float = 1.0) -> list[Face]:
        """Return the faces in ``image`` (BGR, uint8), most confident first; ``[]`` for none.

        ``scale`` is given only when the service shrank the picture by that factor before
        detecting: options in original pixels (face sizes) shrink alike. Boxes are in the
        pixels of ``image``.
        """
        ...


@runtime_checkable
class ImageStore(Protocol):
    """Keeps image bytes by key. Keys are content-derived, so a key's bytes never change."""

    def put(self, key: str, data: bytes, *, media_type: str) -> bool:
        """Store ``data`` under ``key``; return ``True`` if this call created it, ``False`` if it existed.

        Storing a key that exists changes nothing (its bytes are the same). Under races an
        adapter may report ``True`` to more than one writer, or ``False`` after its own write
        whose answer was lost; callers must not delete on the strength of it.
        """
        ...

    def get(self, key: str) -> bytes:
        """Return the bytes under ``key``; raise ``ImageNotFound`` if absent."""
        ...

    def exists(self, key: str) -> bool:
        """Whether something is stored under ``key``: a cheap check that never reads the bytes.

        Raises ``StorageUnavailable`` or ``StorageError`` when the store cannot tell (never
        ``False`` for "could not check"), ``InvalidInput`` for a malformed key.
        """
        ...

    def delete(self, key: str) -> None:
        """Remove ``key``; deleting a missing key is not an error."""
        ...

    def url_for(self, key: str, ttl: int) -> str | None:
        """A URL that lets anyone GET ``key``'s bytes for ``ttl`` seconds, or ``None``.

        ``None``: this store hands out no links, and callers serve the bytes themselves.
        A URL is made without checking that the key exists (fetching it then fails), so look
        the detection up first. Raises ``InvalidInput`` for a ``ttl`` the store cannot sign.
        """
        ...


#: The largest page ``DetectionRepository.list`` gives (``limit`` is 1 to this).
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a listing, newest first, with the cursor for the next page (``None`` at the end)."""

    items: Sequence[Detection]
    next_cursor: str | None = None


@runtime_checkable
class DetectionRepository(Protocol):
    """Keeps detections by id. A detection becomes visible all at once or not at all."""

    def add(self, detection: Detection) -> bool:
        """Store ``detection``; return ``False`` (and change nothing) if its id was already stored."""
        ...

    def get(self, detection_id: str) -> Detection:
        """Return the detection; raise ``DetectionNotFound`` if absent.

        A strongly consistent read: it sees every ``add`` that was applied, even one whose
        caller got an error (the service relies on this after a failed ``add``).
        """
        ...

    def list(self, *, limit: int = 20, cursor: str | None = None) -> Page:
        """Detections newest first, ``limit`` at most, continuing after ``cursor``."""
        ...

    def delete(self, detection_id: str) -> None:
        """Remove the detection; deleting a missing id is not an error."""
        ...


@runtime_checkable
class UploadRepository(Protocol):
    """Keeps the records of uploads (:class:`~facedetect.service.uploads.Upload`) by id.

    Errors: ``UploadNotFound`` for an unknown id; ``StorageUnavailable`` when a retry may
    succeed; ``StorageError`` otherwise.
    """

    def create(self, upload: Upload) -> None:
        """Record a new upload (ids are random: an existing id is a ``StorageError``)."""
        ...

    def get(self, upload_id: str) -> Upload:
        """Return the upload; raise ``UploadNotFound`` if absent."""
        ...

    def finish(self, upload: Upload) -> bool:
        """Replace a *pending* upload by ``upload`` (its outcome); ``False``, changing nothing, if not pending."""
        ...


@runtime_checkable
class UploadInbox(Protocol):
    """Where the bytes of an upload arrive, named by upload id (S3 ``uploads/<id>``, or local).

    Errors: ``ImageNotFound`` when nothing arrived under the name; ``ImageTooLarge`` when what
    arrived exceeds ``max_bytes``; ``StorageUnavailable``/``StorageError`` as for the stores.
    """

    def target(self, upload_id: str, *, content_type: str, max_bytes: int, expires_in: int) -> UploadTarget:
        """Where and how a client sends the bytes of ``upload_id`` (valid ``expires_in`` seconds)."""
        ...

    def read(self, name: str, *, max_bytes: int) -> bytes:
        """The bytes that arrived under ``name``."""
        ...

    def delete(self, name: str) -> None:
        """Forget the bytes under ``name``; a missing name is not an error."""
        ...
