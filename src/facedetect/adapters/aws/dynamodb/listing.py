"""Newest-first listing of detection items: the optional ``by_created`` index, else a Scan.

See :mod:`facedetect.adapters.aws.dynamodb.repository` for the index definition and the trade-offs.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import ClientError

from facedetect.adapters.aws.dynamodb import items
from facedetect.adapters.aws.errors import error_code
from facedetect.adapters.aws.retries import UNPROCESSED_ATTEMPTS, attempts
from facedetect.adapters.paging import check_limit
from facedetect.domain.ports import Page
from facedetect.errors import StorageUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from facedetect.adapters.aws.dynamodb.items import Item

RECHECK_INDEX_AFTER_S = 300.0
BATCH_GET_MAX_KEYS = 100


def _is_missing_index(exc: ClientError) -> bool:
    message = str(exc.response.get("Error", {}).get("Message", "")).lower()
    return error_code(exc) in ("ValidationException", "ResourceNotFoundException") and "index" in message


class Table(Protocol):
    """What a lister needs from its repository: the table's name, its client, its error translation."""

    table: str

    @property
    def client(self) -> DynamoDBClient:
        """The DynamoDB client."""
        ...

    def errors(self, action: str) -> AbstractContextManager[None]:
        """Translates botocore errors raised while doing ``action``."""
        ...


class DetectionLister:
    """Pages of detections, newest first, for one repository."""

    def __init__(self, repository: Table, index: str | None) -> None:
        self._repo = repository
        self._index = index
        self._no_index_until = 0.0

    def page(self, *, limit: int, cursor: str | None) -> Page:
        """Up to ``limit`` detections after ``cursor`` (``InvalidInput`` for a bad cursor or limit)."""
        limit = check_limit(limit)
        after = items.decode_list_cursor(cursor) if cursor is not None else None
        found: list[Item] | None = None
        if self._index is not None and time.monotonic() >= self._no_index_until:
            found = self._query_index(self._index, limit + 1, after)
        if found is None:
            found = self._scan(limit + 1, after)
        shown = found[:limit]
        detections = [items.detection_from_item(i, table=self._repo.table) for i in shown]
        more = len(found) > limit
        next_cursor = items.encode_list_cursor(shown[-1][items.LIST_SK]["S"]) if more and shown else None
        return Page(items=detections, next_cursor=next_cursor)

    def _conditions(self, after: str | None) -> tuple[str, dict[str, str], dict[str, Any]]:
        names = {"#pk": items.LIST_PK}
        values: dict[str, Any] = {":pk": {"S": items.LIST_PK_VALUE}}
        expression = "#pk = :pk"
        if after is not None:  # DynamoDB rejects names or values an expression does not use
            expression += " AND #sk < :after"
            names["#sk"] = items.LIST_SK
            values[":after"] = {"S": after}
        return expression, names, values

    def _query_index(self, index: str, wanted: int, after: str | None) -> list[Item] | None:
        """Items from the index, newest first; ``None`` when the table has no such index."""
        expression, names, values = self._conditions(after)
        request: dict[str, Any] = {
            "TableName": self._repo.table, "IndexName": index, "KeyConditionExpression": expression,
            "ExpressionAttributeNames": names, "ExpressionAttributeValues": values,
            "ScanIndexForward": False, "Limit": wanted,
        }
        found: list[Item] = []
        while len(found) < wanted:
            with self._repo.errors(f"querying index {index!r}"):
                try:
                    response = self._repo.client.query(**request)
                except ClientError as exc:
                    if not _is_missing_index(exc):
                        raise
                    self._no_index_until = time.monotonic() + RECHECK_INDEX_AFTER_S
                    return None
            found.extend(response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        found = found[:wanted]
        incomplete = [i for i in found if items.JSON_ATTR not in i and items.ZJSON_ATTR not in i]
        if incomplete:  # an index projecting fewer attributes: read those items from the table
            full = {i[items.KEY]["S"]: i for i in self.batch_get([{items.KEY: i[items.KEY]} for i in incomplete])}
            found = [full.get(i[items.KEY]["S"], i) for i in found]
        return found

    def _scan(self, wanted: int, after: str | None) -> list[Item]:
        """The newest ``wanted`` detection items, by scanning sort keys and fetching the page."""
        expression, names, values = self._conditions(after)
        names.update({"#k": items.KEY, "#sk": items.LIST_SK})
        request: dict[str, Any] = {
            "TableName": self._repo.table, "FilterExpression": expression, "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values, "ProjectionExpression": "#k, #sk",
        }
        keys: list[tuple[str, str]] = []
        while True:
            with self._repo.errors("scanning for detections"):
                response = self._repo.client.scan(**request)
            keys.extend((i[items.LIST_SK]["S"], i[items.KEY]["S"]) for i in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        keys.sort(reverse=True)
        page_keys = [k for _, k in keys[:wanted]]
        by_key = {i[items.KEY]["S"]: i for i in self.batch_get([{items.KEY: {"S": k}} for k in page_keys])}
        return [by_key[k] for k in page_keys if k in by_key]  # skips items deleted meanwhile

    def batch_get(self, keys: list[Item]) -> list[Item]:
        """The items with these keys (consistent reads); missing ones are left out."""
        found: list[Item] = []
        for start in range(0, len(keys), BATCH_GET_MAX_KEYS):
            pending: dict[str, Any] = {self._repo.table: {"Keys": keys[start:start + BATCH_GET_MAX_KEYS],
                                                          "ConsistentRead": True}}
            for _ in attempts(UNPROCESSED_ATTEMPTS):
                with self._repo.errors("reading detections"):
                    response = self._repo.client.batch_get_item(RequestItems=pending)
                found.extend(response.get("Responses", {}).get(self._repo.table, []))
                pending = dict(response.get("UnprocessedKeys") or {})
                if not pending:
                    break
            else:
                raise StorageUnavailable(detail=f"DynamoDB table {self._repo.table!r}: reads kept being throttled.")
        return found
