"""Processing uploads in the background, in this process (the local server's stand-in for SQS)."""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor

from facedetect.errors import FaceDetectError
from facedetect.service.uploads import UploadService

log = logging.getLogger(__name__)


class BackgroundUploads:
    """Runs :meth:`UploadService.process` for each arrival on a small thread pool.

    Nothing retries here: a storage fault ends the upload as failed with that error (the
    client can upload again). Threads start on the first arrival.

    Parameters
    ----------
    service
        The upload service.
    max_workers
        Uploads processed at once.
    """

    def __init__(self, service: UploadService, *, max_workers: int = 2) -> None:
        self.service = service
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="facedetect-upload")

    def submit(self, name: str) -> Future[None]:
        """Process the upload ``name`` soon."""
        return self._executor.submit(self._run, name)

    def _run(self, name: str) -> None:
        try:
            self.service.process(name)
        except FaceDetectError as exc:
            log.warning("Upload %r failed: %s (%s)", name, exc.code, exc.message)
            self.service.give_up(name, exc)
        except Exception:
            log.exception("Upload %r failed", name)
            self.service.give_up(name, FaceDetectError("The upload could not be processed."))

    def shutdown(self) -> None:
        """Finish the uploads being processed and stop the threads."""
        self._executor.shutdown(wait=True)
