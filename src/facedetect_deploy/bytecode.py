"""Bytecode for the Lambda runtime's Python, compiled once at build time instead of at every cold start.

``/var/task`` is read-only, so without ``__pycache__`` in the zip every cold start compiles
facedetect and its dependencies from source again. The ``.pyc`` files must come from the
runtime's own minor version (their magic number says which), so they are compiled by that
interpreter (found with :func:`find_interpreter`) in a subprocess running
:mod:`facedetect_deploy._compile_tree` (standard library only).

They are ``unchecked-hash`` pycs (PEP 552): valid whatever the files' modification times
(the zip fixes them all to 1980), never checked against the source, and byte-for-byte the same
on every build (``PYTHONHASHSEED=0`` fixes the order of set constants; the file names baked in
are ``/var/task/...``, not the build's temporary directory).
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from facedetect_deploy import BuildError

#: Where Lambda unpacks the zip; the file name recorded in each code object (tracebacks show it).
TASK_ROOT = "/var/task"
_COMPILER = Path(__file__).with_name("_compile_tree.py")


@dataclass(frozen=True, slots=True)
class Compiled:
    """What :func:`compile_tree` did: the interpreter used, ``.pyc`` files written, sources it could not compile."""

    interpreter: str
    files: int
    failed: tuple[str, ...]


def interpreter_version(candidate: str) -> str | None:
    """``"3.12"`` for a working Python 3.12 at ``candidate``; ``None`` when it does not run."""
    try:
        done = subprocess.run([candidate, "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                              capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def find_interpreter(python_version: str) -> str | None:
    """A CPython ``python_version`` on this machine: this one, ``pythonX.Y`` on PATH, or a pyenv version."""
    candidates: list[str | None] = []
    if f"{sys.version_info[0]}.{sys.version_info[1]}" == python_version:
        candidates.append(sys.executable)
    candidates.append(shutil.which(f"python{python_version}"))
    for root in (os.environ.get("PYENV_ROOT"), str(Path.home() / ".pyenv")):
        if root:
            candidates += sorted(glob.glob(f"{root}/versions/{python_version}.*/bin/python{python_version}"),
                                 reverse=True)
    for candidate in dict.fromkeys(c for c in candidates if c):
        if interpreter_version(candidate) == python_version:
            return candidate
    return None


def compile_tree(root: Path, interpreter: str, python_version: str) -> Compiled:
    """Write ``__pycache__/*.cpython-XY.pyc`` (unchecked-hash) beside every ``.py`` under ``root``.

    Sources that do not compile under that Python (a few packages ship Python 2 examples or
    templates named ``.py``) are left without bytecode and listed in :attr:`Compiled.failed`.

    Raises
    ------
    BuildError
        ``interpreter`` is not Python ``python_version``, or the compiler itself failed.
    """
    found = interpreter_version(interpreter)
    if found != python_version:
        raise BuildError(f"{interpreter} is Python {found or '(not runnable)'}, not {python_version}: bytecode "
                         f"must be compiled by the runtime's Python.")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONHASHSEED": "0", "LC_ALL": "C.UTF-8"}
    done = subprocess.run([interpreter, "-I", str(_COMPILER), str(root), TASK_ROOT], capture_output=True,
                          text=True, env=env, timeout=1800, check=False)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-10:])
        raise BuildError(f"compiling bytecode with {interpreter} failed (exit {done.returncode}):\n{tail}")
    result = json.loads(done.stdout)
    return Compiled(interpreter=interpreter, files=int(result["compiled"]), failed=tuple(result["failed"]))
