"""The Lambda artifact builder's parts, without the network: tags, requirements, pruning, zipping, limits."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from support.cfn_template import REPO_ROOT

from facedetect_deploy import BuildError
from facedetect_deploy import lambda_zip as lz
from facedetect_deploy.prune import prune
from facedetect_deploy.wheels import extra_requirements, platform_tags


def _write(path: Path, data: bytes | str = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_platform_tags_cover_manylinux2014_and_2_28_for_each_architecture() -> None:
    x86, arm = platform_tags("x86_64"), platform_tags("arm64")
    assert {"manylinux2014_x86_64", "manylinux_2_28_x86_64", "manylinux_2_17_x86_64"} <= set(x86)
    assert {"manylinux2014_aarch64", "manylinux_2_28_aarch64"} <= set(arm)
    assert all(t.endswith("_x86_64") for t in x86) and all(t.endswith("_aarch64") for t in arm)
    # Amazon Linux 2023 has glibc 2.34: nothing newer may be accepted.
    assert "manylinux_2_35_x86_64" not in x86 and "manylinux_2_34_x86_64" in x86
    with pytest.raises(BuildError, match="arm64"):
        platform_tags("aarch32")


def test_lambda_requirements_leave_out_what_the_runtime_has(tmp_path: Path) -> None:
    listed = extra_requirements(REPO_ROOT)
    assert any(r.startswith("aws-lambda-powertools") for r in listed)
    assert not any(r.lower().startswith("boto3") for r in listed)

    _write(tmp_path / "pyproject.toml", """
[project]
name = "Demo_Pkg"
version = "1"
[project.optional-dependencies]
aws = ["Boto3>=1", "botocore", "s3transfer; python_version>'3'", "JMESPath", "demo-pkg[other]", "requests>=2"]
dev = ["pytest"]
""")
    assert extra_requirements(tmp_path) == ["requests>=2"]


def test_prune_removes_runtime_packages_tests_caches_and_scripts(tmp_path: Path) -> None:
    root = tmp_path / "target"
    _write(root / "botocore" / "__init__.py")
    _write(root / "botocore" / "data" / "s3.json")
    _write(root / "botocore-1.34.0.dist-info" / "RECORD",
           "botocore/__init__.py,sha256=x,1\nbotocore/data/s3.json,,\n../../escape.txt,,\n")
    escape = _write(tmp_path / "escape.txt")  # a RECORD line pointing outside the target is ignored
    _write(root / "boto3" / "__init__.py")
    _write(root / "boto3-1.34.0.dist-info" / "RECORD", "boto3/__init__.py,,\n")
    keep = [
        _write(root / "numpy" / "__init__.py"),
        _write(root / "numpy" / "testing" / "__init__.py"),
        _write(root / "numpy-2.0.dist-info" / "RECORD", "numpy/__init__.py,,\n"),
        _write(root / "cv2" / "data" / "haarcascade_frontalface_default.xml"),
        _write(root / "cv2" / "data" / "haarcascade_frontalface_alt2.xml"),
        _write(root / "cv2" / "data" / "haarcascade_profileface.xml"),
        _write(root / "typing_extensions.py"),
    ]
    gone = [
        _write(root / "numpy" / "_core" / "tests" / "test_a.py", "x" * 100),
        _write(root / "numpy" / "__pycache__" / "x.cpython-311.pyc"),
        _write(root / "pkg" / "stray.pyc"),
        _write(root / "pkg" / "types.pyi"),
        _write(root / "bin" / "f2py"),
        _write(root / "facedetect_deploy" / "lambda_zip.py"),  # the build tool, not the runtime
        _write(root / "cv2" / "data" / "haarcascade_eye.xml"),  # OpenCV's cascades of other things
        _write(root / "cv2" / "data" / "haarcascade_frontalcatface.xml"),
        _write(root / "demo-1.0.dist-info" / "direct_url.json", '{"url": "file:///tmp/x/demo.whl"}'),
    ]
    pruned = prune(root)
    assert sorted(pruned.distributions) == ["boto3", "botocore"]
    assert not (root / "botocore").exists() and not (root / "boto3").exists()
    assert not list(root.glob("boto*.dist-info"))
    assert all(p.exists() for p in keep) and escape.exists()
    assert not any(p.exists() for p in gone) and not (root / "bin").exists()
    assert pruned.files == (2 + 1) + (1 + 1) + 9  # botocore (2 + RECORD), boto3 (1 + RECORD), the nine above
    assert pruned.bytes >= 100


def test_zip_is_reproducible_with_normalised_permissions(tmp_path: Path) -> None:
    root = tmp_path / "stage"
    _write(root / "pkg" / "__init__.py", "print('hi')\n")
    library = _write(root / "pkg.libs" / "libx.so", b"\x7fELF" + bytes(100))
    library.chmod(0o700)
    first = lz.write_zip(root, tmp_path / "a.zip")
    os.utime(root / "pkg" / "__init__.py", (1_000_000_000, 1_000_000_000))
    lz.write_zip(root, tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    assert first == (tmp_path / "a.zip").stat().st_size
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in archive.infolist()}
        assert archive.read("pkg/__init__.py") == b"print('hi')\n"
    assert modes == {"pkg.libs/libx.so": 0o755, "pkg/__init__.py": 0o644}


FAKE_SOURCE = "KINDS = {'a', 'b', 'c', 'd', 'e'}\n\ndef kind(x):\n    return x in KINDS\n"
FAKE_RECORD = ("facedetect/__init__.py,sha256=x,60\nfacedetect/tests/test_x.py,sha256=y,17\n"
               "facedetect-0.1.0.dist-info/direct_url.json,sha256=z,30\nfacedetect-0.1.0.dist-info/RECORD,,\n")
CV2_BYTES = os.urandom(3 * 1024 * 1024)


@pytest.fixture
def offline_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace the two pip steps by a fake install of 3 MB, so the build logic runs offline."""

    def fake_wheel(source: Path, wheel_dir: Path) -> Path:
        return _write(wheel_dir / "facedetect-0.1.0-py3-none-any.whl")

    def fake_install(target: Path, requirements: list[str], *, arch: str, python_version: str) -> None:
        assert requirements[0].endswith(".whl") and python_version == "3.12" and arch == "arm64"
        _write(target / "facedetect" / "__init__.py", FAKE_SOURCE)
        _write(target / "facedetect" / "tests" / "test_x.py", "def test(): pass\n")
        _write(target / "facedetect-0.1.0.dist-info" / "direct_url.json", f'{{"url": "file://{target}"}}')
        _write(target / "facedetect-0.1.0.dist-info" / "RECORD", FAKE_RECORD)
        _write(target / "cv2" / "cv2.abi3.so", CV2_BYTES)
        _write(target / "botocore" / "__init__.py")
        _write(target / "botocore-1.0.dist-info" / "RECORD", "botocore/__init__.py,,\n")

    monkeypatch.setattr(lz, "build_project_wheel", fake_wheel)
    monkeypatch.setattr(lz, "install_for_lambda", fake_install)


