"""The one-call public API: ``facedetect.detect_faces``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from support import imagegen
from support.geometry import raw_xyxy, xyxy

import facedetect
from facedetect import detect_faces
from facedetect.domain.imaging import ImageLimits
from facedetect.errors import ImageTooLarge, InvalidImage, InvalidInput, UnsupportedImageFormat

ASTRONAUT = imagegen.astronaut()
DEFAULT_XML = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
EXPECTED = raw_xyxy(cv2.CascadeClassifier(DEFAULT_XML).detectMultiScale(
    cv2.cvtColor(ASTRONAUT, cv2.COLOR_BGR2GRAY), 1.1, 5))


def test_lazy_exports() -> None:
    assert facedetect.detect_faces is detect_faces
    assert callable(facedetect.bootstrap)
    with pytest.raises(AttributeError):
        facedetect.no_such_thing  # noqa: B018


def test_public_names_survive_importing_every_submodule_first() -> None:
    # A submodule named like a lazy export would replace it on the package once imported.
    code = ("import pkgutil, importlib, facedetect\n"
            "for m in pkgutil.walk_packages(facedetect.__path__, 'facedetect.'):\n"
            "    if '.entrypoints' not in m.name and '.deploy' not in m.name and 'aws' not in m.name:\n"
            "        importlib.import_module(m.name)\n"
            "from facedetect import bootstrap, detect_faces, Settings, FaceDetectionService\n"
            "import inspect\n"
            "print(all(inspect.isfunction(f) for f in (bootstrap, detect_faces)), inspect.isclass(Settings))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True"]


def test_bytes_like_inputs() -> None:
    data = imagegen.png(ASTRONAUT)
    for image in (data, bytearray(data), memoryview(data)):
        assert xyxy(detect_faces(image)) == EXPECTED
    assert len(EXPECTED) == 1


def test_path_input_format_from_content(tmp_path: Path) -> None:
    path = tmp_path / "really-a-png.jpg"
    path.write_bytes(imagegen.png(ASTRONAUT))
    assert xyxy(detect_faces(path)) == EXPECTED
    assert xyxy(detect_faces(str(path))) == EXPECTED


def test_bgr_and_grey_arrays() -> None:
    assert xyxy(detect_faces(ASTRONAUT)) == EXPECTED
    grey = cv2.cvtColor(ASTRONAUT, cv2.COLOR_BGR2GRAY)
    assert xyxy(detect_faces(grey)) == EXPECTED
    assert xyxy(detect_faces(np.asfortranarray(ASTRONAUT))) == EXPECTED  # non-contiguous layouts too


def test_no_faces_is_an_empty_list() -> None:
    assert detect_faces(imagegen.shapes()) == []


def test_options_are_forwarded() -> None:
    group = imagegen.group()
    default = detect_faces(group)
    loose = detect_faces(group, min_neighbors=0)
    assert len(loose) >= len(default) and len(loose) > 3
    assert detect_faces(group, min_size=[100, 100]) == []  # lists are accepted like tuples
    scaled = detect_faces(group, max_dimension=600)
    assert len(scaled) >= 1 and all(f.box.to_xyxy()[2] <= 1200 for f in scaled)


def test_limits_apply_to_encoded_input(tmp_path: Path) -> None:
    data = imagegen.png(ASTRONAUT)
    with pytest.raises(ImageTooLarge):
        detect_faces(data, limits=ImageLimits(max_bytes=1000))
    path = tmp_path / "a.png"
    path.write_bytes(data)
    with pytest.raises(ImageTooLarge):
        detect_faces(path, limits=ImageLimits(max_bytes=1000))
    with pytest.raises(ImageTooLarge):
        detect_faces(data, limits=ImageLimits(max_pixels=512 * 511))


@pytest.mark.parametrize(
    "image",
    [np.zeros((10, 10, 3), np.float32), np.zeros((10, 10, 4), np.uint8), np.zeros((0, 10, 3), np.uint8),
     np.zeros((2, 2, 2, 3), np.uint8), np.zeros(10, np.uint8), 12345, None, ["not", "an", "image"]],
)
def test_bad_arrays_and_objects_are_invalid_image(image: object) -> None:
    with pytest.raises(InvalidImage):
        detect_faces(image)  # type: ignore[arg-type]


def test_bad_bytes_and_paths(tmp_path: Path) -> None:
    with pytest.raises(InvalidImage, match="Cannot read"):
        detect_faces(tmp_path / "missing.jpg")
    with pytest.raises(InvalidImage, match="Cannot read"):
        detect_faces(tmp_path)  # a directory
    with pytest.raises(InvalidImage):
        detect_faces(b"")
    with pytest.raises(UnsupportedImageFormat):
        detect_faces(imagegen.pil_encode(ASTRONAUT[:64, :64], "GIF"))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"scale_factor": 1.0}, "scale_factor"), ({"min_neighbors": -3}, "min_neighbors"),
     ({"colour": "blue"}, "option"), ({"min_size": {"w": 1}}, "option"), ({"detector": "dlib"}, "dlib"),
     ({"detector": "yunet"}, "model"), ({"cascade": "../../etc/passwd"}, "(?i)cascade")],
)
def test_bad_options_are_invalid_input(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        detect_faces(ASTRONAUT, **kwargs)  # type: ignore[arg-type]


def test_yunet_through_the_api(yunet_model: Path) -> None:
    faces = detect_faces(ASTRONAUT, detector="yunet", yunet_model=yunet_model)
    assert len(faces) == 1 and faces[0].landmarks is not None
