"""The AWS adapters: images in S3, detections and upload records in DynamoDB.

* :mod:`~facedetect.adapters.aws.clients` — boto3 clients with the house's timeouts and retries;
* :mod:`~facedetect.adapters.aws.errors` — the one translation of botocore errors into ours;
* :mod:`~facedetect.adapters.aws.deadline` — no AWS call starts that could not end in time;
* :mod:`~facedetect.adapters.aws.s3`, :mod:`~facedetect.adapters.aws.s3_uploads` — S3;
* :mod:`facedetect.adapters.aws.dynamodb` — DynamoDB.
"""
