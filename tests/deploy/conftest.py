"""Fixtures for the artifact tests: built zips (once per session), a Lambda-like Python 3.12, moto.

The artifact tests need PyPI (the build downloads manylinux wheels, the clean venv gets
boto3) and a Python 3.12 interpreter; without either they skip with the reason.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.fake_aws import running_moto_server

PYPI_PROBE = "https://pypi.org/simple/six/"


@dataclass(frozen=True)
class BuiltArtifact:
    """A zip written by ``facedetect build-lambda`` and what the command printed."""

    path: Path
    arch: str
    stdout: str


def _runs_python312(candidate: str) -> bool:
    code = "import sys, venv, ensurepip; print('%d.%d' % sys.version_info[:2])"
    try:
        done = subprocess.run([candidate, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and done.stdout.strip() == "3.12"


def find_python312() -> str | None:
    """A working CPython 3.12 with venv and ensurepip (a pyenv shim may exist and still fail)."""
    candidates = [os.environ.get("FACEDETECT_PYTHON312")]  # the tests' own override, not a setting
    if sys.version_info[:2] == (3, 12):
        candidates.append(sys.executable)
    for root in (os.environ.get("PYENV_ROOT"), str(Path.home() / ".pyenv"), "/root/.pyenv"):
        if root:
            candidates += sorted(glob.glob(f"{root}/versions/3.12*/bin/python3.12"), reverse=True)
    candidates += [shutil.which("python3.12"), "/usr/bin/python3.12", "/usr/local/bin/python3.12"]
    for candidate in dict.fromkeys(c for c in candidates if c):
        if _runs_python312(candidate):
            return candidate
    return None


@pytest.fixture(scope="session")
def python312() -> str:
    """A working Python 3.12 (the runtime's), or the test skips."""
    found = find_python312()
    if found is None:
        pytest.skip("no working Python 3.12 interpreter found (set FACEDETECT_PYTHON312 to one)")
    return found


def _pypi_reachable() -> bool:
    try:
        with urllib.request.urlopen(PYPI_PROBE, timeout=20) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="session")
def needs_pypi() -> None:
    if not _pypi_reachable():
        pytest.skip(f"PyPI is unreachable ({PYPI_PROBE}): the artifact is built from downloaded wheels")


def _build(output: Path, arch: str, python312: str) -> BuiltArtifact:
    """``facedetect build-lambda`` as a user runs it, bytecode compiled by ``python312``."""
    command = [sys.executable, "-m", "facedetect.entrypoints.cli.main", "build-lambda", "--arch", arch,
               "--output", str(output), "--bytecode-python", python312]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return BuiltArtifact(output, arch, done.stdout)


@pytest.fixture(scope="session")
def build_artifact(needs_pypi: None, python312: str,
                   tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], BuiltArtifact]:
    """Build (once per session and architecture) the zip with the real ``facedetect build-lambda``."""
    built: dict[str, BuiltArtifact] = {}

    def build(arch: str) -> BuiltArtifact:
        if arch not in built:
            built[arch] = _build(tmp_path_factory.mktemp(f"lambda-{arch}") / "facedetect-lambda.zip", arch, python312)
        return built[arch]

    return build


@pytest.fixture(scope="session")
def rebuilt_x86_64(needs_pypi: None, python312: str, tmp_path_factory: pytest.TempPathFactory) -> BuiltArtifact:
    """A second, independent x86_64 build of the same tree, into another directory."""
    return _build(tmp_path_factory.mktemp("lambda-x86_64-again") / "elsewhere.zip", "x86_64", python312)


@pytest.fixture(scope="session")
def lambda_python(needs_pypi: None, python312: str,
                  tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """The python of a fresh Python 3.12 venv holding only boto3 of ``spec``, once per spec and session."""
    venvs: dict[str, Path] = {}

    def create(spec: str) -> Path:
        if spec not in venvs:
            venv = tmp_path_factory.mktemp("lambda-runtime") / "venv"
            subprocess.run([python312, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
            python = venv / "bin" / "python"
            done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                                   spec], capture_output=True, text=True, timeout=600, check=False)
            assert done.returncode == 0, done.stderr
            venvs[spec] = python
        return venvs[spec]

    return create


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """A moto server on 127.0.0.1 (a random free port), for real HTTP from another process."""
    with running_moto_server() as url:
        yield url
