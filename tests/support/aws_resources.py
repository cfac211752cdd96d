"""moto resources as the deployment creates them: the clients, the private bucket, the reference table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from support.fake_aws import REGION

BUCKET = "facedetect-test-images"
TABLE = "faces"
INDEX = "by_created"


@dataclass
class Aws:
    """One moto backend: its clients and, for the server, its URL."""

    mode: str
    endpoint_url: str | None
    s3: Any
    dynamodb: Any

    def client(self, service: str, **config: Any) -> Any:
        """Another client on this backend (e.g. with different retry settings)."""
        extra: dict[str, Any] = {"s3": {"addressing_style": "path"}} if service == "s3" else {}
        return boto3.client(service, region_name=REGION, endpoint_url=self.endpoint_url,
                            config=Config(**{**extra, **config}))


def backend(mode: str, url: str | None) -> Aws:
    """Clients for moto in-process (``url=None``) or for the moto server at ``url``."""
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=url,
                      config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"))
    return Aws(mode, url, s3, boto3.client("dynamodb", region_name=REGION, endpoint_url=url))


def create_bucket(aws: Aws, name: str = BUCKET) -> str:
    """A private bucket, public access blocked, as the deployment creates it."""
    aws.s3.create_bucket(Bucket=name)
    aws.s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True})
    return name


def create_reference_table(aws: Aws, *, with_index: bool = False) -> str:
    """The reference table: ``faces``, ``face_id`` String HASH only, on-demand; optionally the GSI."""
    attributes = [{"AttributeName": "face_id", "AttributeType": "S"}]
    extra: dict[str, Any] = {}
    if with_index:
        attributes += [{"AttributeName": "list_pk", "AttributeType": "S"},
                       {"AttributeName": "list_sk", "AttributeType": "S"}]
        extra["GlobalSecondaryIndexes"] = [{
            "IndexName": INDEX,
            "KeySchema": [{"AttributeName": "list_pk", "KeyType": "HASH"},
                          {"AttributeName": "list_sk", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }]
    aws.dynamodb.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "face_id", "KeyType": "HASH"}],
                              AttributeDefinitions=attributes, BillingMode="PAY_PER_REQUEST", **extra)
    return TABLE


def scan_all(aws: Aws, table: str = TABLE) -> list[dict[str, Any]]:
    """Every item of the table as Python values (numbers as ``Decimal``)."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    found: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        response = aws.dynamodb.scan(**request)
        found += [{k: deserializer.deserialize(v) for k, v in item.items()} for item in response["Items"]]
        if "LastEvaluatedKey" not in response:
            return found
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def list_keys(aws: Aws, bucket: str = BUCKET) -> list[str]:
    return [o["Key"] for o in aws.s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
