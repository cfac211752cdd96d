"""Reference compatibility: a reference client's request gets the reference response, with OpenCV's boxes.

The reference system answered ``POST /`` (raw JPEG, ``isBase64Encoded: true``) with
``{"faces": {"0": {"x1", "y1", "x2", "y2"}, ...}}`` from
``CascadeClassifier(haarcascade_frontalface_default).detectMultiScale(grey, 1.1, 5)``.
"""

from __future__ import annotations

import cv2
import numpy as np
from support import imagegen


def reference_boxes(jpeg: bytes) -> list[dict[str, int]]:
    """What the reference system computed: raw OpenCV on the decoded grey image."""
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    classifier = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    boxes = classifier.detectMultiScale(grey, 1.1, 5)
    return sorted(({"x1": int(x), "y1": int(y), "x2": int(x + w), "y2": int(y + h)} for x, y, w, h in boxes),
                  key=lambda b: (b["x1"], b["y1"]))


def test_reference_event_gets_the_reference_shape_with_opencvs_boxes(invoke, api_event):
    jpeg = imagegen.jpeg(imagegen.composite([(0, 0, 0.5), (300, 40, 0.6)], size=(400, 640)))
    expected = reference_boxes(jpeg)
    assert len(expected) == 2  # the image really has two faces for OpenCV

    answer = invoke(api_event("post_root_jpeg", image=jpeg))

    assert answer.status == 200, answer.raw_body
    faces = answer.json["faces"]
    assert list(faces) == ["0", "1"]  # keys are consecutive strings from "0"
    for box in faces.values():
        assert list(box) == ["x1", "y1", "x2", "y2"]
        assert all(type(value) is int for value in box.values())
    assert sorted(faces.values(), key=lambda b: (b["x1"], b["y1"])) == expected
