"""S3ImageStore against moto, in-process and over HTTP, beyond the port promises (tests/ports)."""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.parse
import urllib.request

import pytest
from support.aws_resources import BUCKET, Aws, list_keys

from facedetect.adapters.aws.s3 import S3ImageStore
from facedetect.errors import ImageNotFound, InvalidInput, StorageError, StorageUnavailable

DATA = b"\xff\xd8\xff\xe0 not really a jpeg, but bytes are bytes"
KEY = f"{hashlib.sha256(DATA).hexdigest()}.jpg"


def test_objects_are_typed_and_encrypted(aws: Aws, store: S3ImageStore) -> None:
    store.put(KEY, DATA, media_type="image/jpeg")
    head = aws.s3.head_object(Bucket=BUCKET, Key=KEY)
    assert head["ContentType"] == "image/jpeg"
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentLength"] == len(DATA)


def test_prefix_is_prepended_to_object_keys(aws: Aws, bucket: str) -> None:
    store = S3ImageStore(bucket, prefix="images/", client=aws.s3)
    store.put(KEY, DATA, media_type="image/png")
    assert list_keys(aws) == [f"images/{KEY}"]
    assert store.get(KEY) == DATA
    assert S3ImageStore(bucket, client=aws.s3).exists(KEY) is False


def test_missing_bucket_is_a_storage_error_naming_it_in_the_detail_only(aws: Aws) -> None:
    store = S3ImageStore("no-such-bucket-here", client=aws.s3)
    for call in (lambda: store.put(KEY, DATA, media_type="image/jpeg"), lambda: store.get(KEY)):
        with pytest.raises(StorageError) as info:
            call()
        assert not isinstance(info.value, StorageUnavailable | ImageNotFound)
        assert "no-such-bucket-here" in info.value.detail  # for the operator's log
        assert "no-such-bucket-here" not in info.value.message and KEY not in info.value.message


def test_empty_key_is_rejected(store: S3ImageStore) -> None:
    with pytest.raises(InvalidInput):
        store.put("", DATA, media_type="image/jpeg")


def test_url_for_is_short_lived_and_signed(store: S3ImageStore) -> None:
    store.put(KEY, DATA, media_type="image/jpeg")
    url = store.url_for(KEY, 120)
    query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    assert query["X-Amz-Expires"] == ["120"]
    assert "X-Amz-Signature" in query
    assert urllib.parse.urlparse(url).path.endswith(KEY)


@pytest.mark.parametrize("expires_in", [0, -5, 8 * 24 * 3600, True, 2.5])
def test_url_for_rejects_bad_lifetimes(store: S3ImageStore, expires_in: object) -> None:
    with pytest.raises(InvalidInput):
        store.url_for(KEY, expires_in)  # type: ignore[arg-type]


@pytest.mark.parametrize("aws", ["server"], indirect=True)
def test_url_for_is_fetchable_over_http(store: S3ImageStore) -> None:
    store.put(KEY, DATA, media_type="image/jpeg")
    with urllib.request.urlopen(store.url_for(KEY, 300), timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/jpeg"
        assert response.read() == DATA


@pytest.mark.parametrize("aws", ["server"], indirect=True)
def test_bucket_is_not_public(aws: Aws, store: S3ImageStore) -> None:
    """Without the signature the same object URL is refused (public access is blocked)."""
    store.put(KEY, DATA, media_type="image/jpeg")
    block = aws.s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    url = store.url_for(KEY, 300).split("?")[0]
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url, timeout=10)
    assert info.value.code == 403


def test_client_is_created_lazily_from_the_environment(aws: Aws, bucket: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    if aws.endpoint_url:
        monkeypatch.setenv("AWS_ENDPOINT_URL", aws.endpoint_url)  # boto3's own variable
    store = S3ImageStore(bucket)
    assert store.put(KEY, DATA, media_type="image/jpeg") is True
    assert aws.s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read() == DATA
