"""Helpers shared by lab's own tests (importable: tests/ is on sys.path under pytest)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

import pytest

from lab.kernel._privileges import in_user_namespace

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

    As in ``lab ARGS | head -1`` once head has its line (or ``| true``).
    """
    with subprocess.Popen(
        [sys.executable, "-m", "lab", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as lab:
        assert lab.stdout is not None
        assert lab.stderr is not None
        lab.stdout.close()
        error = lab.stderr.read()
    return lab.returncode, error


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The one ``lab: error: ...`` line a refused command printed (and nothing on stdout)."""
    __tracebackhide__ = True
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("lab: error: ")
    return lines[0]
