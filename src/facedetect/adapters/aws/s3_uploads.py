"""``UploadInbox`` on S3: presigned POSTs to ``uploads/<upload_id>``, read and deleted on arrival.

The POST policy pins the key, the ``Content-Type`` and SSE-S3 encryption, and bounds the
size with ``content-length-range`` (1 byte to the configured maximum), so S3 itself refuses
anything else. The bucket notifies an SQS queue of the new object; the queue's handler
(:mod:`facedetect.entrypoints.aws_sqs`) processes it. Objects under the prefix should
expire by a lifecycle rule (the template's), in case one is never processed.

IAM: ``s3:PutObject`` on ``uploads/*`` for whoever signs the POST (the policy carries the
signer's rights), ``s3:GetObject`` and ``s3:DeleteObject`` on ``uploads/*`` for the processor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from facedetect.adapters.aws.errors import aws_errors
from facedetect.domain.uploads import UploadTarget
from facedetect.errors import ImageNotFound, ImageTooLarge

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

#: Where uploads arrive in the bucket (the template's notification filter uses the same prefix).
UPLOAD_PREFIX = "uploads/"


class S3UploadInbox:
    """An ``UploadInbox`` in an S3 bucket under ``prefix``.

    Parameters
    ----------
    bucket
        The bucket name.
    client
        A boto3 S3 client (its credentials sign the POSTs).
    prefix
        Key prefix of the uploads.
    """

    def __init__(self, bucket: str, *, client: S3Client, prefix: str = UPLOAD_PREFIX) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.client = client
        self._resource = f"S3 bucket {bucket!r}"

    def key(self, name: str) -> str:
        """The object key of the upload ``name``."""
        return self.prefix + name

    def target(self, upload_id: str, *, content_type: str, max_bytes: int, expires_in: int) -> UploadTarget:
        key = self.key(upload_id)
        with aws_errors(self._resource, f"signing an upload to {key!r}"):
            post = self.client.generate_presigned_post(
                Bucket=self.bucket, Key=key,
                Fields={"Content-Type": content_type, "x-amz-server-side-encryption": "AES256"},
                Conditions=[{"Content-Type": content_type}, {"x-amz-server-side-encryption": "AES256"},
                            ["content-length-range", 1, max_bytes]],
                ExpiresIn=expires_in,
            )
        return UploadTarget(url=post["url"], method="POST", fields={k: str(v) for k, v in post["fields"].items()},
                            expires_in=expires_in)

    def read(self, name: str, *, max_bytes: int) -> bytes:
        key = self.key(name)
        with aws_errors(self._resource, f"reading upload {key!r}", key=key):
            response = self.client.get_object(Bucket=self.bucket, Key=key)
            body = response["Body"]
            try:
                size = int(response.get("ContentLength", 0))
                if size > max_bytes:
                    raise ImageTooLarge(f"The image is {size} bytes; the limit is {max_bytes} bytes.")
                data = body.read(max_bytes + 1)
            finally:
                body.close()
        if len(data) > max_bytes:
            raise ImageTooLarge(f"The image is over the limit of {max_bytes} bytes.")
        if not data and size:
            raise ImageNotFound(f"Upload {name!r} could not be read.")
        return data

    def delete(self, name: str) -> None:
        key = self.key(name)
        with aws_errors(self._resource, f"deleting upload {key!r}", key=key):
            self.client.delete_object(Bucket=self.bucket, Key=key)
