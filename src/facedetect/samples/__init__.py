"""Sample images shipped with facedetect, so that it can be tried with nothing else at hand.

``astronaut.jpg``: NASA portrait of astronaut Eileen Collins (public domain), as distributed
with scikit-image (``skimage.data.astronaut``), 512x512, one frontal face.
"""

from __future__ import annotations

from importlib.resources import files


def sample_image(name: str = "astronaut.jpg") -> bytes:
    """The bytes of a shipped sample image."""
    return files(__package__).joinpath(name).read_bytes()
