"""HaarCascadeDetector: parity with raw OpenCV, option validation, thread safety."""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest
from support import imagegen
from support.geometry import raw_xyxy, xyxy

from facedetect.detectors.haar import HaarCascadeDetector
from facedetect.domain.imaging import decode
from facedetect.errors import DetectorError, InvalidInput

DEFAULT_XML = os.path.join(cv2.data.haarcascades, "haarcascade_frontalface_default.xml")


def raw_opencv(image: np.ndarray) -> list[tuple[int, int, int, int]]:
    """What the reference system does: grey image, detectMultiScale(grey, 1.1, 5)."""
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return raw_xyxy(cv2.CascadeClassifier(DEFAULT_XML).detectMultiScale(grey, 1.1, 5))


PARITY_IMAGES = {
    "astronaut": lambda: imagegen.astronaut(),
    "group": imagegen.group,
    "composite-small-left": lambda: imagegen.composite([(10, 30, 0.45)], size=(320, 420)),
    "composite-two": lambda: imagegen.composite([(0, 0, 0.5), (260, 90, 0.6)], size=(400, 600), background=40),
    "composite-offset-big": lambda: imagegen.composite([(97, 13, 0.9)], size=(480, 640), background=200),
    "flipped": lambda: cv2.flip(imagegen.astronaut(), 1),
    "upside-down": lambda: cv2.flip(imagegen.astronaut(), 0),
    "grey-2d": lambda: cv2.cvtColor(imagegen.astronaut(), cv2.COLOR_BGR2GRAY),
    "shapes": imagegen.shapes,
    "noise": imagegen.noise,
}


@pytest.mark.parametrize("name", PARITY_IMAGES)
def test_defaults_give_exactly_the_raw_opencv_boxes(haar: HaarCascadeDetector, name: str) -> None:
    image = PARITY_IMAGES[name]()
    assert xyxy(haar.detect(image)) == raw_opencv(image)


def test_parity_images_cover_faces_and_no_faces(haar: HaarCascadeDetector) -> None:
    # Guards the parity test against passing vacuously (e.g. both sides finding nothing).
    assert len(haar.detect(imagegen.astronaut())) == 1
    assert len(haar.detect(imagegen.group())) == 3
    assert haar.detect(imagegen.shapes()) == []
    assert haar.detect(imagegen.noise()) == []


@pytest.mark.parametrize("quality", [60, 95])
def test_jpeg_round_trip_matches_opencv_decoding(haar: HaarCascadeDetector, quality: int) -> None:
    data = imagegen.jpeg(imagegen.group(), quality=quality)
    ours = haar.detect(decode(data).pixels)
    theirs = raw_opencv(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR))
    assert xyxy(ours) == theirs
    assert len(theirs) >= 3  # the three pasted faces (low quality can add a false positive)


def test_astronaut_face_is_where_a_person_sees_it(haar: HaarCascadeDetector) -> None:
    (face,) = haar.detect(imagegen.astronaut())
    x1, y1, x2, y2 = face.box.to_xyxy()
    # Eileen Collins' face: roughly columns 170-280, rows 60-170 of the 512x512 portrait.
    assert 160 <= x1 < x2 <= 290 and 50 <= y1 < y2 <= 180


def test_confidence_is_in_unit_interval_and_sorted(haar: HaarCascadeDetector) -> None:
    faces = HaarCascadeDetector(min_neighbors=1).detect(imagegen.group())
    assert len(faces) > 3
    confidences = [f.confidence for f in faces]
    assert all(0.0 <= c <= 1.0 for c in confidences)
    assert confidences == sorted(confidences, reverse=True)


def test_options_change_the_result(haar: HaarCascadeDetector) -> None:
    image = imagegen.group()
    default = haar.detect(image)
    assert len(HaarCascadeDetector(min_neighbors=0).detect(image)) > len(default)
    sides = sorted(f.box.width for f in default)
    assert sides[0] < 70 < sides[-1]
    big = HaarCascadeDetector(min_size=70).detect(image)
    small = HaarCascadeDetector(max_size=70).detect(image)
    assert big and all(f.box.width >= 70 for f in big)
    assert small and all(f.box.width <= 70 for f in small)
    assert xyxy(big) != xyxy(default) != xyxy(small)


