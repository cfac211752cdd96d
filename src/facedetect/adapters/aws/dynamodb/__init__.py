"""Detections in DynamoDB: one item per face (the reference system's) plus a detection item.

* :mod:`~facedetect.adapters.aws.dynamodb.repository` — the ``DetectionRepository``;
* :mod:`~facedetect.adapters.aws.dynamodb.items` — the stored items (versioned, see records);
* :mod:`~facedetect.adapters.aws.dynamodb.writes` — the transactional writes;
* :mod:`~facedetect.adapters.aws.dynamodb.listing` — newest-first listing by index;
* :mod:`~facedetect.adapters.aws.dynamodb.uploads` — the upload records.
"""
