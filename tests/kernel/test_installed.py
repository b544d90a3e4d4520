"""The wheel, installed on its own, in a user's project far from this repository.

Built with ``pip wheel --no-deps`` from a copy of the source, installed with
nothing but ``pip install WHEEL`` (its dependencies come from the index, or
pip's cache) into a new virtualenv in an empty directory, and used there the
way the README says: the README's pytest examples, a topology of the
project's own, `tcp_scenario`, a stepped test that fails and keeps its pcap,
all under ``pytest -n 2``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from support import REPO, copy_of_the_source, expected_wheel_files, real_root, wheel_files

# An environment without this repository's virtualenv or paths in it.
_CLEAN_ENV = {
    k: v
    for k, v in os.environ.items()
    if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTEST_ADDOPTS", "LAB_TOPOLOGIES"}
    and not k.startswith(("PYTEST_XDIST", "PYTEST_CURRENT"))
}

OWN_TOPOLOGY = """\
name: office
description: The project's own topology, a browser and a web server.
hosts:
  browser: {}
  web: {}
links:
  - endpoints:
      - {host: browser, addresses: [203.0.113.10/24]}
      - {host: web, addresses: [203.0.113.80/24]}
"""

PROJECT_TESTS = """\
import pytest


@pytest.mark.topology("office")  # topologies/office.yaml, next to the rootdir
def test_own_topology(lab):
    with lab["web"].listen(80, "203.0.113.80") as listener:
        lab["browser"].connect("203.0.113.80", 80).close()
        listener.accept()[0].close()


def test_open_state_by_state(tcp_scenario):
    check = tcp_scenario("open", "IPv6")
    check.assert_documented()
    assert check.verdict.steps[1].observed_states["server"] == "SYN-RECEIVED"


def test_deliberately_wrong(tcp_scenario):
    check = tcp_scenario("close")
    assert check.verdict.steps[0].observed_states["client"] == "SYN-SENT", "deliberately wrong"
"""


def run(argv: Sequence[str | Path], cwd: Path, timeout: float = 300) -> str:
    """Run a command, fail with its output if it fails, and return its stdout."""
    __tracebackhide__ = True
    done = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=_CLEAN_ENV,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    assert done.returncode == 0, f"{argv} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout


@pytest.mark.skipif(
    not real_root(),
    reason="pip installs the wheel's dependencies from the index, and without root pytest runs "
    "in a user namespace with a network namespace of its own, which has no network; "
    "run as root (sudo make test)",
)
def test_a_user_project_uses_the_installed_wheel_with_xdist(tmp_path: Path) -> None:
    # The wheel, from a copy of the source (a build writes build/ beside the source), with
    # this environment's setuptools (the test extra has it): no isolated one to install.
    source = copy_of_the_source(tmp_path / "source")
    wheel_args: list[str | Path] = [
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "-q",
        "-w",
        "dist",
        source,
    ]
    run([sys.executable, "-m", "pip", *wheel_args], tmp_path)
    [wheel] = (tmp_path / "dist").glob("netns_lab-*.whl")
    assert wheel_files(wheel) == expected_wheel_files()

    # A new virtualenv in an empty directory; pip from this one installs into it.
    project = tmp_path / "project"
    project.mkdir()
    venv = project / ".venv"
    python = venv / "bin" / "python"
    run([Path(sys.base_prefix) / "bin" / "python3", "-m", "venv", "--without-pip", venv], project)
    run(
        [sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-compile", wheel],
        project,
    )
    where = Path(run([python, "-c", "import lab; print(lab.__file__)"], project).strip())
    assert where.is_relative_to(venv), where  # the wheel's lab, not this repository's
    assert where.parts[-3:] == ("site-packages", "lab", "__init__.py")

    # The project: the README's pytest examples, its own topology, its own tests.
    tests = project / "tests"
    tests.mkdir()
    for example in ("test_pytest_example.py", "test_handshake_example.py"):
        (tests / example).write_text((REPO / "tests" / "examples" / example).read_text())
    (tests / "test_project.py").write_text(PROJECT_TESTS)
    (project / "topologies").mkdir()
    (project / "topologies" / "office.yaml").write_text(OWN_TOPOLOGY)
    (project / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')

    done = subprocess.run(
        [venv / "bin" / "pytest", "-n", "2", "-p", "no:cacheprovider"],
        cwd=project,
        env=_CLEAN_ENV,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert re.search(r"^=+ 1 failed, 6 passed in ", output, flags=re.MULTILINE), output
    assert "FAILED tests/test_project.py::test_deliberately_wrong - AssertionError" in output
    assert "AssertionError: deliberately wrong" in output
    # The failed stepped test keeps its pcap, named in its report and at the end of the run.
    [(section, listed)] = re.findall(
        r"^-+ lab pcaps -+\n(/\S+\.pcap)\n.*^=+ lab: pcaps of failed tests =+\n"
        r"tests/test_project.py::test_deliberately_wrong: (/\S+\.pcap)\n",
        output,
        flags=re.MULTILINE | re.DOTALL,
    )
    assert section == listed
    assert Path(section).name == "test_deliberately_wrong-close-IPv4.pcap"
    assert Path(section).stat().st_size > 24  # frames after the pcap header

    # The CLI of the installed package lists the project's topology and the shipped ones.
    listed = run([venv / "bin" / "lab", "show"], project)
    for name in ("office", "two-hosts", "routed", "lan", "dual-stack"):
        assert re.search(rf"^\s*{name}\b", listed, flags=re.MULTILINE), listed
