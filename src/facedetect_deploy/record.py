"""Keep each distribution's ``RECORD`` true to the files the artifact holds.

Pruning removes files that ``RECORD`` lists (``direct_url.json``, tests, console scripts) and
compiling adds ``.pyc`` files it does not list. :func:`rewrite_records` drops the entries of
files that are gone and adds the bytecode of every listed source, and any extra file (a model
added to ``facedetect/``) to the distribution that owns its top-level directory, with hash and
size, so
``pip``/``importlib.metadata`` see a consistent installation and the file does not depend on
where or when the build ran.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.util
import io
from pathlib import Path


def record_hash(path: Path) -> str:
    """``sha256=<urlsafe base64, unpadded>``, the hash form of wheel ``RECORD`` files."""
    digest = hashlib.sha256(path.read_bytes()).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _bytecode_of(root: Path, relative: str) -> list[str]:
    """The ``__pycache__`` files under ``root`` compiled from the source ``relative`` (any tag)."""
    if not relative.endswith(".py"):
        return []
    cached = Path(importlib.util.cache_from_source(relative))
    stem = cached.name.split(".", 1)[0]
    folder = root / cached.parent
    if not folder.is_dir():
        return []
    return sorted(p.relative_to(root).as_posix() for p in folder.glob(f"{stem}.*.pyc"))


def _entry(root: Path, relative: str) -> list[str]:
    return [relative, record_hash(root / relative), str((root / relative).stat().st_size)]


def _owner(rows: list[list[str]], relative: str) -> bool:
    """Whether a distribution listing ``rows`` owns the top-level directory of ``relative``."""
    top = relative.split("/", 1)[0] + "/"
    return "/" in relative and any(row and row[0].startswith(top) for row in rows)


def rewrite_record(root: Path, dist_info: Path, extra: tuple[str, ...] = ()) -> tuple[int, int]:
    """Rewrite ``dist_info/RECORD``: drop entries of missing files, list each source's bytecode.

    ``extra`` files (relative to ``root``) whose top-level directory this distribution owns
    are listed too. Returns the numbers of entries dropped and added.
    """
    record = dist_info / "RECORD"
    own = record.relative_to(root).as_posix()
    rows = list(csv.reader(io.StringIO(record.read_text(encoding="utf-8"))))
    kept: list[list[str]] = []
    listed = {row[0] for row in rows if row}
    dropped = added = 0
    for row in rows:
        if not row or row[0] == own:
            continue
        if not (root / row[0]).is_file() or (root / row[0]).is_symlink():
            dropped += 1
            continue
        kept.append(row)
        for pyc in _bytecode_of(root, row[0]):
            if pyc not in listed:
                kept.append(_entry(root, pyc))
                listed.add(pyc)
                added += 1
    for relative in extra:
        if relative not in listed and (root / relative).is_file() and _owner(rows, relative):
            kept.append(_entry(root, relative))
            listed.add(relative)
            added += 1
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows([*kept, [own, "", ""]])
    record.write_text(out.getvalue(), encoding="utf-8")
    return dropped, added


def rewrite_records(root: Path, extra: tuple[str, ...] = ()) -> tuple[int, int]:
    """:func:`rewrite_record` for every ``*.dist-info`` directly under ``root``; totals dropped and added."""
    dropped = added = 0
    for dist_info in sorted(root.glob("*.dist-info")):
        if (dist_info / "RECORD").is_file():
            more_dropped, more_added = rewrite_record(root, dist_info, extra)
            dropped, added = dropped + more_dropped, added + more_added
    return dropped, added
