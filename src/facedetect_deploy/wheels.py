"""Wheels for the Lambda runtime: the project's own wheel, then pip's cross-platform install.

pip can install for another machine when told its platform and Python and when it may use
wheels only (``--platform … --implementation cp --python-version 3.12 --only-binary=:all:
--target DIR``). That is how the artifact is built on any Linux, macOS or Windows machine
without Docker or EC2: every compiled dependency (OpenCV, NumPy, Pillow, pydantic-core)
publishes manylinux wheels.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable
from pathlib import Path

from facedetect_deploy import BuildError

#: Lambda ``Architectures`` value -> the machine name in wheel platform tags.
ARCHITECTURES = {"x86_64": "x86_64", "arm64": "aarch64"}

#: The python3.12 and 3.13 runtimes run on Amazon Linux 2023 (glibc 2.34); manylinux2014 is glibc 2.17.
RUNTIME_GLIBC_MINOR = 34
OLDEST_GLIBC_MINOR = 17

#: Distributions the Lambda Python runtime already ships; never put into the artifact.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath"})

#: Extras of the project that the Lambda needs (their boto3 is dropped: the runtime has it).
LAMBDA_EXTRAS = ("aws",)

_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
_SOURCE_FILES = ("pyproject.toml", "setup.cfg", "setup.py", "MANIFEST.in")


def canonical_name(name: str) -> str:
    """A distribution name normalised as in PEP 503 (``Foo_Bar.baz`` -> ``foo-bar-baz``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    """The canonical distribution name a requirement string asks for."""
    match = _NAME.match(requirement)
    if not match:
        raise BuildError(f"Cannot read the requirement {requirement!r} in pyproject.toml.")
    return canonical_name(match.group(1))


def platform_tags(arch: str) -> list[str]:
    """The wheel platform tags a Lambda of ``arch`` runs: ``manylinux_2_34`` down to ``manylinux2014``."""
    try:
        machine = ARCHITECTURES[arch]
    except KeyError:
        raise BuildError(f"Unknown architecture {arch!r}; Lambda has {', '.join(ARCHITECTURES)}.") from None
    tags = [f"manylinux_2_{minor}_{machine}" for minor in range(RUNTIME_GLIBC_MINOR, OLDEST_GLIBC_MINOR - 1, -1)]
    return [*tags, f"manylinux2014_{machine}"]


def project_metadata(source: Path) -> dict[str, object]:
    """The ``[project]`` table of ``source/pyproject.toml``."""
    try:
        with open(source / "pyproject.toml", "rb") as fh:
            project: dict[str, object] = tomllib.load(fh)["project"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise BuildError(f"{source} is not a Python project with a [project] table: {exc}") from None
    return project


def extra_requirements(source: Path, extras: Iterable[str] = LAMBDA_EXTRAS) -> list[str]:
    """The requirements of ``extras`` minus what the Lambda runtime provides and the project itself.

    The project's own dependencies are not listed: pip reads them from its wheel.
    """
    project = project_metadata(source)
    own = canonical_name(str(project.get("name", "")))
    optional = project.get("optional-dependencies") or {}
    if not isinstance(optional, dict):
        raise BuildError("pyproject.toml: [project.optional-dependencies] is not a table.")
    wanted: list[str] = []
    for extra in extras:
        for requirement in optional.get(extra, []):
            name = requirement_name(requirement)
            if name not in RUNTIME_PROVIDED and name != own and requirement not in wanted:
                wanted.append(requirement)
    return wanted


def _run_pip(args: list[str], what: str) -> None:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise BuildError(f"pip failed while {what} (exit {done.returncode}):\n{tail}")


def build_project_wheel(source: Path, wheel_dir: Path) -> Path:
    """Build the project's wheel from a clean copy of ``source`` (the tree itself is not written to)."""
    with tempfile.TemporaryDirectory(prefix="facedetect-src-") as tmp:
        copy = Path(tmp) / "src-copy"
        copy.mkdir()
        readme = project_metadata(source).get("readme")
        names = [*_SOURCE_FILES, *([readme] if isinstance(readme, str) else [])]
        for name in names:
            if (source / name).is_file():
                shutil.copy2(source / name, copy / name)
        for licence in source.glob("LICEN[CS]E*"):
            shutil.copy2(licence, copy / licence.name)
        shutil.copytree(source / "src", copy / "src",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
        _run_pip(["wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheel_dir), str(copy)],
                 "building the project's wheel")
    wheels = sorted(wheel_dir.glob("*.whl"))
    if len(wheels) != 1:
        raise BuildError(f"Expected one wheel in {wheel_dir}, found {len(wheels)}.")
    return wheels[0]


def install_command(target: Path, requirements: list[str], *, arch: str, python_version: str) -> list[str]:
    """The ``pip install`` arguments that put ``requirements`` into ``target`` for the Lambda."""
    platforms = [arg for tag in platform_tags(arch) for arg in ("--platform", tag)]
    return [
        "install", "--quiet", "--target", str(target), "--no-compile", "--no-warn-script-location",
        *platforms, "--implementation", "cp", "--python-version", python_version,
        "--only-binary=:all:", *requirements,
    ]


def install_for_lambda(target: Path, requirements: list[str], *, arch: str, python_version: str) -> None:
    """Install ``requirements`` (wheel paths or requirement strings) with their dependencies into ``target``."""
    _run_pip(install_command(target, requirements, arch=arch, python_version=python_version),
             f"installing manylinux {arch} wheels for Python {python_version}")
