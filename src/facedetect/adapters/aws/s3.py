"""``ImageStore`` on Amazon S3.

Keys are content-derived (``<sha256>.<ext>``, see ``Detection.image_key``), stored under
``prefix + key``. Every object is written with its ``ContentType`` and SSE-S3 encryption
(``ServerSideEncryption='AES256'``). The bucket stays private: images are handed out as
short-lived presigned GET URLs (:meth:`S3ImageStore.url_for`).

``put`` says whether this call created the object with a conditional write
(``If-None-Match: *``): S3 answers 412 when the key exists, so of several concurrent writers
exactly one gets ``True``. Conditional writes need botocore >= 1.35.2 (older SDKs, as a
Lambda runtime may bring, reject the parameter); :func:`supports_conditional_put` reads
that from the client's service model once per store. Without them (an old SDK, or an
S3-compatible server answering ``501 NotImplemented``), ``put`` is ``HeadObject`` then
``PutObject``. Keys are content-addressed (same key, same bytes), so writers racing on an
absent key all write the same object and it ends right; all of them may report ``True``.
Likewise, if botocore retries a conditional write whose first attempt was applied but whose
response was lost, the retry gets 412 and ``put`` reports ``False``. Neither can lose an
image: nothing deletes an image because ``put`` reported ``True`` (see the storage rule of
:class:`facedetect.service.detections.FaceDetectionService`).

IAM: ``s3:PutObject``, ``s3:GetObject``, ``s3:DeleteObject`` on the prefix and
``s3:ListBucket`` on the bucket (without it S3 answers 403 instead of 404 for missing keys).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from facedetect.adapters.aws.clients import LazyClient, s3_client
from facedetect.adapters.aws.errors import NOT_FOUND_CODES, aws_errors, error_code
from facedetect.adapters.aws.retries import CONFLICT_ATTEMPTS, attempts
from facedetect.errors import InvalidInput, StorageUnavailable

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # SigV4 limit


def supports_conditional_put(client: Any) -> bool:
    """Whether ``client``'s SDK can send ``PutObject(IfNoneMatch=...)`` (botocore 1.35.2 and later).

    Read from the client's service model, so it holds for the botocore actually loaded.
    """
    try:
        members = client.meta.service_model.operation_model("PutObject").input_shape.members
    except Exception:  # a model without PutObject: nothing to rely on
        return False
    return "IfNoneMatch" in members


class S3ImageStore:
    """An ``ImageStore`` in an S3 bucket.

    Parameters
    ----------
    bucket
        Bucket name; it must exist (and should block public access).
    prefix
        Prepended to every key, e.g. ``"images/"``.
    client
        A boto3 S3 client; by default one is created on first use from the environment.
    conditional_writes
        Whether to write with ``If-None-Match``; by default decided from the client's SDK.
    """

    def __init__(self, bucket: str, *, prefix: str = "", client: S3Client | None = None,
                 conditional_writes: bool | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self._client = LazyClient(client, s3_client)
        self._conditional_writes = conditional_writes
        self._resource = f"S3 bucket {bucket!r}"

    @property
    def client(self) -> S3Client:
        """The S3 client, created on first use when none was given."""
        return self._client.get()

    def object_key(self, key: str) -> str:
        """The S3 object key for an image key: ``prefix + key``."""
        if not key or "\x00" in key or len(key) > 512:
            raise InvalidInput("The image key is not valid.", detail=f"Image key {key!r} is not valid.")
        return self.prefix + key

    def uses_conditional_writes(self) -> bool:
        """Whether ``put`` writes with ``If-None-Match`` (decided once, from the client's SDK)."""
        if self._conditional_writes is None:
            self._conditional_writes = supports_conditional_put(self.client)
        return self._conditional_writes

    def put(self, key: str, data: bytes, *, media_type: str) -> bool:
        """Store ``data`` (encrypted, typed); ``True`` if this call created the object (see above)."""
        object_key = self.object_key(key)
        action = f"writing {object_key!r}"
        with aws_errors(self._resource, action):
            if not self.uses_conditional_writes():
                return self._put_if_absent_by_head(object_key, data, media_type)
            for _ in attempts(CONFLICT_ATTEMPTS):
                try:
                    self.client.put_object(Bucket=self.bucket, Key=object_key, Body=data, ContentType=media_type,
                                           ServerSideEncryption="AES256", IfNoneMatch="*")
                    return True
                except ClientError as exc:
                    code = error_code(exc)
                    if code == "PreconditionFailed":
                        return False
                    if code == "NotImplemented":
                        self._conditional_writes = False
                        return self._put_if_absent_by_head(object_key, data, media_type)
                    if code != "ConditionalRequestConflict":
                        raise
                # 409: another conditional write of this key is in flight; S3 asks to try again
                # (an answer, not a network failure: botocore does not retry it).
        raise StorageUnavailable(detail=f"{self._resource}: concurrent writes kept conflicting while {action}.")

    def _put_if_absent_by_head(self, object_key: str, data: bytes, media_type: str) -> bool:
        if self._exists_object(object_key):
            return False
        with aws_errors(self._resource, f"writing {object_key!r}"):
            self.client.put_object(Bucket=self.bucket, Key=object_key, Body=data, ContentType=media_type,
                                   ServerSideEncryption="AES256")
        return True

    def get(self, key: str) -> bytes:
        """The bytes under ``key``; ``ImageNotFound`` if absent."""
        object_key = self.object_key(key)
        with aws_errors(self._resource, f"reading {object_key!r}", key=key):
            body = self.client.get_object(Bucket=self.bucket, Key=object_key)["Body"]
            try:
                return body.read()
            finally:
                body.close()

    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key`` (one ``HeadObject``)."""
        return self._exists_object(self.object_key(key))

    def _exists_object(self, object_key: str) -> bool:
        with aws_errors(self._resource, f"checking {object_key!r}"):
            try:
                self.client.head_object(Bucket=self.bucket, Key=object_key)
            except ClientError as exc:
                if error_code(exc) in NOT_FOUND_CODES:
                    return False
                raise
        return True

    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error (S3 semantics)."""
        object_key = self.object_key(key)
        with aws_errors(self._resource, f"deleting {object_key!r}", key=key):
            self.client.delete_object(Bucket=self.bucket, Key=object_key)

    def url_for(self, key: str, ttl: int) -> str:
        """A presigned URL that lets anyone GET the image for ``ttl`` seconds.

        Signing is local: the URL is made even if the key does not exist (fetching it then
        gives 404), so check the detection first.
        """
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not 1 <= ttl <= MAX_PRESIGN_SECONDS:
            raise InvalidInput(f"A link's lifetime must be 1 to {MAX_PRESIGN_SECONDS} seconds, not {ttl!r}.")
        object_key = self.object_key(key)
        with aws_errors(self._resource, f"signing a URL for {object_key!r}", key=key):
            return self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": object_key}, ExpiresIn=ttl
            )
