"""Annotated copies stay readable in crowded pictures: labels sized to their faces, never on top of each other."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path

import cv2
from support import imagegen

from facedetect.domain.imaging import ImageLimits
from facedetect.domain.model import BoundingBox, Detection, Face
from facedetect.entrypoints.cli.annotate import MIN_LABEL_PX, place_labels, write_annotated


def _detection(boxes: list[tuple[int, int, int]], size: tuple[int, int] = (800, 600)) -> Detection:
    faces = tuple(Face(BoundingBox(x, y, side, side), confidence=0.99 - i * 0.01) for i, (x, y, side) in
                  enumerate(boxes))
    return Detection(id="0" * 32, sha256="0" * 64, media_type="image/jpeg", width=size[0], height=size[1],
                     faces=faces, detector="haar", parameters={}, created_at=datetime.now(UTC), duration_ms=1.0)


def test_labels_in_a_crowd_never_overlap_and_stay_inside_the_image() -> None:
    crowd = [(x, y, 40) for x in range(0, 760, 25) for y in range(0, 560, 25)]  # 700+ overlapping faces
    labels = place_labels(_detection(crowd))
    assert labels, "some labels are drawn"
    assert len(labels) < len(crowd), "labels that would cover others are left out"
    for a, b in itertools.combinations(labels, 2):
        assert not a.overlaps(b.rect), (a, b)
    for label in labels:
        x1, y1, x2, y2 = label.rect
        assert 0 <= x1 < x2 <= 800 and 0 <= y1 < y2 <= 600


def test_a_lone_face_gets_its_label_above_it_sized_to_the_face() -> None:
    small, big = place_labels(_detection([(100, 200, 40)]))[0], place_labels(_detection([(100, 200, 200)]))[0]
    assert small.rect[3] <= 200 and big.rect[3] <= 200, "above the box"
    assert (big.rect[3] - big.rect[1]) > (small.rect[3] - small.rect[1]) >= MIN_LABEL_PX


def test_the_most_confident_faces_keep_their_labels() -> None:
    labels = place_labels(_detection([(100, 100, 60), (105, 102, 60)]))  # nearly the same place
    assert [label.text for label in labels] == ["0.99"]


def test_a_crowded_annotated_copy_is_written(tmp_path: Path) -> None:
    scene = imagegen.composite([(0, 0, 1.0), (300, 0, 1.0), (600, 100, 1.0)], size=(900, 1200))
    data = imagegen.jpeg(scene)
    crowd = [(x, y, 60) for x in range(0, 1100, 40) for y in range(0, 800, 40)]
    target = write_annotated(data, _detection(crowd, size=(1200, 900)), tmp_path / "a.faces.jpg", ImageLimits())
    drawn = cv2.imread(str(target))
    assert drawn.shape == (900, 1200, 3)


def test_the_progress_bar_counts_images_and_stays_off_when_disabled(capsys) -> None:
    from facedetect.entrypoints.cli.progress import image_progress

    with image_progress(12, enabled=True) as bar:
        for _ in range(12):
            bar.update()
    assert "12/12" in capsys.readouterr().err
    with image_progress(12, enabled=False) as bar:
        for _ in range(12):
            bar.update()
    assert capsys.readouterr().err == ""
