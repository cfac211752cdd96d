"""Compile every ``.py`` under a directory to unchecked-hash bytecode; run by the target Python.

Usage: ``pythonX.Y -I _compile_tree.py ROOT PREFIX``. Each ``ROOT/a/b.py`` gets
``ROOT/a/__pycache__/b.cpython-XY.pyc`` whose code objects name ``PREFIX/a/b.py`` (the
importing loader replaces that by the real path anyway). Prints ``{"compiled": N,
"failed": [relative paths]}``. Standard library only: it runs outside facedetect's environment.
Run with ``PYTHONHASHSEED=0``: set constants are marshalled in hash order.
"""

from __future__ import annotations

import importlib.util
import json
import os
import py_compile
import sys
from pathlib import Path


def main(root: Path, prefix: str) -> None:
    compiled, failed = 0, []
    for source in sorted(root.rglob("*.py")):
        if not source.is_file():
            continue
        relative = source.relative_to(root).as_posix()
        try:
            py_compile.compile(str(source), cfile=importlib.util.cache_from_source(str(source)),
                               dfile=f"{prefix}/{relative}", doraise=True,
                               invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        except (py_compile.PyCompileError, SyntaxError, ValueError):
            failed.append(relative)
        else:
            compiled += 1
    json.dump({"compiled": compiled, "failed": failed}, sys.stdout)


if __name__ == "__main__":
    if os.environ.get("PYTHONHASHSEED") != "0":
        sys.exit("run with PYTHONHASHSEED=0: bytecode would differ from build to build")
    main(Path(sys.argv[1]), sys.argv[2].rstrip("/"))
