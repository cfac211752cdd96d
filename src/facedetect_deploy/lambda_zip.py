"""Build the Lambda deployment zip: the project's wheel and its manylinux dependencies, pruned.

The zip holds the packages at its root (Lambda puts ``/var/task`` on ``sys.path``) with
bytecode compiled for the runtime's Python (:mod:`facedetect_deploy.bytecode`), and is refused,
before anything is written, when its unzipped size exceeds Lambda's 250 MB limit.

It is byte-reproducible: the same source tree and the same resolved wheels give the same
sha256 (sorted entries, fixed timestamps, normalised permissions, ``RECORD`` files rewritten
to what the zip holds, deterministic unchecked-hash bytecode). pip resolves the newest
versions the requirements allow, so a build on a later day may pick newer wheels.

Steps, in order: install the wheels, :func:`~facedetect_deploy.prune.prune`, add the extra
files (``extra_files``: archive path -> local file, e.g. a model), compile, rewrite ``RECORD``
files, check the size, zip.

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
from pathlib import Path, PurePosixPath

from facedetect_deploy import BuildError
from facedetect_deploy.bytecode import Compiled, compile_tree, find_interpreter
from facedetect_deploy.prune import Pruned, prune
from facedetect_deploy.record import rewrite_records
from facedetect_deploy.wheels import (
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
    #: ``None`` when built without bytecode (``bytecode=False``).
    bytecode: Compiled | None = None


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


def check_extra_files(extra_files: Mapping[str, Path]) -> None:
    """Refuse, before any work, an archive path outside the zip or a local file that is missing."""
    for name, local in sorted(extra_files.items()):
        archive_path = PurePosixPath(name)
        if archive_path.is_absolute() or ".." in archive_path.parts or not archive_path.parts:
            raise BuildError(f"Extra file {name!r}: the archive path must be relative, inside the zip.")
        if not Path(local).is_file():
            raise BuildError(f"Extra file {name!r}: {local} is not a file.")


def add_extra_files(root: Path, extra_files: Mapping[str, Path]) -> None:
    """Copy each local file of ``extra_files`` (archive path -> file) into ``root`` at its archive path.

    Raises
    ------
    BuildError
        As :func:`check_extra_files`, or an archive path names a file the install already holds.
    """
    check_extra_files(extra_files)
    for name, local in sorted(extra_files.items()):
        target = root.joinpath(*PurePosixPath(name).parts)
        if target.exists():
            raise BuildError(f"Extra file {name!r} would replace a file of the installed packages.")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(local, target)


def resolve_bytecode_python(python_version: str, bytecode_python: str | None) -> str:
    """The interpreter that compiles the bytecode: ``bytecode_python``, else one found on this machine.

    Raises
    ------
    BuildError
        No Python ``python_version`` is available: say how to get one or to build without bytecode.
    """
    found = bytecode_python or find_interpreter(python_version)
    if found is None:
        raise BuildError(f"No Python {python_version} found to compile the bytecode the python{python_version} "
                         f"runtime loads (python{python_version} on PATH or a pyenv version). Install it, pass "
                         f"--bytecode-python PATH, or build with --no-bytecode (slower cold starts).")
    return found


def build_lambda_zip(
    output: Path,
    *,
    arch: str = "x86_64",
    python_version: str = DEFAULT_PYTHON,
    source: Path | None = None,
    limit: int = LAMBDA_UNZIPPED_LIMIT,
    bytecode: bool = True,
    bytecode_python: str | None = None,
    extra_files: Mapping[str, Path] | None = None,
    log: Callable[[str], None] | None = None,
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
    bytecode
        Ship ``__pycache__/*.cpython-XY.pyc`` compiled by Python ``python_version``.
    bytecode_python
        That interpreter; default: found on this machine (:func:`resolve_bytecode_python`).
    extra_files
        Archive path (``facedetect/detectors/models/x.onnx``) -> local file, added after pruning.
    log
        Called with a line before each slow step.

    Raises
    ------
    BuildError
        pip failed, no source tree, no Python ``python_version`` for the bytecode, a bad extra
        file, or the unzipped size is over ``limit`` (nothing written in any case).
    """
    say = log or (lambda _line: None)
    if arch not in ARCHITECTURES:
        raise BuildError(f"Unknown architecture {arch!r}; Lambda has {', '.join(ARCHITECTURES)}.")
    if not re.fullmatch(r"3\.\d{1,2}", python_version):
        raise BuildError(f"Python version must look like 3.12, not {python_version!r}.")
    source = (source or find_source_root()).resolve()
    check_extra_files(extra_files or {})
    interpreter = resolve_bytecode_python(python_version, bytecode_python) if bytecode else None
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
        add_extra_files(stage, extra_files or {})
        compiled = None
        if interpreter is not None:
            say(f"compiling bytecode with {interpreter}")
            compiled = compile_tree(stage, interpreter, python_version)
        rewrite_records(stage, extra=tuple(sorted(extra_files or {})))
        files, unzipped = tree_size(stage)
        largest = largest_entries(stage)
        if unzipped > limit:
            parts = ", ".join(f"{name} {size / _MIB:.1f} MiB" for name, size in largest)
            raise BuildError(f"The artifact would be {unzipped / _MIB:.1f} MiB unzipped, over the limit of "
                             f"{limit / _MIB:.1f} MiB; nothing written. Largest: {parts}.")
        say(f"writing {output}")
        zipped = write_zip(stage, output)
    return BuildReport(output=output, arch=arch, python_version=python_version, files=files,
                       zipped_bytes=zipped, unzipped_bytes=unzipped, largest=largest, pruned=pruned,
                       bytecode=compiled)


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
    if report.bytecode is None:
        lines.append("  bytecode: none (--no-bytecode): every cold start compiles the sources")
    else:
        compiled = report.bytecode
        lines.append(f"  bytecode: {compiled.files} .pyc (unchecked-hash) by {compiled.interpreter}"
                     + (f"; {len(compiled.failed)} sources do not compile, left as source" if compiled.failed
                        else ""))
    if report.zipped_bytes > DIRECT_UPLOAD_LIMIT:
        lines.append("  over 50 MiB zipped: deploy it through S3 (sam deploy does), not a direct upload")
    return "\n".join(lines)
