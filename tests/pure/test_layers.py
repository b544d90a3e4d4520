"""lab's layers, checked by import-linter (`lint-imports`) with the contracts in pyproject.toml.

Edges (CLI, plugin, `lab check`) over stepping over kernel over pure code: a
module imports only from its own layer or those below it, and pure code
needs no kernel library. The tests of the test break a copy of the package
and see lint-imports name each broken rule under its contract.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
LAYERS = "Edges over stepping over kernel over pure code"
NO_KERNEL_LIBRARY = "Pure code needs no kernel library"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports on the package under `root`, with `root`/pyproject.toml's contracts."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=root,  # lint-imports analyses the package it imports from here
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_lab_keeps_its_layers() -> None:
    done = lint_imports(REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{LAYERS} KEPT" in done.stdout
    assert f"{NO_KERNEL_LIBRARY} KEPT" in done.stdout


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the package and its pyproject.toml, to break."""
    shutil.copytree(REPO / "lab", tmp_path / "lab", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    return tmp_path


def add_import(module: Path, statement: str) -> None:
    text = module.read_text()
    future = "from __future__ import annotations\n"
    assert future in text, module
    module.write_text(text.replace(future, f"{future}\n{statement}\n", 1))


def broken_contracts(stdout: str) -> dict[str, str]:
    """lint-imports' report on each broken contract, by the contract's name."""
    _, _, broken = stdout.partition("Broken contracts\n----------------\n")
    parts = re.split(r"^(.+)\n-{3,}$", broken, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_a_pure_module_importing_kernel_code_breaks_the_layers(copy: Path) -> None:
    add_import(copy / "lab" / "tcp" / "_names.py", "import lab.kernel")
    done = lint_imports(copy)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "- lab.tcp._names -> lab.kernel (l." in broken_contracts(done.stdout)[LAYERS]


def test_every_import_across_the_layers_is_named_under_its_contract(copy: Path) -> None:
    breaks = [  # (module, what it now imports, the contract that forbids it)
        ("_errors.py", "lab._check", LAYERS),  # pure code, an edge
        ("topology/_names.py", "lab.stepping", LAYERS),
        ("kernel/_sysctl.py", "lab.stepping", LAYERS),
        ("kernel/_sysctl.py", "lab.pytest_plugin", LAYERS),
        ("stepping/_segment.py", "lab.cli", LAYERS),
        ("tcp/_spec.py", "pyroute2", NO_KERNEL_LIBRARY),
    ]
    for module, imported, _ in breaks:
        add_import(copy / "lab" / module, f"import {imported}")
    (copy / "lab" / "_scratch.py").write_text('"""A module in no layer."""\n')
    done = lint_imports(copy)
    assert done.returncode == 1, done.stdout + done.stderr
    reports = broken_contracts(done.stdout)
    for module, imported, contract in breaks:
        importer = "lab." + module.removesuffix(".py").replace("/", ".")
        assert f"{importer} -> {imported} (l." in reports[contract], (module, imported)
    assert "The following modules are not listed as layers:\n\n- lab._scratch" in reports[LAYERS]
