"""Build the Lambda deployment zip: the project's wheel and its manylinux dependencies, pruned.

The zip holds the packages at its root (Lambda puts ``/var/task`` on ``sys.path``), is
reproducible (sorted entries, fixed timestamps, normalised permissions) and is refused,
before anything is written, when its unzipped size exceeds Lambda's 250 MB limit.

Examples
--------
>>> report = build_lambda_zip(Path("build/facedetect-lambda.zip"), arch="arm64")  # doctest: +SKIP
>>> print(describe(report))  # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from facedetect.deploy import BuildError
from facedetect.deploy.prune import Pruned, prune
from facedetect.deploy.wheels import (
    ARCHITECTURES,
    build_project_wheel,
    extra_requirements,
    install_for_lambda,
    project_metadata,
)

#: Lambda's limit on function code plus layers, unzipped: 250 MB (262,144,000 bytes).
LAMBDA_UNZIPPED_LIMIT = 262_144_000
#: Above this zipped size the code must reach Lambda through S3 (``sam deploy`` does that).
DIRECT_UPLOAD_LIMIT = 52_428_800
DEFAULT_PYTHON = "3.12"
_ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
_MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What :func:`build_lambda_zip` wrote."""

    output: Path
    arch: str
    python_version: str
    files: int
    zipped_bytes: int
    unzipped_bytes: int
    largest: tuple[tuple[str, int], ...]
    pruned: Pruned


def find_source_root(start: Path | None = None) -> Path:
    """The facedetect source tree (the directory whose ``pyproject.toml`` names ``facedetect``).

    Searched upwards from ``start``, by default from this installed package (an editable
    install or a checkout).
    """
    here = (start or Path(__file__)).resolve()
    for directory in [here, *here.parents]:
        if (directory / "pyproject.toml").is_file() and (directory / "src").is_dir():
            try:
                if project_metadata(directory).get("name") == "facedetect":
                    return directory
            except BuildError:
                continue
    raise BuildError("build-lambda needs the facedetect source tree (with pyproject.toml); "
                     "run it from a checkout or pass --source DIR.")


def tree_size(root: Path) -> tuple[int, int]:
    """Number of files under ``root`` and their total size in bytes."""
    sizes = [p.stat().st_size for p in root.rglob("*") if p.is_file()]
    return len(sizes), sum(sizes)


def largest_entries(root: Path, count: int = 6) -> tuple[tuple[str, int], ...]:
    """The ``count`` largest top-level entries of ``root`` by unzipped size, largest first."""
    sizes = [(p.name, tree_size(p)[1] if p.is_dir() else p.stat().st_size) for p in root.iterdir()]
    return tuple(sorted(sizes, key=lambda item: (-item[1], item[0]))[:count])


def write_zip(root: Path, output: Path) -> int:
    """Zip ``root``'s files (sorted, fixed timestamps, 0644/0755) into ``output``; return its size.

    Written next to ``output`` first and renamed, so a failed build leaves no partial zip.
    """
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                info = zipfile.ZipInfo(path.relative_to(root).as_posix(), date_time=_ZIP_TIMESTAMP)
                executable = path.stat().st_mode & stat.S_IXUSR
                info.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(path, "rb") as source, archive.open(info, "w", force_zip64=True) as target:
                    shutil.copyfileobj(source, target, 1024 * 1024)
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return output.stat().st_size


def build_lambda_zip(
    output: Path,
    *,
    arch: str = "x86_64",
    python_version: str = DEFAULT_PYTHON,
    source: Path | None = None,
    limit: int = LAMBDA_UNZIPPED_LIMIT,
    log: Callable[[str], None] | None = None,
    extra_files: Mapping[str, Path] | None = None,
) -> BuildReport:
    """Build the deployment zip for a ``python<python_version>`` Lambda on ``arch``.

    Parameters
    ----------
    output
        Where to write the zip (parent directories are created).
    arch
        ``x86_64`` or ``arm64``, as the function's ``Architectures``.
    python_version
        The runtime's Python, ``3.12`` for ``python3.12``.
    source
        The facedetect source tree; default: the one this package was installed from.
    limit
        Largest unzipped size accepted, bytes (default Lambda's 250 MB).
    log
        Called with a line before each slow step.
    extra_files
        More files for the package: path inside the zip -> file to copy (e.g. a bundled model).

    Raises
    ------
    BuildError
        pip failed, no source tree, or the unzipped size is over ``limit`` (nothing written).
    """
    say = log or (lambda _line: None)
    if arch not in ARCHITECTURES:
        raise BuildError(f"Unknown architecture {arch!r}; Lambda has {', '.join(ARCHITECTURES)}.")
    if not re.fullmatch(r"3\.\d{1,2}", python_version):
        raise BuildError(f"Python version must look like 3.12, not {python_version!r}.")
    source = (source or find_source_root()).resolve()
    with tempfile.TemporaryDirectory(prefix="facedetect-lambda-") as tmp:
        wheel_dir, stage = Path(tmp) / "wheel", Path(tmp) / "stage"
        wheel_dir.mkdir()
        stage.mkdir()
        say(f"building the facedetect wheel from {source}")
        wheel = build_project_wheel(source, wheel_dir)
        extras = extra_requirements(source)
        say(f"installing {wheel.name} + {', '.join(extras) or 'no extras'} for python{python_version} {arch}")
        install_for_lambda(stage, [str(wheel), *extras], arch=arch, python_version=python_version)
        pruned = prune(stage)
        for inside, file in (extra_files or {}).items():
            (stage / inside).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, stage / inside)
        files, unzipped = tree_size(stage)
        largest = largest_entries(stage)
        if unzipped > limit:
            parts = ", ".join(f"{name} {size / _MIB:.1f} MiB" for name, size in largest)
            raise BuildError(f"The artifact would be {unzipped / _MIB:.1f} MiB unzipped, over the limit of "
                             f"{limit / _MIB:.1f} MiB; nothing written. Largest: {parts}.")
        say(f"writing {output}")
        zipped = write_zip(stage, output)
    return BuildReport(output=output, arch=arch, python_version=python_version, files=files,
                       zipped_bytes=zipped, unzipped_bytes=unzipped, largest=largest, pruned=pruned)


def describe(report: BuildReport) -> str:
    """A few lines for people: where, for what, the two sizes against the limits, the largest parts."""
    lines = [
        f"wrote {report.output} (python{report.python_version}, {report.arch}, {report.files} files)",
        f"  zipped:   {report.zipped_bytes / _MIB:7.1f} MiB ({report.zipped_bytes:,} bytes)",
        f"  unzipped: {report.unzipped_bytes / _MIB:7.1f} MiB ({report.unzipped_bytes:,} bytes; "
        f"Lambda's limit is {LAMBDA_UNZIPPED_LIMIT / _MIB:.0f} MiB)",
        "  largest:  " + ", ".join(f"{name} {size / _MIB:.1f} MiB" for name, size in report.largest),
        f"  left out: {', '.join(report.pruned.distributions) or 'nothing runtime-provided'}; tests, caches, "
        f"scripts ({report.pruned.files} files, {report.pruned.bytes / _MIB:.1f} MiB)",
    ]
    if report.zipped_bytes > DIRECT_UPLOAD_LIMIT:
        lines.append("  over 50 MiB zipped: deploy it through S3 (sam deploy does), not a direct upload")
    return "\n".join(lines)
