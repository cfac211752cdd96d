"""``UploadRepository`` on the detections' DynamoDB table: one item per upload.

Item: ``face_id = "upload#<upload_id>"`` (detection items use ``detection#<id>``, face items
``<detection_id>#<n>``, so the kinds never collide), ``item_type = "upload"``, ``status``,
the whole upload as JSON in ``upload_json`` and ``expires_at`` (Unix seconds, a week after
creation: usable as the table's TTL attribute). No listing key, so listings of detections
never see uploads. ``create`` and ``finish`` are conditional ``PutItem``\\ s (new key; status
still ``pending``), so of two deliveries exactly one records the outcome.

IAM: ``dynamodb:GetItem`` and ``dynamodb:PutItem`` on the table (already granted for detections).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from facedetect.adapters.aws.errors import aws_errors, error_code, translate
from facedetect.adapters.records import upload_from_record, upload_to_record
from facedetect.domain.uploads import Upload, is_upload_id
from facedetect.errors import StorageError, UploadNotFound

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

KEY = "face_id"
UPLOAD_PREFIX = "upload#"
#: How long an upload record is kept, for a TTL on ``expires_at``.
RECORD_LIFETIME = timedelta(days=7)


class DynamoDBUploadRepository:
    """An ``UploadRepository`` on the table ``table`` (key ``face_id``)."""

    def __init__(self, table: str, *, client: DynamoDBClient) -> None:
        self.table = table
        self.client = client
        self._resource = f"DynamoDB table {table!r}"

    @staticmethod
    def _key(upload_id: str) -> dict[str, AttributeValueTypeDef]:
        return {KEY: {"S": UPLOAD_PREFIX + upload_id}}

    def _item(self, upload: Upload) -> dict[str, AttributeValueTypeDef]:
        expires = int((upload.created_at + RECORD_LIFETIME).timestamp())
        return {**self._key(upload.upload_id), "item_type": {"S": "upload"}, "status": {"S": upload.status},
                "upload_json": {"S": json.dumps(upload_to_record(upload))}, "expires_at": {"N": str(expires)}}

    def _put(self, upload: Upload, condition: str, action: str, values: dict[str, AttributeValueTypeDef]) -> bool:
        request = {"TableName": self.table, "Item": self._item(upload), "ConditionExpression": condition,
                   "ExpressionAttributeNames": {"#k": KEY, **({"#s": "status"} if values else {})}}
        if values:
            request["ExpressionAttributeValues"] = values
        try:
            self.client.put_item(**request)  # type: ignore[arg-type]
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise translate(exc, resource=self._resource, action=action) from exc
        except BotoCoreError as exc:
            raise translate(exc, resource=self._resource, action=action) from exc
        return True

    def create(self, upload: Upload) -> None:
        if not self._put(upload, "attribute_not_exists(#k)", f"recording upload {upload.upload_id!r}", {}):
            raise StorageError(f"Upload {upload.upload_id!r} exists already.", detail=self._resource)

    def get(self, upload_id: str) -> Upload:
        if not is_upload_id(upload_id):
            raise UploadNotFound(f"No upload with id {upload_id[:64]!r}.")
        with aws_errors(self._resource, f"reading upload {upload_id!r}"):
            item = self.client.get_item(TableName=self.table, Key=self._key(upload_id),
                                        ConsistentRead=True).get("Item")
        if item is None:
            raise UploadNotFound(f"No upload with id {upload_id!r}.")
        try:
            return upload_from_record(json.loads(item["upload_json"]["S"]))
        except (KeyError, ValueError, TypeError) as exc:
            raise StorageError(detail=f"{self._resource}: upload {upload_id!r} is unreadable: {exc}.") from None

    def finish(self, upload: Upload) -> bool:
        return self._put(upload, "attribute_exists(#k) AND #s = :pending",
                         f"recording the outcome of upload {upload.upload_id!r}", {":pending": {"S": "pending"}})
