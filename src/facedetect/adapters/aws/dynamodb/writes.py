"""Write helpers of the DynamoDB repository: transactions, chunking, batched deletes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ClientError

from facedetect.adapters.aws.dynamodb import items
from facedetect.adapters.aws.errors import aws_errors, cancellation_codes, error_code
from facedetect.adapters.aws.retries import CONFLICT_ATTEMPTS, UNPROCESSED_ATTEMPTS, attempts
from facedetect.errors import StorageUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

    from facedetect.adapters.aws.dynamodb.items import Item

TRANSACTION_MAX_ITEMS = 100
BATCH_WRITE_MAX_ITEMS = 25

T = TypeVar("T")


def chunks(values: list[T], size: int) -> list[list[T]]:
    """``values`` cut into lists of at most ``size``."""
    return [values[i:i + size] for i in range(0, len(values), size)]


def put(table: str, item: Item, *, new: bool = False) -> TransactWriteItemTypeDef:
    """A transaction ``Put``; with ``new``, conditioned on the key not existing yet."""
    if new:
        return {"Put": {"TableName": table, "Item": item, "ConditionExpression": "attribute_not_exists(face_id)"}}
    return {"Put": {"TableName": table, "Item": item}}


def transact(client: DynamoDBClient, actions: list[TransactWriteItemTypeDef]) -> None:
    """One ``TransactWriteItems``, retried briefly while another transaction holds the same items.

    Raises the botocore ``ClientError`` untranslated, so callers can read the cancellation reasons.
    """
    for attempt in attempts(CONFLICT_ATTEMPTS):
        try:
            client.transact_write_items(TransactItems=actions)
            return
        except ClientError as exc:
            if "TransactionConflict" not in cancellation_codes(exc) or attempt == CONFLICT_ATTEMPTS - 1:
                raise


def already_stored(exc: ClientError) -> bool:
    """Whether a transaction failed only because its last item (the detection item) already exists."""
    codes = cancellation_codes(exc)
    return error_code(exc) == "TransactionCanceledException" and bool(codes) and codes[-1] == "ConditionalCheckFailed"


def delete_faces(client: DynamoDBClient, table: str, detection_id: str, count: int) -> None:
    """Delete face items ``0 .. count-1`` of a detection with ``BatchWriteItem`` (missing ones are fine)."""
    keys = [items.face_key(detection_id, i) for i in range(count)]
    for chunk in chunks(keys, BATCH_WRITE_MAX_ITEMS):
        pending: dict[str, Any] = {table: [{"DeleteRequest": {"Key": key}} for key in chunk]}
        for _ in attempts(UNPROCESSED_ATTEMPTS):
            with aws_errors(f"DynamoDB table {table!r}", f"deleting the faces of detection {detection_id!r}"):
                response = client.batch_write_item(RequestItems=pending)
            pending = dict(response.get("UnprocessedItems") or {})
            if not pending:
                break
        else:
            raise StorageUnavailable(detail=f"DynamoDB table {table!r}: deletes kept being throttled.")
