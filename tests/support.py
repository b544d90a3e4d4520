"""Helpers shared by lab's own tests (importable: tests/ is on sys.path under pytest)."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

import pytest

from lab.kernel._privileges import in_user_namespace
from lab.tcp import load_spec

REPO = Path(__file__).resolve().parents[1]


IPV4_DOCUMENTATION = (
    IPv4Network("192.0.2.0/24"),
    IPv4Network("198.51.100.0/24"),
    IPv4Network("203.0.113.0/24"),
)
IPV6_DOCUMENTATION = (IPv6Network("2001:db8::/32"),)


def in_documentation_ranges(address: object) -> bool:
    """Whether an address, interface or network lies in a documentation range (RFC 5737, 3849)."""
    network = ip_network(str(address), strict=False)
    if isinstance(network, IPv4Network):
        return any(network.subnet_of(r) for r in IPV4_DOCUMENTATION)
    return any(network.subnet_of(r) for r in IPV6_DOCUMENTATION)


def real_root() -> bool:
    """Root of the machine itself, not root mapped inside a user namespace."""
    return os.geteuid() == 0 and not in_user_namespace()


@dataclass(frozen=True)
class Resources:
    """What this process holds: descriptors, threads, live child processes."""

    fds: frozenset[str]
    threads: int
    children: frozenset[int]

    @classmethod
    def now(cls) -> Resources:
        children = Path(f"/proc/self/task/{os.getpid()}/children").read_text().split()
        return cls(
            fds=frozenset(os.listdir("/proc/self/fd")),
            threads=len(os.listdir("/proc/self/task")),
            children=frozenset(int(c) for c in children),
        )

    def leaked_since(self, before: Resources) -> list[str]:
        leaks = [f"fd {fd} -> {_target(fd)}" for fd in sorted(self.fds - before.fds)]
        if self.threads > before.threads:
            leaks.append(f"{self.threads - before.threads} more threads")
        leaks += [f"child process {pid}" for pid in sorted(self.children - before.children)]
        return leaks


def _target(fd: str) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return "?"


def leaks_since(before: Resources, settle: float = 1.0) -> list[str]:
    """What was left since `before`, allowing `settle` s for exiting threads to vanish.

    A joined thread's kernel task can outlive Python's join() by a moment.
    """
    deadline = time.monotonic() + settle
    while (leaks := Resources.now().leaked_since(before)) and time.monotonic() < deadline:
        time.sleep(0.01)
    return leaks


def lab_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m lab ARGS`` (with `env` added to ours) and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "lab", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
        timeout=60,
    )


def lab_cli_into_a_closed_pipe(*args: str) -> tuple[int, str]:
    """Run ``python -m lab ARGS`` with its standard output's reader gone; (status, stderr).

    As in ``lab ARGS | head -1`` once head has its line (or ``| true``). The
    reading end is closed before lab starts, so its first write meets a closed
    pipe however fast it writes (a busy machine cannot reorder the two).
    """
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "lab", *args],
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    finally:
        os.close(writer)
    return done.returncode, done.stderr


def lab_cli_on_a_terminal(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run ``python -m lab ARGS`` with standard output and error on one terminal (a pty).

    Returns the exit status and everything the terminal received, escapes included.
    """
    main, side = pty.openpty()
    terminal = {"TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    with subprocess.Popen(
        [sys.executable, "-m", "lab", *args],
        stdin=subprocess.DEVNULL,
        stdout=side,
        stderr=side,
        env={**os.environ, **terminal, **(env or {})},
    ) as lab:
        os.close(side)
        received = b""
        while True:
            try:
                chunk = os.read(main, 1 << 16)
            except OSError:  # EIO: the last process holding the terminal is gone
                break
            if not chunk:
                break
            received += chunk
        os.close(main)
    return lab.returncode, received.decode(errors="replace")


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The one ``lab: error: ...`` line a refused command printed (and nothing on stdout)."""
    __tracebackhide__ = True
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("lab: error: ")
    return lines[0]


HALF_CLOSE = """
  half-close:
    title: The client closes, the server never does; FIN-WAIT-2 ends by the client's timer
    sysctls: {net.ipv4.tcp_fin_timeout: 1}
    setup: [server listens, client connects, server accepts]
    script:
      - client closes
      - segment: client -> server FIN
        states: {client: FIN-WAIT-1}
      - segment: server -> client ACK
        states: {server: CLOSE-WAIT, client: FIN-WAIT-2}
    timers:
      - {role: client, state: FIN-WAIT-2, then: CLOSED}
"""
"""A scenario whose timer fires in 1 s (an orphaned FIN-WAIT-2), for --wait-timers without
waiting out TIME-WAIT's minute."""


def spec_with_half_close(folder: Path) -> Path:
    """The packaged tables plus `HALF_CLOSE`, written into `folder`; returns the file."""
    path = folder / "half-close.yaml"
    path.write_text(Path(load_spec().source).read_text() + HALF_CLOSE)
    return path


# What a fresh clone has: everything but virtualenvs, caches and build output.
_NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "__pycache__",
    ".*cache",  # .mypy_cache, .ruff_cache, .pytest_cache (not lab/vm/_cache.py)
    ".hypothesis",
    "build",
    "dist",
    "*.egg-info",
    "results",
)
SHIPPED_TOPOLOGIES = sorted(p.name for p in (REPO / "topologies").glob("*.yaml"))


def copy_of_the_source(destination: Path) -> Path:
    """The repository's source files copied to `destination`, for builds that write beside them.

    setuptools writes build/ and *.egg-info into the tree it builds: two builds of one
    tree at once (pytest-xdist) would trip over each other.
    """
    shutil.copytree(REPO, destination, ignore=_NOT_SOURCE)
    return destination


def wheel_files(wheel: Path) -> set[str]:
    """The files of the package in `wheel` (its dist-info left out)."""
    with zipfile.ZipFile(wheel) as archive:
        return {n for n in archive.namelist() if not n.split("/")[0].endswith(".dist-info")}


def expected_wheel_files() -> set[str]:
    """What the wheel must hold: lab's modules, py.typed, the tables and every topology."""
    modules = {str(p.relative_to(REPO)) for p in (REPO / "lab").rglob("*.py")}
    data = {"lab/py.typed", "lab/tcp/tables.yaml", "lab/_topologies/__init__.py"}
    return modules | data | {f"lab/_topologies/{name}" for name in SHIPPED_TOPOLOGIES}
