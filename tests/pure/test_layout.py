"""The suite's layout: the folder decides the `kernel` marker; modules share only helpers."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from support import REPO

TESTS = REPO / "tests"


def test_not_kernel_selects_exactly_the_pure_folder() -> None:
    pytest = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]
    done = subprocess.run(
        [*pytest, "--collect-only", "-q", "-m", "not kernel"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    selected = {line.split("::")[0] for line in done.stdout.splitlines() if "::" in line}
    # Only pure modules, and each of them (a pure test marked kernel fails in conftest.py).
    assert selected == {str(p.relative_to(REPO)) for p in (TESTS / "pure").glob("test_*.py")}


def imported_modules(module: Path) -> set[str]:
    """The top-level names of the modules that `module` imports."""
    names = set()
    for node in ast.walk(ast.parse(module.read_text(), filename=str(module))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
    return names


def test_no_test_module_imports_another() -> None:
    for module in TESTS.rglob("test_*.py"):
        assert {n for n in imported_modules(module) if n.startswith("test_")} == set(), module
