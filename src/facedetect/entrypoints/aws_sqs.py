"""The SQS handler: detection of the images that arrive under ``uploads/`` in the bucket.

Handler: ``facedetect.entrypoints.aws_lambda.sqs_handler``, which hands each batch to
:func:`process_batch` with the API handler's upload service (built on first need) and logger. The bucket
notifies the queue of ``s3:ObjectCreated:*`` under ``uploads/``; each SQS message's body is
that S3 event notification (or the ``s3:TestEvent`` S3 sends when the notification is set
up, which is ignored). Each object is processed by
:meth:`facedetect.service.uploads.UploadService.process`, with the same service, settings and
detector cache as the API handler.

Powertools batch processing reports partial batch failures (the event source mapping needs
``FunctionResponseTypes: [ReportBatchItemFailures]``): a message whose processing raised —
storage throttling or unavailable, or a storage fault that needs the operator — is returned
in ``batchItemFailures`` and SQS delivers it again (after ``maxReceiveCount`` receives it goes
to the dead-letter queue). Bad images are not failures of the message: the upload ends
``failed`` with the error and the message is consumed. A repeated message changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from facedetect.service.uploads import UploadService

#: The key prefix the bucket notification is filtered on.
UPLOAD_PREFIX = "uploads/"

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def object_keys(body: str) -> list[tuple[str, str]]:
    """``(bucket, key)`` of each object an S3 event notification names (keys URL-decoded).

    ``[]`` for the ``s3:TestEvent`` and for bodies that are not S3 notifications.
    """
    try:
        notification: Any = json.loads(body)
    except ValueError:
        return []
    if not isinstance(notification, dict) or not isinstance(notification.get("Records"), list):
        return []
    found = []
    for record in notification["Records"]:
        try:
            if not str(record["eventName"]).startswith("ObjectCreated:"):
                continue
            found.append((str(record["s3"]["bucket"]["name"]), unquote_plus(str(record["s3"]["object"]["key"]))))
        except (KeyError, TypeError):
            continue
    return found


def process_record(record: SQSRecord, *, uploads: Callable[[], UploadService], logger: Logger) -> None:
    """Process the objects of one message; raising returns the message to the queue."""
    keys = object_keys(record.body)
    if not keys:
        logger.info("Ignored a message that names no new object", message_id=record.message_id)
        return
    service = uploads()
    bucket = getattr(service.inbox, "bucket", None)
    for key_bucket, key in keys:
        if key_bucket != bucket or not key.startswith(UPLOAD_PREFIX) or key == UPLOAD_PREFIX:
            logger.warning("Ignored an object outside the uploads", bucket=key_bucket, key=key)
            continue
        upload = service.process(key[len(UPLOAD_PREFIX):])
        logger.info("Upload processed", key=key, status=upload.status if upload else "no record",
                    detection_id=upload.detection_id if upload else None,
                    error_code=upload.error_code if upload else None)


def process_batch(event: dict[str, Any], context: LambdaContext, *, uploads: Callable[[], UploadService],
                  logger: Logger) -> dict[str, Any]:
    """Process one batch of SQS messages; answer the partial batch failures.

    ``uploads`` gives the upload service; it is called only for a message that names an object.
    """
    handle = partial(process_record, uploads=uploads, logger=logger)
    response: dict[str, Any] = dict(process_partial_response(event=event, record_handler=handle,
                                                             processor=processor, context=context))
    return response
