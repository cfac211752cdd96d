"""``facedetect redact``: redacted copies in the output folder, same format, faces hidden, nothing else changed."""

from __future__ import annotations

import io
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from support import imagegen

from facedetect.entrypoints.cli.main import main


def reference_boxes(bgr: np.ndarray) -> list[tuple[int, int, int, int]]:
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    return [tuple(int(v) for v in box) for box in cascade.detectMultiScale(grey, 1.1, 5)]


def rgb(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    (folder / "nested").mkdir(parents=True)
    (folder / "nested" / "group.png").write_bytes(imagegen.png(imagegen.group()))
    (folder / "astronaut.jpg").write_bytes(imagegen.jpeg())
    (folder / "notes.txt").write_text("not a picture\n")  # not named as an image: skipped
    (folder / "broken.jpg").write_text("not a picture\n")  # named as one: tried, and fails
    return folder


def test_redact_writes_hidden_copies_and_reports_each_file(photos: Path, tmp_path: Path, monkeypatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"

    status = main(["redact", str(photos), "--output", str(out), "--workers", "2"])

    captured = capsys.readouterr()
    assert status == 1, "the broken image fails, so the exit status says so"
    assert "Traceback" not in captured.err and "broken.jpg" in captured.err
    assert "skipped" in captured.err and "notes.txt" in captured.err, "the skipped file is listed on stderr"
    lines = {Path(r["path"]).name: r for r in map(json.loads, captured.out.splitlines())}
    assert lines["broken.jpg"]["error"]["code"] == "invalid_image"
    assert "notes.txt" not in lines
    boxes = reference_boxes(imagegen.group())
    assert lines["group.png"]["faces_redacted"] == len(boxes) >= 2
    assert not (tmp_path / "facedetect-data").exists(), "nothing is stored by default"

    before = rgb((photos / "nested" / "group.png").read_bytes())
    after = rgb((out / "nested" / "group.png").read_bytes())
    grey_before = cv2.cvtColor(before, cv2.COLOR_RGB2GRAY).astype(float)
    grey_after = cv2.cvtColor(after, cv2.COLOR_RGB2GRAY).astype(float)
    unchanged = np.ones(before.shape[:2], bool)
    for x, y, w, h in boxes:
        assert np.abs(grey_before[y:y + h, x:x + w] - grey_after[y:y + h, x:x + w]).mean() >= 20
        unchanged[max(0, y - h // 4):y + h + h // 4 + 1, max(0, x - w // 4):x + w + w // 4 + 1] = False
    assert np.array_equal(before[unchanged], after[unchanged])
    assert Image.open(out / "astronaut.jpg").format == "JPEG"


def test_redact_refuses_to_overwrite_its_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "astronaut.png"
    source.write_bytes(imagegen.png())
    assert main(["redact", str(source), "--output", str(tmp_path), "--style", "fill"]) == 1
    assert "overwrite" in capsys.readouterr().err
    assert source.read_bytes() == imagegen.png()


def test_an_unknown_style_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["redact", str(tmp_path), "--output", str(tmp_path / "o"), "--style", "smudge"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
