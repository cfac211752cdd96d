"""Leave out of the artifact what Lambda provides or never runs: boto3 and co., tests, caches, scripts."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from facedetect_deploy.wheels import RUNTIME_PROVIDED, canonical_name

#: Directory names removed wherever they occur inside installed packages.
CACHE_AND_TEST_DIRS = frozenset({"__pycache__", "tests"})
#: Packages of the project's own wheel that only build the artifact: the Lambda never imports them.
BUILD_ONLY_PACKAGES = ("facedetect_deploy",)
#: OpenCV's cascades of human faces: the artifact keeps these and leaves out the others (eyes,
#: bodies, smiles, cats, number plates: about 4 MiB of the 250 MiB Lambda allows), so
#: ``FACEDETECT_CASCADE`` can still name any face cascade OpenCV ships.
FACE_CASCADES = ("haarcascade_frontalface_", "haarcascade_profileface")
#: File suffixes removed everywhere: bytecode of the build machine's Python, type stubs.
REMOVED_SUFFIXES = (".pyc", ".pyo", ".pyi")


@dataclass(frozen=True, slots=True)
class Pruned:
    """What :func:`prune` removed: distributions, and the files and bytes altogether."""

    distributions: tuple[str, ...]
    files: int
    bytes: int


def _dist_name(dist_info: Path) -> str:
    """``botocore-1.34.0.dist-info`` -> ``botocore``."""
    return canonical_name(dist_info.name.removesuffix(".dist-info").rsplit("-", 1)[0])


def _remove_file(path: Path) -> int:
    size = path.stat().st_size
    path.unlink()
    return size


def _remove_tree(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file() and not p.is_symlink()]
    size = sum(p.stat().st_size for p in files)
    shutil.rmtree(path)
    return len(files), size


def _remove_distribution(root: Path, dist_info: Path) -> tuple[int, int]:
    """Delete every file the distribution's RECORD lists (never outside ``root``), then its empty dirs."""
    files = size = 0
    record = dist_info / "RECORD"
    listed = record.read_text(encoding="utf-8").splitlines() if record.is_file() else []
    parents: set[Path] = set()
    for line in listed:
        relative = line.split(",", 1)[0]
        path = (root / relative).resolve()
        if not relative or not path.is_relative_to(root.resolve()) or not path.is_file():
            continue
        size += _remove_file(path)
        files += 1
        parents.update(p for p in path.parents if p.is_relative_to(root.resolve()) and p != root.resolve())
    if dist_info.exists():
        more_files, more_size = _remove_tree(dist_info)
        files, size = files + more_files, size + more_size
    for parent in sorted(parents, key=lambda p: len(p.parts), reverse=True):
        if parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
    return files, size


def prune(root: Path) -> Pruned:
    """Remove, under ``root`` (a ``pip install --target`` directory), what the Lambda does not need.

    * the distributions in :data:`~facedetect_deploy.wheels.RUNTIME_PROVIDED` (by their RECORD);
    * the build tool itself (:data:`BUILD_ONLY_PACKAGES`) and ``bin/`` (console scripts);
    * OpenCV's cascades of anything but human faces (see :data:`FACE_CASCADES`);
    * ``__pycache__/`` and ``tests/`` directories, ``*.pyc`` and ``*.pyi`` files;
    * ``*.dist-info/direct_url.json`` (the temporary path the project's wheel was installed from).

    ``*.dist-info`` of what stays is kept: ``importlib.metadata`` needs it.
    """
    files = size = 0
    removed: list[str] = []
    for dist_info in sorted(root.glob("*.dist-info")):
        if _dist_name(dist_info) in RUNTIME_PROVIDED:
            removed.append(_dist_name(dist_info))
            more_files, more_size = _remove_distribution(root, dist_info)
            files, size = files + more_files, size + more_size
    for name in ("bin", *BUILD_ONLY_PACKAGES):
        if (root / name).is_dir():
            more_files, more_size = _remove_tree(root / name)
            files, size = files + more_files, size + more_size
    for cascade in sorted((root / "cv2" / "data").glob("haarcascade_*.xml")):
        if not cascade.name.startswith(FACE_CASCADES):
            size += _remove_file(cascade)
            files += 1
    for directory in sorted((p for p in root.rglob("*") if p.is_dir() and p.name in CACHE_AND_TEST_DIRS),
                            key=lambda p: len(p.parts)):
        if directory.exists():
            more_files, more_size = _remove_tree(directory)
            files, size = files + more_files, size + more_size
    for path in list(root.rglob("*")):
        # direct_url.json records the temporary wheel path: it would make every build differ.
        install_url = path.name == "direct_url.json" and path.parent.name.endswith(".dist-info")
        if (path.suffix in REMOVED_SUFFIXES or install_url) and path.is_file():
            size += _remove_file(path)
            files += 1
    return Pruned(distributions=tuple(removed), files=files, bytes=size)
