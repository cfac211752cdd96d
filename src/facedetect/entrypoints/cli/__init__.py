"""The ``facedetect`` command line."""
