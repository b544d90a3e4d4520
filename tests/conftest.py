"""lab's own test suite: tests by layer, and the fixtures they share.

    tests/pure/      no privileges, no namespaces: `pytest -m "not kernel"` runs exactly these
    tests/kernel/    labs, sockets and stepping in network namespaces: marked `kernel` here
    tests/examples/  the README's examples (kernel tests too), word for word

Tests that download from Debian's archive (a kernel for lab.vm) are also
marked `network`: ``-m "not network"`` leaves them out, and they skip, with the
reason, where deb.debian.org cannot be reached.

Tests that boot another kernel under qemu are marked `vm`. One of them, the
smoke test (``vm(smoke=True)``: `lab check --kernels host,6.1` on one
scenario), runs in every session; the others cost a boot each (seconds to a
minute under emulation) and run with ``--vm`` (`make test-vm`), else they are
skipped saying so.

The folder decides the marker, so a test cannot be filed under the wrong one:
a test under pure/ that needs the kernel (a `lab` fixture, an explicit
``kernel`` marker) fails, as does a test module outside the three folders.
The plugin's fixtures come from lab.pytest_plugin.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support import Resources, leaks_since, real_root

from lab.kernel._snapshot import take_snapshot

pytest_plugins = ["pytester"]

TESTS = Path(__file__).resolve().parent
PURE = TESTS / "pure"
KERNEL = (TESTS / "kernel", TESTS / "examples")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--vm",
        action="store_true",
        help="also run the tests that boot other kernels under qemu, not only the smoke test",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "network: the test downloads from deb.debian.org (a kernel, ~70 MB)"
    )
    config.addinivalue_line(
        "markers",
        "vm(smoke=False): the test boots another kernel under qemu; only smoke ones run "
        "without --vm",
    )


LAB_FIXTURES = {"lab", "lab_factory"}  # the plugin marks the tests using these `kernel`
_misfiled = pytest.StashKey[str]()


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under kernel/ and examples/ `kernel`; note the misfiled ones."""
    for item in items:
        path = item.path.resolve()
        if any(path.is_relative_to(folder) for folder in KERNEL):
            item.add_marker(pytest.mark.kernel)
        elif not path.is_relative_to(PURE):
            item.stash[_misfiled] = "tests live under tests/pure/ or tests/kernel/"
        elif item.get_closest_marker("kernel") or LAB_FIXTURES & set(
            getattr(item, "fixturenames", ())
        ):
            item.stash[_misfiled] = "this test needs the kernel; move it to tests/kernel/"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Fail a misfiled test (an error at collection would be lost in pytest-xdist's workers);
    skip a `vm` test that is not a smoke test, unless --vm."""
    if _misfiled in item.stash:
        pytest.fail(item.stash[_misfiled], pytrace=False)
    vm = item.get_closest_marker("vm")
    if vm and not vm.kwargs.get("smoke") and not item.config.getoption("--vm"):
        pytest.skip("boots a kernel under qemu: opt in with --vm (make test-vm)")


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
