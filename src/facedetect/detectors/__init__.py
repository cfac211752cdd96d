"""Face detectors: OpenCV Haar cascades and YuNet, behind the ``FaceDetector`` port."""

from facedetect.detectors.factory import create_detector

__all__ = ["create_detector"]
