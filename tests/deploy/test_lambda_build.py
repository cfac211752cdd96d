"""The Lambda artifact builder's parts, without the network: tags, requirements, pruning, zipping, limits."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cfn_template import REPO_ROOT

from facedetect.deploy import BuildError
from facedetect.deploy import lambda_zip as lz
from facedetect.deploy.prune import prune
from facedetect.deploy.wheels import extra_requirements, platform_tags


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
        _write(root / "typing_extensions.py"),
    ]
    gone = [
        _write(root / "numpy" / "_core" / "tests" / "test_a.py", "x" * 100),
        _write(root / "numpy" / "__pycache__" / "x.cpython-311.pyc"),
        _write(root / "pkg" / "stray.pyc"),
        _write(root / "pkg" / "types.pyi"),
        _write(root / "bin" / "f2py"),
        _write(root / "demo-1.0.dist-info" / "direct_url.json", '{"url": "file:///tmp/x/demo.whl"}'),
    ]
    pruned = prune(root)
    assert sorted(pruned.distributions) == ["boto3", "botocore"]
    assert not (root / "botocore").exists() and not (root / "boto3").exists()
    assert not list(root.glob("boto*.dist-info"))
    assert all(p.exists() for p in keep) and escape.exists()
    assert not any(p.exists() for p in gone) and not (root / "bin").exists()
    assert pruned.files == (2 + 1) + (1 + 1) + 6  # botocore (2 + RECORD), boto3 (1 + RECORD), the six above
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


@pytest.fixture
def offline_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace the two pip steps by a fake install of 3 MB, so the build logic runs offline."""

    def fake_wheel(source: Path, wheel_dir: Path) -> Path:
        return _write(wheel_dir / "facedetect-0.1.0-py3-none-any.whl")

    def fake_install(target: Path, requirements: list[str], *, arch: str, python_version: str) -> None:
        assert requirements[0].endswith(".whl") and python_version == "3.12" and arch == "arm64"
        _write(target / "facedetect" / "__init__.py")
        _write(target / "cv2" / "cv2.abi3.so", os.urandom(3 * 1024 * 1024))
        _write(target / "botocore" / "__init__.py")
        _write(target / "botocore-1.0.dist-info" / "RECORD", "botocore/__init__.py,,\n")

    monkeypatch.setattr(lz, "build_project_wheel", fake_wheel)
    monkeypatch.setattr(lz, "install_for_lambda", fake_install)


@pytest.mark.usefixtures("offline_build")
def test_build_refuses_an_artifact_over_the_limit_and_writes_nothing(tmp_path: Path) -> None:
    output = tmp_path / "out" / "lambda.zip"
    with pytest.raises(BuildError, match=r"over the limit.*nothing written.*cv2 3\.0 MiB"):
        lz.build_lambda_zip(output, arch="arm64", source=REPO_ROOT, limit=2 * 1024 * 1024)
    assert not output.exists() and not output.with_name("lambda.zip.partial").exists()


@pytest.mark.usefixtures("offline_build")
def test_build_reports_the_sizes_of_what_it_wrote(tmp_path: Path) -> None:
    output = tmp_path / "lambda.zip"
    report = lz.build_lambda_zip(output, arch="arm64", source=REPO_ROOT)
    with zipfile.ZipFile(output) as archive:
        names = archive.namelist()
        unzipped = sum(i.file_size for i in archive.infolist())
    assert sorted(names) == ["cv2/cv2.abi3.so", "facedetect/__init__.py"]
    assert (report.zipped_bytes, report.unzipped_bytes, report.files) == (output.stat().st_size, unzipped, 2)
    assert report.pruned.distributions == ("botocore",)
    text = lz.describe(report)
    assert f"{report.zipped_bytes:,} bytes" in text and f"{unzipped:,} bytes" in text


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
    with pytest.raises(SystemExit):
        build_parser().parse_args(["build-lambda", "--arch", "aarch64"])
    capsys.readouterr()
    status = main(["build-lambda", "--source", str(tmp_path), "--output", str(tmp_path / "x.zip")])
    assert status == 1
    assert "not a Python project" in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()


def test_cli_module_imports_only_argparse() -> None:
    code = ("import sys, facedetect.entrypoints.cli.build_lambda_command as m; "
            "print(sorted(n for n in sys.modules if n.startswith('facedetect.deploy')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    assert done.stdout.strip() == "[]"
