"""The DynamoDB item layout of detections on the reference ``faces`` table (key ``face_id``).

Two kinds of item share the table, told apart by ``item_type``:

* **face** (one per face), ``face_id = "<detection_id>#<index>"``: the reference attributes
  ``face_id, image_id, x1, y1, x2, y2`` that existing consumers read, plus ``detection_id``,
  ``face_index``, ``width``, ``height`` (of the box), ``confidence`` and ``created_at``.
* **detection** (one per detection, the commit marker), ``face_id = "detection#<id>"``: the
  whole detection as a versioned record (:mod:`facedetect.adapters.records`) in JSON in
  ``detection_json`` (zlib-compressed into the binary ``detection_json_zlib`` when large), its
  schema version in ``schema`` (absent on items written before versions), plus ``detection_id,
  image_id, created_at, face_count, detector, media_type, image_width, image_height`` and the listing keys
  ``list_pk = "detection"`` and ``list_sk = "<created_at UTC, microseconds>Z#<id>"``.

``image_id`` is the image's key in the bucket (``<sha256>.<ext>``). Numbers are DynamoDB
numbers (ints and ``Decimal``), never floats. Consumers that scan the table for faces
should filter on ``item_type = "face"`` (or ``attribute_exists(x1)``).
"""

from __future__ import annotations

import json
import re
import zlib
from datetime import UTC
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeSerializer

from facedetect.adapters.paging import decode_cursor, encode_cursor
from facedetect.adapters.records import SCHEMA, check_schema, detection_from_record, detection_to_record
from facedetect.domain.model import Detection
from facedetect.errors import InvalidInput, StorageError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

    Item = dict[str, AttributeValueTypeDef]

KEY = "face_id"
DETECTION_PREFIX = "detection#"
LIST_PK = "list_pk"
LIST_SK = "list_sk"
LIST_PK_VALUE = "detection"
SCHEMA_ATTR = "schema"
JSON_ATTR = "detection_json"
ZJSON_ATTR = "detection_json_zlib"
COMPRESS_ABOVE_BYTES = 64_000  # items are capped at 400 KB; compress long face lists well before that

_ID = re.compile(r"[A-Za-z0-9_.-]{1,200}")
_SORT_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
_serializer = TypeSerializer()


def valid_id(detection_id: str) -> bool:
    """Whether ``detection_id`` can be a key here (no ``#``, so face and detection keys never collide)."""
    return isinstance(detection_id, str) and _ID.fullmatch(detection_id) is not None


def detection_key(detection_id: str) -> Item:
    """The key of the detection item."""
    return {KEY: {"S": f"{DETECTION_PREFIX}{detection_id}"}}


def face_key(detection_id: str, index: int) -> Item:
    """The key of face ``index`` of a detection."""
    return {KEY: {"S": f"{detection_id}#{index}"}}


def _serialize(values: dict[str, Any]) -> Item:
    return {name: _serializer.serialize(value) for name, value in values.items()}


def sort_time(detection: Detection) -> str:
    """``created_at`` in UTC with fixed microseconds, so strings sort in time order."""
    return detection.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def list_sort_key(detection: Detection) -> str:
    """The listing sort key: time, then id, a total order shared by the index and the Scan."""
    return f"{sort_time(detection)}#{detection.id}"


def face_items(detection: Detection) -> list[Item]:
    """One item per face, with the reference attributes first."""
    created = detection.created_at.isoformat()
    items = []
    for index, face in enumerate(detection.faces):
        x1, y1, x2, y2 = face.box.to_xyxy()
        items.append(_serialize({
            KEY: f"{detection.id}#{index}", "image_id": detection.image_key,
            "x1": x1, "y1": y1, "x2": x2, "y2": y2,
            "item_type": "face", "detection_id": detection.id, "face_index": index,
            "width": face.box.width, "height": face.box.height,
            "confidence": Decimal(repr(round(float(face.confidence), 6))), "created_at": created,
        }))
    return items


def detection_item(detection: Detection) -> Item:
    """The detection item (commit marker) holding the whole detection as a versioned JSON record."""
    body = json.dumps(detection_to_record(detection), separators=(",", ":"))
    values: dict[str, Any] = {
        KEY: f"{DETECTION_PREFIX}{detection.id}", "item_type": "detection", SCHEMA_ATTR: SCHEMA,
        "detection_id": detection.id,
        "image_id": detection.image_key, "created_at": detection.created_at.isoformat(),
        "face_count": len(detection.faces), "detector": detection.detector,
        "media_type": detection.media_type, "image_width": detection.width, "image_height": detection.height,
        LIST_PK: LIST_PK_VALUE, LIST_SK: list_sort_key(detection),
    }
    if len(body) > COMPRESS_ABOVE_BYTES:
        values[ZJSON_ATTR] = zlib.compress(body.encode(), 6)
    else:
        values[JSON_ATTR] = body
    return _serialize(values)


def detection_from_item(item: Item, *, table: str) -> Detection:
    """Rebuild a detection from its item; ``StorageError`` if the item is corrupt or of an unknown schema."""
    where = f"{item.get(KEY, {}).get('S', '?')!r} in DynamoDB table {table!r}"
    try:
        version = int(item[SCHEMA_ATTR]["N"]) if SCHEMA_ATTR in item else 0
    except (KeyError, ValueError, TypeError):
        raise StorageError(detail=f"The stored detection {where} is corrupt (schema attribute).") from None
    check_schema(version, where=where)  # before the body: a later layout may keep it elsewhere
    try:
        body = item[JSON_ATTR]["S"] if JSON_ATTR in item else zlib.decompress(item[ZJSON_ATTR]["B"]).decode()
        record = json.loads(body)
    except (KeyError, ValueError, TypeError, zlib.error):
        raise StorageError(detail=f"The stored detection {where} is corrupt.") from None
    return detection_from_record(record, where=where)


def face_count(item: Item) -> int:
    """The number of face items a detection item announces."""
    return int(item.get("face_count", {}).get("N", "0"))


def encode_list_cursor(sort_key: str) -> str:
    """An opaque cursor for the position after the detection with this listing sort key."""
    time_part, _, det_id = sort_key.partition("#")
    return encode_cursor((time_part, det_id))


def decode_list_cursor(cursor: str) -> str:
    """The listing sort key inside ``cursor``; ``InvalidInput`` for anything we did not make."""
    time_part, det_id = decode_cursor(cursor)
    if not _SORT_TIME.fullmatch(time_part) or not valid_id(det_id):
        raise InvalidInput("The cursor is not valid; use the next_cursor of a previous page.")
    return f"{time_part}#{det_id}"