def test_parameters_describe_the_configuration() -> None:
    detector = HaarCascadeDetector(scale_factor=1.2, min_neighbors=3, min_size=(20, 30), max_dimension=640)
    assert detector.name == "haar"
    assert detector.parameters == {
        "cascade": "haarcascade_frontalface_default.xml", "scale_factor": 1.2, "min_neighbors": 3,
        "min_size": [20, 30], "max_size": None, "max_dimension": 640,
    }


def test_another_bundled_cascade_by_name() -> None:
    eyes = HaarCascadeDetector("haarcascade_eye.xml").detect(imagegen.astronaut())
    assert eyes  # the astronaut's eyes
    assert all(f.box.width < 60 for f in eyes)


@pytest.mark.parametrize(
    "options",
    [{"scale_factor": 1.0}, {"scale_factor": 1.0000000000000002}, {"scale_factor": 1.009}, {"scale_factor": 0.9},
     {"scale_factor": -2}, {"scale_factor": float("nan")},
     {"scale_factor": "fast"}, {"scale_factor": 10}, {"min_neighbors": -1}, {"min_neighbors": 2.5},
     {"min_neighbors": True}, {"min_size": 0}, {"min_size": (10,)}, {"max_size": (-5, 5)}, {"max_dimension": 8},
     {"max_dimension": 100.5}],
)
def test_bad_options_are_invalid_input(options: dict[str, object]) -> None:
    with pytest.raises(InvalidInput) as info:
        HaarCascadeDetector(**options)  # type: ignore[arg-type]
    assert next(iter(options)) in info.value.message


@pytest.mark.parametrize(
    "cascade",
    ["nope.xml", "haarcascade_eye", "", "..", "../../etc/passwd", "../haarcascades/haarcascade_eye.xml",
     "/etc/passwd", "..\\..\\windows\\win.ini", "haarcascade_eye.xml/../../../etc/passwd"],
)
def test_unknown_and_path_traversal_cascades_are_invalid_input(cascade: str) -> None:
    with pytest.raises(InvalidInput, match=r"(?i)cascade"):
        HaarCascadeDetector(cascade)


def test_unknown_cascade_message_lists_the_bundled_ones() -> None:
    with pytest.raises(InvalidInput, match=re.escape("haarcascade_frontalface_alt.xml")):
        HaarCascadeDetector("nope.xml")


def test_a_cascade_path_outside_opencv_works(tmp_path: Path) -> None:
    copy = tmp_path / "my-faces.xml"
    copy.write_bytes(Path(DEFAULT_XML).read_bytes())
    image = imagegen.astronaut()
    assert xyxy(HaarCascadeDetector(str(copy)).detect(image)) == raw_opencv(image)


def test_missing_or_unreadable_cascade_file_is_a_detector_error(tmp_path: Path) -> None:
    with pytest.raises(DetectorError, match="does not exist"):
        HaarCascadeDetector(str(tmp_path / "missing.xml"))
    garbage = tmp_path / "garbage.xml"
    garbage.write_text("<not a cascade>")
    with pytest.raises(DetectorError, match="could not load"):
        HaarCascadeDetector(str(garbage))


def test_one_detector_shared_by_8_threads_matches_sequential_use(haar: HaarCascadeDetector) -> None:
    images = [imagegen.composite([(13 * i % 90, 7 * i % 50, 0.3 + 0.01 * i)], size=(240, 320)) for i in range(16)]
    images += [imagegen.noise(120, 160, seed=i) for i in range(8)]
    expected = [xyxy(haar.detect(img)) for img in images]
    assert sum(map(len, expected)) >= 16
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(2):
            assert list(pool.map(lambda img: xyxy(haar.detect(img)), images)) == expected
