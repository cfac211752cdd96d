"""The files a command reads: files named on the command line, and the image files found in folders."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

#: Extensions tried inside folders: the formats facedetect reads, their usual aliases, and other image
#: formats (tried, so that an unsupported one is reported rather than silently ignored).
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".bmp", ".dib", ".tif", ".tiff",
                              ".gif", ".heic", ".heif", ".avif"})


@dataclass(frozen=True)
class Input:
    path: Path
    root: Path  # the directory it was found under, or its own parent for a file given directly


@dataclass
class Skipped:
    """Files of a folder that were not tried: not images by their extension, or not regular files."""

    not_images: list[Path] = field(default_factory=list)
    not_regular: list[Path] = field(default_factory=list)

    def summary(self) -> str | None:
        parts = []
        if self.not_images:
            parts.append(f"{len(self.not_images)} file(s) not named as images ({_names(self.not_images)})")
        if self.not_regular:
            parts.append(f"{len(self.not_regular)} pipe(s), socket(s) or device(s) ({_names(self.not_regular)})")
        return f"facedetect: skipped {'; '.join(parts)}" if parts else None


def _names(paths: list[Path], shown: int = 5) -> str:
    names = ", ".join(str(p) for p in paths[:shown])
    return names + (f", and {len(paths) - shown} more" if len(paths) > shown else "")


def collect(paths: list[str]) -> list[Input]:
    """The image files ``paths`` name (see :func:`expand`); what was skipped is summed up on stderr."""
    skipped = Skipped()
    inputs = list(expand(paths, skipped))
    if (summary := skipped.summary()) is not None:
        print(summary, file=sys.stderr)
    return inputs


def expand(paths: list[str], skipped: Skipped) -> Iterator[Input]:
    """The files to try: every path given, and the image files found in the folders given.

    A file named on the command line is always tried (whatever its name); inside folders only
    regular files named as images are, so a stray README or a named pipe (which would block a
    read forever) does not count as a failed image.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if name.startswith("."):
                        continue
                    found = Path(dirpath) / name
                    if not _is_regular_file(found):
                        skipped.not_regular.append(found)
                    elif found.suffix.lower() not in IMAGE_EXTENSIONS:
                        skipped.not_images.append(found)
                    else:
                        yield Input(found, path)
        else:
            yield Input(path, path.parent)


def _is_regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)  # follows symbolic links, as reading does
    except OSError:
        return True  # a dangling link and the like: tried, and reported as unreadable