@pytest.mark.usefixtures("offline_build")
def test_build_refuses_an_artifact_over_the_limit_and_writes_nothing(tmp_path: Path) -> None:
    output = tmp_path / "out" / "lambda.zip"
    with pytest.raises(BuildError, match=r"over the limit.*nothing written.*cv2 3\.0 MiB"):
        lz.build_lambda_zip(output, arch="arm64", source=REPO_ROOT, limit=2 * 1024 * 1024, bytecode=False)
    assert not output.exists() and not output.with_name("lambda.zip.partial").exists()


@pytest.mark.usefixtures("offline_build")
def test_build_reports_the_sizes_of_what_it_wrote(tmp_path: Path) -> None:
    output = tmp_path / "lambda.zip"
    report = lz.build_lambda_zip(output, arch="arm64", source=REPO_ROOT, bytecode=False)
    with zipfile.ZipFile(output) as archive:
        names = archive.namelist()
        unzipped = sum(i.file_size for i in archive.infolist())
    assert sorted(names) == ["cv2/cv2.abi3.so", "facedetect-0.1.0.dist-info/RECORD", "facedetect/__init__.py"]
    assert (report.zipped_bytes, report.unzipped_bytes, report.files) == (output.stat().st_size, unzipped, 3)
    assert report.pruned.distributions == ("botocore",)
    text = lz.describe(report)
    assert f"{report.zipped_bytes:,} bytes" in text and f"{unzipped:,} bytes" in text
    assert report.bytecode is None and "bytecode: none" in text


