"""The pytest plugin (entry point ``pytest11: lab``): fixtures over `lab.Lab`.

Fixtures
    lab_topology  function  the `Topology` for `lab`: the ``topology`` marker, else
                            ``--lab-topology``, else ``two-hosts``.
    lab           function  a started `Lab` of `lab_topology`, torn down after the test.
                            Building two-hosts takes about 5 ms, so every test gets a fresh one.
    lab_factory   function  ``lab_factory(topology) -> Lab``: several labs in one test, all
                            torn down after it.

Markers
    topology(NAME_OR_PATH)  which topology `lab` builds.
    kernel                  the test needs network namespaces (the fixtures imply it).

Without root, the plugin moves pytest into a user namespace when it configures
(before any thread exists), where labs work. When that is impossible too,
kernel tests are skipped with the reason and the fix; pure tests still run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lab._errors import PrivilegeError, TopologyError
from lab.kernel._lab import Lab
from lab.kernel._privileges import ensure_privileges
from lab.topology import Topology, load

DEFAULT_TOPOLOGY = "two-hosts"
_privilege_failure = pytest.StashKey[str | None]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lab", "network-namespace labs")
    group.addoption(
        "--lab-topology",
        metavar="NAME_OR_PATH",
        default=None,
        help=f"topology the `lab` fixture builds when a test has no topology marker "
        f"(default: {DEFAULT_TOPOLOGY})",
    )
    group.addoption(
        "--lab-no-userns",
        action="store_true",
        help="without root, do not move pytest into a user namespace: skip kernel tests instead",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "topology(name_or_path): the topology the `lab` fixture builds for this test "
        "(a name from topologies/ or a YAML path)",
    )
    config.addinivalue_line(
        "markers",
        "kernel: the test needs network namespaces; skipped, with the reason, where "
        "neither root nor a user namespace is available",
    )
    try:
        ensure_privileges(allow_user_namespace=not config.getoption("--lab-no-userns"))
        config.stash[_privilege_failure] = None
    except PrivilegeError as error:
        config.stash[_privilege_failure] = str(error)


def pytest_report_header(config: pytest.Config) -> str:
    failure = config.stash.get(_privilege_failure, None)
    if failure:
        return f"lab: kernel tests will be skipped: {failure}"
    return f"lab: labs run as {ensure_privileges().value}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A test using a lab fixture needs the kernel: mark it, so `-m "not kernel"` picks pure tests.
    for item in items:
        if {"lab", "lab_factory"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.kernel)


def pytest_runtest_setup(item: pytest.Item) -> None:
    failure = item.config.stash.get(_privilege_failure, None)
    if failure and item.get_closest_marker("kernel"):
        pytest.skip(f"needs network namespaces: {failure}")


def _load(spec: str | Path) -> Topology:
    try:
        return load(spec)
    except TopologyError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture
def lab_topology(request: pytest.FixtureRequest) -> Topology:
    """The topology `lab` builds: marker, else --lab-topology, else two-hosts (function scope)."""
    marker = request.node.get_closest_marker("topology")
    if marker is not None:
        if len(marker.args) != 1:
            pytest.fail("@pytest.mark.topology takes one name or path", pytrace=False)
        return _load(marker.args[0])
    return _load(request.config.getoption("--lab-topology") or DEFAULT_TOPOLOGY)


@pytest.fixture
def lab(lab_topology: Topology) -> Iterator[Lab]:
    """A started lab of `lab_topology`, torn down after the test (function scope)."""
    with Lab(lab_topology) as running:
        yield running


@pytest.fixture
def lab_factory() -> Iterator[Callable[[Topology | str | Path], Lab]]:
    """Start labs on demand: ``lab_factory("routed")``; all torn down after the test."""
    started: list[Lab] = []

    def start(topology: Topology | str | Path) -> Lab:
        running = Lab(topology if isinstance(topology, Topology) else _load(topology)).start()
        started.append(running)
        return running

    yield start
    for running in reversed(started):
        running.close()
