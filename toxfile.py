"""tox in-tree plugin: let tox find every pyenv-installed Python 3.11/3.12, not only the active one.

``python3 -m tox`` may run through the pyenv shim, which sets ``PYENV_VERSION`` to the one active
version for the process it starts; a plain ``python3`` leaves it unset. Either way, the shims for
``python3.12`` (or ``python3.11``) then fail. So every installed 3.11/3.12 is made visible twice:
its ``bin`` directory goes on ``PATH`` (discovery finds the real interpreter, no shim involved) and
its version is added to ``PYENV_VERSION`` (a shim earlier on ``PATH`` resolves too).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from tox.plugin import impl

_WANTED = re.compile(r"3\.1[12]\.\d+")


def _pyenv_root() -> Path | None:
    if os.environ.get("PYENV_ROOT"):
        return Path(os.environ["PYENV_ROOT"])
    pyenv = shutil.which("pyenv")
    if pyenv:
        found = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False).stdout.strip()
        if found:
            return Path(found)
    default = Path.home() / ".pyenv"
    return default if default.is_dir() else None


@impl
def tox_register_tox_env(register: object) -> None:  # called once at start-up, before any discovery
    root = _pyenv_root()
    if root is None or not (root / "versions").is_dir():
        return
    versions = sorted(p.name for p in (root / "versions").iterdir() if _WANTED.fullmatch(p.name))
    if not versions:
        return
    active = [v for v in os.environ.get("PYENV_VERSION", "").split(":") if v]
    os.environ["PYENV_VERSION"] = ":".join(dict.fromkeys(active + versions))
    path = os.environ.get("PATH", "").split(os.pathsep)
    extra = [str(root / "versions" / v / "bin") for v in versions]
    os.environ["PATH"] = os.pathsep.join(path + [d for d in extra if d not in path])
