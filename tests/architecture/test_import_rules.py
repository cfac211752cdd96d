"""The import rules of docs/architecture.md hold: import-linter's contracts, and no circle at run time.

``lint-imports`` runs the same contracts in tox's ``lint`` env; they are checked here too so
that a plain ``pytest`` run catches a broken rule.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

CONFIG = Path(__file__).resolve().parents[2] / ".importlinter"


def circles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The groups of modules that import each other, directly or not (strongly connected, > 1 module)."""
    found: list[list[str]] = []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(module: str) -> None:  # Tarjan; the package has ~100 modules, recursion is fine
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_import_contracts_are_kept() -> None:
    # In a process of its own: import-linter's CLI changes process-wide state (logging, among others)
    # that later tests of the Lambda's log lines would inherit.
    done = subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
                           "sys.exit(lint_imports(config_filename=sys.argv[1], no_cache=True, no_logo=True))",
                           str(CONFIG)], capture_output=True, text=True, timeout=600, check=False)
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    assert "BROKEN" not in report and "0 broken" in report


def test_no_circle_among_any_imports() -> None:
    """Function-level imports count, and so do the imports under ``if TYPE_CHECKING:``."""
    graph = grimp.build_graph("facedetect", "facedetect_deploy", cache_dir=None)
    # build_aws_stores imports the S3 adapter inside the function: such imports are in the graph
    assert graph.direct_import_exists(importer="facedetect.composition", imported="facedetect.adapters.aws.s3")
    # and so are the type-only ones: the routes name the app they are registered on
    assert graph.direct_import_exists(importer="facedetect.entrypoints.rest.routes",
                                      imported="facedetect.entrypoints.rest.application")
    assert circles(graph) == []


def test_a_circle_through_a_function_level_import_is_found() -> None:
    graph = grimp.ImportGraph()
    graph.add_import(importer="pkg.a", imported="pkg.b", line_number=1, line_contents="from pkg import b")
    graph.add_import(importer="pkg.b", imported="pkg.c", line_number=1, line_contents="from pkg import c")
    graph.add_import(importer="pkg.c", imported="pkg.a", line_number=9, line_contents="    from pkg import a")
    graph.add_import(importer="pkg.c", imported="pkg.d", line_number=2, line_contents="from pkg import d")
    assert circles(graph) == [["pkg.a", "pkg.b", "pkg.c"]]
