"""The ``facedetect`` command line, as a user runs it: real files, real exit codes, real output."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import cv2
import pytest
from support import imagegen

from facedetect.entrypoints.cli.main import main

REPO = Path(__file__).resolve().parents[3]


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed console entry point the way a user does, in ``cwd``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEDETECT_")}
    return subprocess.run([sys.executable, "-m", "facedetect.entrypoints.cli.main", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def _lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


@pytest.fixture
def mixed_dir(tmp_path: Path) -> Path:
    """A folder a user might point the CLI at: good images in several formats and bad files, nested."""
    photos = tmp_path / "photos"
    (photos / "nested").mkdir(parents=True)
    (photos / "astronaut.jpg").write_bytes(imagegen.jpeg())
    (photos / "nested" / "group.png").write_bytes(imagegen.png(imagegen.group()))
    (photos / "shapes.webp").write_bytes(imagegen.encode(imagegen.shapes(), ".webp"))
    (photos / "notes.txt").write_text("not a picture\n")
    (photos / "random.jpg").write_bytes(os.urandom(4096))
    (photos / "empty.png").write_bytes(b"")
    (photos / "truncated.jpg").write_bytes(imagegen.jpeg()[:6000])
    (photos / "bomb.png").write_bytes(imagegen.png_bomb())
    (photos / ".hidden.jpg").write_bytes(imagegen.jpeg())
    return photos


def test_detect_on_a_mixed_folder_reports_each_file_and_stores_only_the_good_ones(mixed_dir: Path,
                                                                                    tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = _run("detect", str(mixed_dir), "--data-dir", str(data), cwd=tmp_path)

    assert result.returncode == 1, "a failed file must make the exit status non-zero"
    assert "Traceback" not in result.stderr + result.stdout
    by_name = {Path(r["path"]).name: r for r in _lines(result.stdout)}
    assert set(by_name) == {"astronaut.jpg", "group.png", "shapes.webp", "random.jpg", "empty.png",
                            "truncated.jpg", "bomb.png"}, "hidden and non-image files are skipped, nested folders not"
    assert f"facedetect: skipped 1 file(s) not named as images ({mixed_dir / 'notes.txt'})" in result.stderr
    codes = {name: r["error"]["code"] for name, r in by_name.items() if "error" in r}
    assert codes == {"random.jpg": "invalid_image", "empty.png": "invalid_image",
                     "truncated.jpg": "invalid_image", "bomb.png": "image_too_large"}
    for name in codes:  # one readable line on stderr per failed file
        assert any(line.startswith("facedetect: ") and name in line for line in result.stderr.splitlines())

    astronaut = by_name["astronaut.jpg"]
    assert (astronaut["width"], astronaut["height"]) == (512, 512)
    assert len(astronaut["faces"]) == 1
    assert len(by_name["group.png"]["faces"]) == 3
    assert by_name["shapes.webp"]["faces"] == []
    face = astronaut["faces"][0]
    assert face["x2"] - face["x1"] == face["width"] and face["y2"] - face["y1"] == face["height"]
    assert 0.0 <= face["confidence"] <= 1.0

    stored_images = sorted(p.suffix for p in (data / "images").iterdir())
    assert stored_images == [".jpg", ".png", ".webp"], "each format kept with its real extension, bad ones never"
    assert len(list((data / "detections").iterdir())) == 3


def test_boxes_equal_raw_opencv_through_the_cli(tmp_path: Path) -> None:
    image = tmp_path / "group.jpg"
    image.write_bytes(imagegen.jpeg(imagegen.group()))
    result = _run("detect", str(image), "--no-store", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    [line] = _lines(result.stdout)
    grey = cv2.cvtColor(cv2.imread(str(image)), cv2.COLOR_BGR2GRAY)
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    raw = sorted((int(x), int(y), int(x + w), int(y + h)) for x, y, w, h in cascade.detectMultiScale(grey, 1.1, 5))
    assert sorted((f["x1"], f["y1"], f["x2"], f["y2"]) for f in line["faces"]) == raw
    assert not (tmp_path / "facedetect-data").exists(), "--no-store keeps nothing"


def test_show_and_list_read_back_what_detect_stored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    for i, image in enumerate((imagegen.astronaut(), imagegen.group())):
        (tmp_path / f"{i}.png").write_bytes(imagegen.png(image))
    assert main(["detect", str(tmp_path / "0.png"), str(tmp_path / "1.png"), "--data-dir", data]) == 0
    detected = _lines(capsys.readouterr().out)

    assert main(["list", "--data-dir", data]) == 0
    listed = _lines(capsys.readouterr().out)
    assert {d["id"] for d in listed} == {d["detection_id"] for d in detected}
    assert listed[0]["created_at"] >= listed[1]["created_at"], "newest first"

    assert main(["list", "--data-dir", data, "--limit", "1"]) == 0
    captured = capsys.readouterr()
    assert len(_lines(captured.out)) == 1 and "--cursor" in captured.err

    target = detected[1]
    assert main(["show", target["detection_id"], "--data-dir", data]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["id"] == target["detection_id"]
    assert [f["x1"] for f in shown["faces"]] == [f["x1"] for f in target["faces"]]


def test_show_unknown_id_is_a_clear_error_with_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "0123456789abcdef", "--data-dir", str(tmp_path)]) == 1  # not found; 2 is for usage
    err = capsys.readouterr().err
    assert err.startswith("facedetect: ") and "0123456789abcdef" in err and err.count("\n") == 1


def test_bad_configuration_fails_in_one_line(tmp_path: Path) -> None:
    result = _run("detect", str(tmp_path), "--backend", "aws", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "FACEDETECT_S3_BUCKET" in result.stderr


def test_annotate_writes_copies_with_boxes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.png").write_bytes(imagegen.png())
    (tmp_path / "in" / "a.jpg").write_bytes(imagegen.jpeg())  # same stem: both copies must survive
    out = tmp_path / "annotated"
    assert main(["detect", str(tmp_path / "in"), "--no-store", "--annotate", str(out)]) == 0
    written = sorted(p.name for p in out.iterdir())
    assert len(written) == 2
    lines = _lines(capsys.readouterr().out)
    face = lines[0]["faces"][0]
    drawn = cv2.imread(str(out / Path(lines[0]["annotated"]).name))
    original = imagegen.astronaut()
    # the box outline is green where the original was not
    x1, y1 = face["x1"], face["y1"]
    assert tuple(drawn[y1 + face["height"] // 2, x1]) != tuple(original[y1 + face["height"] // 2, x1])
    assert drawn[y1 + face["height"] // 2, x1][1] > 200


def test_max_dimension_and_haar_options_are_honoured(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    big = tmp_path / "big.jpg"
    big.write_bytes(imagegen.jpeg(imagegen.composite([(100, 100, 1.0), (1300, 300, 1.0)], size=(1200, 2200))))

    def boxes(*options: str) -> list[tuple[int, int, int, int]]:
        assert main(["detect", str(big), "--no-store", *options]) == 0
        return sorted((f["x1"], f["y1"], f["x2"], f["y2"]) for f in _lines(capsys.readouterr().out)[0]["faces"])

    full, shrunk = boxes(), boxes("--max-dimension", "800")
    assert len(full) == len(shrunk) == 2
    assert shrunk != full, "detection really ran on the smaller image"
    for (a1, b1, a2, b2), (c1, d1, c2, d2) in zip(full, shrunk, strict=True):  # mapped back to original pixels
        inter = max(0, min(a2, c2) - max(a1, c1)) * max(0, min(b2, d2) - max(b1, d1))
        assert inter / ((a2 - a1) * (b2 - b1) + (c2 - c1) * (d2 - d1) - inter) > 0.8
    assert boxes("--min-size", "2000") == [], "no face can be 2000 px wide here"


def test_demo_runs_with_nothing_set_up_and_its_hint_runs_as_printed(tmp_path: Path, user_dirs: Path) -> None:
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir()
    elsewhere.mkdir()
    result = _run("demo", cwd=work)
    assert result.returncode == 0, result.stderr
    assert "1 face(s) found" in result.stdout
    data = user_dirs / "xdg_data_home" / "facedetect"  # the per-user data directory, not the working one
    assert (data / "annotated" / "astronaut.faces.jpg").is_file()
    assert len(list((data / "detections").iterdir())) == 1
    assert list(work.iterdir()) == []
    [hint] = [line for line in result.stdout.splitlines() if line.startswith("Read it back:")]
    command = shlex.split(hint.removeprefix("Read it back:").strip())
    shown = subprocess.run(command, cwd=elsewhere, capture_output=True, text=True, timeout=300, check=False)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["id"] == command[-1]
    listed = _run("list", cwd=elsewhere)
    assert [line["id"] for line in _lines(listed.stdout)] == [command[-1]]
    assert list(elsewhere.iterdir()) == []


def test_list_and_show_create_nothing(tmp_path: Path, user_dirs: Path) -> None:
    listed = _run("list", cwd=tmp_path)
    assert (listed.returncode, listed.stdout, listed.stderr) == (0, "", "")
    shown = _run("show", "0123456789abcdef", cwd=tmp_path)
    assert shown.returncode == 1 and "0123456789abcdef" in shown.stderr
    assert user_dirs.parent == tmp_path
    assert list(tmp_path.iterdir()) == [], "reading creates neither ./facedetect-data nor the data directory"


def test_a_flag_error_names_the_flag_and_a_variable_error_the_variable(tmp_path: Path) -> None:
    flag = _run("detect", str(tmp_path), "--no-store", "--max-dimension", "-5", cwd=tmp_path)
    assert flag.returncode == 2
    assert flag.stderr == "facedetect: error: --max-dimension must be greater than or equal to 32 (got -5)\n"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("FACEDETECT_")},
           "FACEDETECT_MAX_DIMENSION": "-5"}
    variable = subprocess.run([sys.executable, "-m", "facedetect.entrypoints.cli.main", "detect", str(tmp_path),
                               "--no-store"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert variable.returncode == 2 and "FACEDETECT_MAX_DIMENSION" in variable.stderr
    assert variable.stderr.count("\n") == 1
    limit = _run("list", "--limit", "0", cwd=tmp_path)
    assert limit.returncode == 2 and "argument --limit: must be a whole number from 1 to 1000" in limit.stderr


def test_a_file_named_on_the_command_line_is_tried_whatever_its_name(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture\n")
    result = _run("detect", str(notes), "--no-store", cwd=tmp_path)
    assert result.returncode == 1
    assert _lines(result.stdout)[0]["error"]["code"] == "invalid_image"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_in_a_folder_is_reported_and_skipped_not_read(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "astronaut.jpg").write_bytes(imagegen.jpeg())
    os.mkfifo(photos / "pipe.jpg")  # reading it would block forever: nobody writes to it
    result = _run("detect", str(photos), "--no-store", cwd=tmp_path)  # the run's timeout only catches a hang
    assert result.returncode == 0, result.stderr
    assert [Path(r["path"]).name for r in _lines(result.stdout)] == ["astronaut.jpg"]
    assert f"facedetect: skipped 1 pipe(s), socket(s) or device(s) ({photos / 'pipe.jpg'})" in result.stderr


def test_missing_path_is_reported_not_raised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["detect", str(tmp_path / "nope.jpg"), "--no-store"]) == 1
    [line] = _lines(capsys.readouterr().out)
    assert line["error"]["code"] == "unreadable_file"


@pytest.mark.skipif(REPO.joinpath("pyproject.toml").is_file() is False, reason="needs the source tree")
def test_help_is_fast_to_reach_and_lists_every_command() -> None:
    result = subprocess.run([sys.executable, "-m", "facedetect.entrypoints.cli.main", "--help"], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0
    for command in ("demo", "detect", "show", "list", "serve", "models", "build-lambda"):
        assert command in result.stdout
