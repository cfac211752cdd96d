"""Floor 1, the domain: values, rules and ports, with no I/O and no storage or transport.

* :mod:`~facedetect.domain.model` — the frozen values: boxes, faces, detections;
* :mod:`~facedetect.domain.ports` — the ``Protocol``\\ s the service needs (detector, stores);
* :mod:`~facedetect.domain.formats` — the image formats accepted and their media types;
* :mod:`~facedetect.domain.imaging` — image limits, probing and decoding (EXIF applied);
* :mod:`~facedetect.domain.budget` — the cost model that bounds a detection's work;
* :mod:`~facedetect.domain.redaction` — hiding face boxes in an image.

Errors, shared by every floor, are in :mod:`facedetect.errors`.
"""