def test_build_rejects_bad_arguments_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="architecture"):
        lz.build_lambda_zip(tmp_path / "x.zip", arch="riscv64", source=REPO_ROOT)
    with pytest.raises(BuildError, match=r"3\.12"):
        lz.build_lambda_zip(tmp_path / "x.zip", python_version="twelve", source=REPO_ROOT)
    with pytest.raises(BuildError, match="source tree"):
        lz.find_source_root(tmp_path)
    assert lz.find_source_root() == REPO_ROOT


def test_cli_parses_options_and_reports_a_failed_build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from facedetect.entrypoints.cli.main import build_parser, main

    args = build_parser().parse_args(["build-lambda", "--arch", "arm64", "--output", "x.zip"])
    assert (args.arch, args.output, args.python_version) == ("arm64", "x.zip", "3.12")
    assert (args.no_bytecode, args.bytecode_python) == (False, None)
    args = build_parser().parse_args(["build-lambda", "--no-bytecode", "--bytecode-python", "/opt/py312"])
    assert (args.no_bytecode, args.bytecode_python) == (True, "/opt/py312")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["build-lambda", "--arch", "aarch64"])
    capsys.readouterr()
    status = main(["build-lambda", "--source", str(tmp_path), "--output", str(tmp_path / "x.zip")])
    assert status == 1
    assert "not a Python project" in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()


