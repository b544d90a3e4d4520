"""Packaging: the package list, and what the sdist and a wheel built from it carry.

The topologies stay in the repository's top-level topologies/ and ship as the
package data ``lab._topologies``; the TCP tables ship as ``lab/tcp/tables.yaml``.
tests/kernel/test_installed.py builds a wheel from the tree, installs it and uses it.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

from support import (
    REPO,
    SHIPPED_TOPOLOGIES,
    copy_of_the_source,
    expected_wheel_files,
    wheel_files,
)


def test_pyproject_lists_every_package_and_maps_the_topologies() -> None:
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {
        ".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "lab").rglob("__init__.py")
    }
    assert sorted(setuptools["packages"]) == sorted({*found, "lab._topologies"})
    assert setuptools["package-dir"] == {"lab._topologies": "topologies"}


def test_the_sdist_and_the_wheel_built_from_it_carry_the_topologies_and_tables(
    tmp_path: Path,
) -> None:
    source = copy_of_the_source(tmp_path / "source")
    dist = tmp_path / "dist"
    # python -m build makes the sdist, then the wheel from the unpacked sdist; with this
    # environment's setuptools (the test extra has it), not a new isolated one for each.
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [sdist] = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.partition("/")[2] for name in archive.getnames()}
    assert {"pyproject.toml", "LICENSE", "lab/tcp/tables.yaml", "topologies/__init__.py"} <= names
    assert {f"topologies/{name}" for name in SHIPPED_TOPOLOGIES} <= names
    [wheel] = dist.glob("*.whl")
    assert wheel_files(wheel) == expected_wheel_files()
    with zipfile.ZipFile(wheel) as archive:
        licenses = [n for n in archive.namelist() if n.endswith("/licenses/LICENSE")]
    assert licenses, "the wheel carries no LICENSE"
