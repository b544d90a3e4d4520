"""Shared fixtures of lab's own test suite (the plugin's fixtures come from lab.pytest_plugin)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support import Resources, leaks_since, real_root

from lab.kernel._snapshot import take_snapshot

pytest_plugins = ["pytester"]


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


@pytest.fixture
def no_leaks() -> Iterator[None]:
    """Fail the test if it leaves descriptors, threads or child processes behind."""
    before = Resources.now()
    yield
    leaks = leaks_since(before)
    assert not leaks, "left behind: " + ", ".join(leaks)
