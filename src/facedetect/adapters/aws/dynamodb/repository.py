"""``DetectionRepository`` on the reference DynamoDB table, exactly as it exists.

Table: ``faces``, partition key ``face_id`` (String), no sort key, no index, on-demand. The
item layout (one item per face with the reference attributes, plus one detection item
holding the whole detection) is in :mod:`facedetect.adapters.aws.dynamodb.items`; transaction
and batch helpers are in ``dynamodb_writes``, listing in ``dynamodb_listing``.

Writes (``add``). A detection becomes visible all at once or not at all: the detection item
is the commit marker, read by id with one consistent ``GetItem`` (no Scan, no index).

* Up to 99 faces: one ``TransactWriteItems`` with every face and the detection item, the
  latter conditioned on ``attribute_not_exists(face_id)``. A cancellation on that condition
  means the detection is already stored: adding it again is a no-op.
* 100 faces or more: face items in transactions of 100, then the detection item alone in
  a final transaction. On failure the face items are deleted again, best effort, in
  transactions conditioned on the detection item being absent (a write whose answer was
  lost, or a concurrent writer of the same detection, may have committed it), and the error
  is raised. Such a delete can still land between a concurrent writer's face items and its
  commit, so after committing, a writer reads its face items back (consistent
  ``BatchGetItem``) and puts back any that are missing; the deletes cannot come later.
* Transactions cancelled by ``TransactionConflict`` are retried briefly, then reported
  as ``StorageUnavailable``.

Listing (``list``), newest first, opaque validated cursors. With the OPTIONAL global
secondary index ``by_created`` (partition key ``list_pk`` (S), sort key ``list_sk`` (S),
projection ``ALL``), a page is one ``Query`` (eventually consistent). Only detection items
carry ``list_pk``, so the index is sparse. Without the index (the reference table), listing
falls back to a paginated ``Scan`` of the detection items' sort keys, sorted in memory, then
a ``BatchGetItem`` of the page: O(table size) per call, fine for small tables. The absence
of the index is remembered for five minutes.

IAM: ``dynamodb:GetItem, PutItem, DeleteItem, ConditionCheckItem, BatchGetItem,
BatchWriteItem, Query, Scan`` (``TransactWriteItems`` is authorised through the item actions;
the rollback's ``ConditionCheck`` needs ``ConditionCheckItem``) on the table and its index.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from facedetect.adapters.aws.clients import LazyClient, dynamodb_client
from facedetect.adapters.aws.dynamodb import items
from facedetect.adapters.aws.dynamodb.listing import DetectionLister
from facedetect.adapters.aws.dynamodb.writes import (
    TRANSACTION_MAX_ITEMS,
    already_stored,
    chunks,
    delete_faces,
    put,
    transact,
)
from facedetect.adapters.aws.errors import aws_errors, cancellation_codes
from facedetect.domain.model import Detection
from facedetect.domain.ports import Page
from facedetect.errors import DetectionNotFound, InvalidInput, StorageError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

    from facedetect.adapters.aws.dynamodb.items import Item

log = logging.getLogger(__name__)


class DynamoDBDetectionRepository:
    """A ``DetectionRepository`` on a DynamoDB table keyed by ``face_id``.

    Parameters
    ----------
    table
        Table name (the reference table is ``faces``).
    client
        A boto3 DynamoDB client; by default one is created on first use from the environment.
    list_index
        Name of the optional listing index; ``None`` never tries it (always Scan).
    """

    def __init__(self, table: str, *, client: DynamoDBClient | None = None,
                 list_index: str | None = "by_created") -> None:
        self.table = table
        self._client = LazyClient(client, dynamodb_client)
        self._resource = f"DynamoDB table {table!r}"
        self._lister = DetectionLister(self, list_index)

    @property
    def client(self) -> DynamoDBClient:
        """The DynamoDB client, created on first use when none was given."""
        return self._client.get()

    def errors(self, action: str) -> AbstractContextManager[None]:
        """Context manager translating botocore errors raised while doing ``action`` on the table."""
        return aws_errors(self._resource, action)

    # --- writes --------------------------------------------------------------------------

    def add(self, detection: Detection) -> bool:
        """Store ``detection`` atomically; adding an id that is already stored is a no-op (``False``)."""
        if not items.valid_id(detection.id):
            raise InvalidInput(f"Detection id {detection.id!r} is not valid.")
        try:
            faces = items.face_items(detection)
            marker = items.detection_item(detection)
        except (TypeError, ValueError, ArithmeticError) as exc:
            detail = f"{self._resource}: detection {detection.id!r} cannot be stored: {exc}."
            raise StorageError(detail=detail) from None
        action = f"writing detection {detection.id!r}"
        if len(faces) < TRANSACTION_MAX_ITEMS:
            with self.errors(action):
                try:
                    transact(self.client, [put(self.table, i) for i in faces] + [put(self.table, marker, new=True)])
                except ClientError as exc:
                    if not already_stored(exc):
                        raise
                    return False
            return True
        if self._exists(detection.id):
            return False
        try:
            with self.errors(action):
                try:
                    for chunk in chunks(faces, TRANSACTION_MAX_ITEMS):
                        transact(self.client, [put(self.table, i) for i in chunk])
                    transact(self.client, [put(self.table, marker, new=True)])
                except ClientError as exc:
                    if already_stored(exc):
                        return False
                    raise
        except BaseException:
            self._roll_back(detection.id, len(faces))
            raise
        self._complete_faces(detection.id, faces)
        return True

    def _roll_back(self, detection_id: str, count: int) -> None:
        """Best effort: remove the face items of a failed write, unless its detection is committed.

        Each delete transaction carries a ``ConditionCheck`` that the detection item is absent,
        so no face item of a committed detection is removed: not when this write's answer was
        lost, nor when a concurrent writer of the same detection committed it meanwhile. The
        items of a transaction that fails stay (invisible to readers; a retry rewrites them).
        """
        committed = {"ConditionCheck": {"TableName": self.table, "Key": items.detection_key(detection_id),
                                        "ConditionExpression": "attribute_not_exists(face_id)"}}
        keys = [items.face_key(detection_id, i) for i in range(count)]
        for chunk in chunks(keys, TRANSACTION_MAX_ITEMS - 1):  # each chunk tried, whatever the others did
            deletes: list[TransactWriteItemTypeDef] = [{"Delete": {"TableName": self.table, "Key": key}}
                                                       for key in chunk]
            try:
                with self.errors(f"removing the faces of failed detection {detection_id!r}"):
                    try:
                        transact(self.client, [committed, *deletes])  # type: ignore[list-item]
                    except ClientError as exc:
                        if cancellation_codes(exc)[:1] == ["ConditionalCheckFailed"]:
                            return  # committed after all: its face items stay
                        raise
            except Exception:  # the write's own error is the one to report
                log.warning("Could not remove face items of failed detection %s from %s",
                            detection_id, self.table, exc_info=True)

    def _complete_faces(self, detection_id: str, faces: list[Item]) -> None:
        """After a commit: put back face items that a failed concurrent writer removed just before it."""
        with self.errors(f"checking the faces of detection {detection_id!r}"):
            found = self._lister.batch_get([{items.KEY: face[items.KEY]} for face in faces])
            present = {item[items.KEY]["S"] for item in found}
            missing = [face for face in faces if face[items.KEY]["S"] not in present]
            for chunk in chunks(missing, TRANSACTION_MAX_ITEMS):
                transact(self.client, [put(self.table, face) for face in chunk])

    def delete(self, detection_id: str) -> None:
        """Remove the detection item and its face items; a missing id is not an error.

        Faces go first and the detection item last, so an interrupted delete can be
        repeated; up to 99 faces it is one transaction.
        """
        if not items.valid_id(detection_id):
            return
        marker = self._get_item(detection_id)
        if marker is None:
            return
        count = items.face_count(marker)
        action = f"deleting detection {detection_id!r}"
        if count < TRANSACTION_MAX_ITEMS:
            keys = [items.face_key(detection_id, i) for i in range(count)] + [items.detection_key(detection_id)]
            deletes: list[TransactWriteItemTypeDef] = [
                {"Delete": {"TableName": self.table, "Key": key}} for key in keys
            ]
            with self.errors(action):
                transact(self.client, deletes)
            return
        delete_faces(self.client, self.table, detection_id, count)
        with self.errors(action):
            self.client.delete_item(TableName=self.table, Key=items.detection_key(detection_id))

    # --- reads ---------------------------------------------------------------------------

    def _get_item(self, detection_id: str, *, projection: str | None = None) -> Item | None:
        with self.errors(f"reading detection {detection_id!r}"):
            if projection:
                response = self.client.get_item(TableName=self.table, Key=items.detection_key(detection_id),
                                                ConsistentRead=True, ProjectionExpression=projection)
            else:
                response = self.client.get_item(TableName=self.table, Key=items.detection_key(detection_id),
                                                ConsistentRead=True)
        return response.get("Item")

    def _exists(self, detection_id: str) -> bool:
        return self._get_item(detection_id, projection=items.KEY) is not None

    def get(self, detection_id: str) -> Detection:
        """The stored detection, one consistent ``GetItem``; ``DetectionNotFound`` if absent."""
        item = self._get_item(detection_id) if items.valid_id(detection_id) else None
        if item is None:
            raise DetectionNotFound(f"No detection with id {detection_id!r}.")
        return items.detection_from_item(item, table=self.table)

    def list(self, *, limit: int = 20, cursor: str | None = None) -> Page:
        """Detections newest first (index ``by_created`` if present, else a Scan)."""
        return self._lister.page(limit=limit, cursor=cursor)
