"""tox in-tree plugin: let tox find every pyenv-installed Python 3.11/3.12, not only the active one."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

from tox.plugin import impl


@impl
def tox_register_tox_env(register: object) -> None:  # called once at start-up, before any discovery
    pyenv = shutil.which("pyenv")
    if not pyenv or os.environ.get("PYENV_VERSION"):
        return
    listed = subprocess.run([pyenv, "versions", "--bare"], capture_output=True, text=True, check=False).stdout
    wanted = [v for v in listed.split() if re.fullmatch(r"3\.1[12]\.\d+", v)]
    if wanted:
        os.environ["PYENV_VERSION"] = ":".join(wanted)
