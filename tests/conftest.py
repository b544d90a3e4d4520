"""Shared fixtures of lab's own test suite (the plugin's fixtures come from lab.pytest_plugin)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lab import take_snapshot
from lab.kernel._privileges import in_user_namespace

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parents[1]


def real_root() -> bool:
    return os.geteuid() == 0 and not in_user_namespace()


@pytest.fixture(scope="session", autouse=True)
def machine_unchanged() -> Iterator[None]:
    """The machine's own network namespace is the same after the session as before it."""
    if not real_root():
        yield  # inside a user namespace the machine's namespace is out of reach anyway
        return
    before = take_snapshot()
    yield
    changes = before.diff(take_snapshot())
    assert not changes, "the session changed the machine's own namespace:\n" + "\n".join(changes)


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


@pytest.fixture
def no_leaks() -> Iterator[None]:
    """Fail the test if it leaves descriptors, threads or child processes behind."""
    before = Resources.now()
    yield
    leaks = Resources.now().leaked_since(before)
    assert not leaks, "left behind: " + ", ".join(leaks)
