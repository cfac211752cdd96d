"""Floor 3, the service layer: use cases over the ports (detect and store, uploads).

* :mod:`~facedetect.service.detections` — :class:`FaceDetectionService` and its storage rule;
* :mod:`~facedetect.service.uploads` — uploads to a signed URL, detected when they arrive;
* :mod:`~facedetect.service.upload_worker` — the local server's background processing.
"""
