"""``--annotate``: write copies of images with the face boxes drawn on them."""

from __future__ import annotations

from pathlib import Path

from facedetect.core.domain import Detection
from facedetect.core.imaging import ImageLimits, decode


def write_annotated(image_bytes: bytes, detection: Detection, target: Path, limits: ImageLimits) -> Path:
    """Draw ``detection``'s boxes (green, with confidence) on the image; save as JPEG at ``target``."""
    import cv2

    pixels = decode(image_bytes, limits).pixels.copy()
    thickness = max(2, round(max(detection.width, detection.height) / 400))
    for face in detection.faces:
        x1, y1, x2, y2 = face.box.to_xyxy()
        cv2.rectangle(pixels, (x1, y1), (x2 - 1, y2 - 1), (0, 255, 0), thickness)
        cv2.putText(pixels, f"{face.confidence:.2f}", (x1, max(12, y1 - 4)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.4 * thickness, (0, 255, 0), max(1, thickness // 2), cv2.LINE_AA)
        if face.landmarks is not None:
            for p in (face.landmarks.right_eye, face.landmarks.left_eye, face.landmarks.nose,
                      face.landmarks.right_mouth, face.landmarks.left_mouth):
                cv2.circle(pixels, (round(p.x), round(p.y)), thickness + 1, (0, 0, 255), -1)
    target.parent.mkdir(parents=True, exist_ok=True)
    ok, encoded = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:  # pragma: no cover - encoding a valid BGR array does not fail
        raise OSError(f"could not encode {target}")
    target.write_bytes(encoded.tobytes())
    return target