def test_cli_module_imports_only_argparse() -> None:
    code = ("import sys, facedetect.entrypoints.cli.build_lambda_command as m; "
            "print(sorted(n for n in sys.modules if n.startswith('facedetect_deploy')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    assert done.stdout.strip() == "[]"


def _pyc_header(pyc: bytes) -> tuple[bytes, int, bytes]:
    """PEP 552 header: magic number, flags (bit 0 hash-based, bit 1 check source), source hash."""
    return pyc[:4], int.from_bytes(pyc[4:8], "little"), pyc[8:16]


def _runtime_facts(python312: str) -> tuple[bytes, bytes]:
    """Python 3.12's magic number and its hash of FAKE_SOURCE, as that interpreter computes them."""
    code = ("import importlib.util, sys; src = sys.stdin.buffer.read(); "
            "print(importlib.util.MAGIC_NUMBER.hex(), importlib.util.source_hash(src).hex())")
    done = subprocess.run([python312, "-I", "-c", code], input=FAKE_SOURCE.encode(), capture_output=True,
                          check=True, timeout=60)
    magic, digest = done.stdout.decode().split()
    return bytes.fromhex(magic), bytes.fromhex(digest)


@pytest.mark.usefixtures("offline_build")
def test_build_ships_unchecked_hash_bytecode_of_the_runtime_python_reproducibly(tmp_path: Path,
                                                                                python312: str) -> None:
    first = lz.build_lambda_zip(tmp_path / "a.zip", arch="arm64", source=REPO_ROOT, bytecode_python=python312)
    lz.build_lambda_zip(tmp_path / "b.zip", arch="arm64", source=REPO_ROOT, bytecode_python=python312)
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()

    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        names = archive.namelist()
        pyc = archive.read("facedetect/__pycache__/__init__.cpython-312.pyc")
        record = archive.read("facedetect-0.1.0.dist-info/RECORD").decode()
    assert "facedetect/__init__.py" in names  # sources stay, for tracebacks
    magic, digest = _runtime_facts(python312)
    assert _pyc_header(pyc) == (magic, 0b01, digest)  # hash-based, never checked against the source
    assert first.bytecode is not None and first.bytecode.files == 1 and first.bytecode.failed == ()
    assert "bytecode: 1 .pyc" in lz.describe(first)

    # RECORD lists exactly what the zip holds of the distribution: no pruned file, the bytecode added.
    listed = [line.split(",")[0] for line in record.splitlines()]
    assert listed == ["facedetect/__init__.py", "facedetect/__pycache__/__init__.cpython-312.pyc",
                      "facedetect-0.1.0.dist-info/RECORD"]
    assert all(name in names for name in listed)


@pytest.mark.usefixtures("offline_build")
def test_bytecode_names_the_task_root_not_the_build_directory(tmp_path: Path, python312: str) -> None:
    lz.build_lambda_zip(tmp_path / "a.zip", arch="arm64", source=REPO_ROOT, bytecode_python=python312)
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        pyc = archive.read("facedetect/__pycache__/__init__.cpython-312.pyc")
    code = "import marshal, sys; print(marshal.loads(sys.stdin.buffer.read()[16:]).co_filename)"
    done = subprocess.run([python312, "-I", "-c", code], input=pyc, capture_output=True, check=True, timeout=60)
    assert done.stdout.decode().strip() == "/var/task/facedetect/__init__.py"


@pytest.mark.usefixtures("offline_build")
def test_build_without_a_runtime_python_fails_before_any_work_and_says_what_to_do(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lz, "find_interpreter", lambda version: None)
    monkeypatch.setattr(lz, "build_project_wheel", lambda *a: pytest.fail("built a wheel before failing"))
    with pytest.raises(BuildError, match=r"No Python 3\.12.*--bytecode-python PATH.*--no-bytecode"):
        lz.build_lambda_zip(tmp_path / "a.zip", arch="arm64", source=REPO_ROOT)
    assert not (tmp_path / "a.zip").exists()


def test_bytecode_compiled_by_another_python_is_refused(tmp_path: Path) -> None:
    from facedetect_deploy.bytecode import compile_tree

    _write(tmp_path / "m.py", "x = 1\n")
    other = "3.11" if sys.version_info[:2] != (3, 11) else "3.10"
    with pytest.raises(BuildError, match=rf"not {other}"):
        compile_tree(tmp_path, sys.executable, other)
    assert not (tmp_path / "__pycache__").exists()


def test_sources_that_do_not_compile_are_reported_and_left_as_source(tmp_path: Path, python312: str) -> None:
    from facedetect_deploy.bytecode import compile_tree

    _write(tmp_path / "pkg" / "good.py", "x = 1\n")
    _write(tmp_path / "pkg" / "py2_example.py", "print 'hello'\n")
    compiled = compile_tree(tmp_path, python312, "3.12")
    assert (compiled.files, compiled.failed) == (1, ("pkg/py2_example.py",))
    assert sorted(p.name for p in (tmp_path / "pkg" / "__pycache__").iterdir()) == ["good.cpython-312.pyc"]


@pytest.mark.usefixtures("offline_build")
def test_extra_files_are_added_and_bad_ones_refused_before_any_work(tmp_path: Path) -> None:
    model = _write(tmp_path / "model.onnx", b"ONNX" + bytes(50))
    lz.build_lambda_zip(tmp_path / "a.zip", arch="arm64", source=REPO_ROOT, bytecode=False,
                        extra_files={"facedetect/detectors/models/yunet.onnx": model})
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        assert archive.read("facedetect/detectors/models/yunet.onnx") == model.read_bytes()
        record = archive.read("facedetect-0.1.0.dist-info/RECORD").decode().splitlines()
    # Listed by the distribution that owns facedetect/, like every other file of the zip.
    assert "facedetect/detectors/models/yunet.onnx,sha256=" in "\n".join(record)

    for bad, message in (("/abs/x.onnx", "relative"), ("../x.onnx", "relative"), ("ok.onnx", "not a file")):
        local = model if message != "not a file" else tmp_path / "missing.onnx"
        with pytest.raises(BuildError, match=message):
            lz.check_extra_files({bad: local})
    with pytest.raises(BuildError, match="would replace"):
        lz.build_lambda_zip(tmp_path / "b.zip", arch="arm64", source=REPO_ROOT, bytecode=False,
                            extra_files={"facedetect/__init__.py": model})
    assert not (tmp_path / "b.zip").exists()


def test_record_rewrite_drops_missing_files_and_lists_bytecode(tmp_path: Path) -> None:
    from facedetect_deploy.record import record_hash, rewrite_records

    _write(tmp_path / "pkg" / "a.py", "x = 1\n")
    pyc = _write(tmp_path / "pkg" / "__pycache__" / "a.cpython-312.pyc", b"\x00" * 20)
    _write(tmp_path / "pkg" / "data,with,commas.txt", "d")
    _write(tmp_path / "pkg-1.dist-info" / "RECORD",
           'pkg/a.py,sha256=abc,6\n"pkg/data,with,commas.txt",sha256=def,1\npkg/gone.py,sha256=g,1\n'
           "pkg-1.dist-info/direct_url.json,,\npkg-1.dist-info/RECORD,,\n")
    assert rewrite_records(tmp_path) == (2, 1)
    assert (tmp_path / "pkg-1.dist-info" / "RECORD").read_text().splitlines() == [
        "pkg/a.py,sha256=abc,6",
        f"pkg/__pycache__/a.cpython-312.pyc,{record_hash(pyc)},20",
        '"pkg/data,with,commas.txt",sha256=def,1',
        "pkg-1.dist-info/RECORD,,",
    ]
