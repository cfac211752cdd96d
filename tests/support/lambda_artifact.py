"""Shared by the artifact tests and their fixtures (a module of its own: ``conftest`` names collide)."""

from __future__ import annotations

import zipfile
from pathlib import Path

#: The boto3 of the newest runtime, and the 1.34 line (botocore 1.34.x) older python3.12 runtimes carry.
BOTO3_SPECS = ("boto3", "boto3<1.35")


def unzip(artifact: Path, task_root: Path) -> Path:
    """``artifact`` unzipped into the empty directory ``task_root``, as Lambda's /var/task."""
    task_root.mkdir(parents=True, exist_ok=True)
    assert not any(task_root.iterdir())
    with zipfile.ZipFile(artifact) as archive:
        archive.extractall(task_root)
    return task_root
