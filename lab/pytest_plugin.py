"""The pytest plugin (entry point ``pytest11: lab``): fixtures over `lab.Lab`.

Fixtures
    lab_topology  function  the `Topology` for `lab`: the ``topology`` marker, else
                            ``--lab-topology``, else the ``lab_topology`` ini option, else
                            ``two-hosts``.
    lab           function  a started `Lab` of `lab_topology`, torn down after the test.
                            Building two-hosts takes about 3 ms, so every test gets a fresh one.
    lab_factory   function  ``lab_factory(topology) -> Lab``: several labs in one test, all
                            torn down after it.
    tcp_scenario  function  ``tcp_scenario("open", "IPv6") -> ScenarioCheck``: run a documented
                            scenario in `lab` with every segment held and released in turn;
                            ``.assert_documented()`` fails with documented against observed, side
                            by side, and the pcap path. Pcaps of passing tests are deleted unless
                            ``--lab-keep-pcaps``; those of failing tests are kept and listed.

Markers
    topology(NAME_OR_PATH)  which topology `lab` builds.
    kernel                  the test needs network namespaces (the fixtures imply it).

Topology names are looked up in the ``lab_topologies`` ini directories, then
``topologies/`` next to the rootdir, ``./topologies``, ``$LAB_TOPOLOGIES`` and
the topologies shipped with lab.

Without root, the plugin moves pytest into a user namespace when it configures
(before any thread exists), where labs work. When that is impossible too,
kernel tests are skipped with the reason and the fix; pure tests still run.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest

from lab._check import ScenarioCheck, check_scenario
from lab._errors import PrivilegeError, TopologyError
from lab.kernel._lab import Lab
from lab.kernel._privileges import ensure_privileges
from lab.tcp._spec import Scenario
from lab.topology import DEFAULT_TOPOLOGY, Topology, load
from lab.topology._load import is_path, topology_dirs

_privilege_failure = pytest.StashKey[str | None]()
_reports = pytest.StashKey[dict[str, pytest.TestReport]]()
_kept_pcaps = pytest.StashKey[list[tuple[str, Path]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lab", "network-namespace labs")
    group.addoption(
        "--lab-topology",
        metavar="NAME_OR_PATH",
        default=None,
        help="topology the `lab` fixture builds when a test has no topology marker "
        f"(default: the lab_topology ini option, else {DEFAULT_TOPOLOGY})",
    )
    group.addoption(
        "--lab-keep-pcaps",
        action="store_true",
        help="keep the pcap of every stepped scenario, not only those of failing tests",
    )
    group.addoption(
        "--lab-pcap-dir",
        metavar="DIR",
        default=None,
        help="where stepped scenarios write pcaps (default: under pytest's temporary directory)",
    )
    group.addoption(
        "--lab-no-userns",
        action="store_true",
        help="without root, do not move pytest into a user namespace: skip kernel tests instead",
    )
    parser.addini(
        "lab_topologies",
        type="paths",
        default=[],
        help="directories searched first for topology names (relative to the ini file), "
        "before topologies/ next to the rootdir, ./topologies, $LAB_TOPOLOGIES and lab's own",
    )
    parser.addini(
        "lab_topology",
        default="",
        help=f"topology the `lab` fixture builds when a test has no topology marker "
        f"(a name, or a path relative to the ini file; default {DEFAULT_TOPOLOGY}); "
        "--lab-topology wins",
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


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # Remember each phase's outcome, so fixtures know at teardown whether the test failed.
    report = yield
    item.stash.setdefault(_reports, {})[report.when] = report
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    kept = terminalreporter.config.stash.get(_kept_pcaps, [])
    if kept:
        terminalreporter.section("lab: pcaps of failed tests")
        for nodeid, pcap in kept:
            terminalreporter.line(f"{nodeid}: {pcap}")


# --- settings: the command line wins over the ini file ---------------------------------


def _ini_dir(config: pytest.Config) -> Path:
    return config.inipath.parent if config.inipath is not None else config.rootpath


def _search_path(config: pytest.Config) -> list[Path]:
    """Where topology names are looked up in this run (see the module docstring)."""
    project = [*config.getini("lab_topologies"), config.rootpath / "topologies"]
    return topology_dirs(project_dirs=project)


def _default_topology(config: pytest.Config) -> str | Path:
    option: str | None = config.getoption("--lab-topology")
    if option:
        return option
    value: str = config.getini("lab_topology")
    if not value:
        return DEFAULT_TOPOLOGY
    return _ini_dir(config) / value if is_path(value) else value


def _load(config: pytest.Config, spec: str | Path) -> Topology:
    try:
        return load(spec, search_path=_search_path(config))
    except TopologyError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture
def lab_topology(request: pytest.FixtureRequest) -> Topology:
    """The topology `lab` builds: the topology marker, else --lab-topology, else two-hosts.

    Scope: function. Depends on: the test's ``topology`` marker, the options and ini settings.
    """
    marker = request.node.get_closest_marker("topology")
    if marker is not None:
        if len(marker.args) != 1:
            pytest.fail("@pytest.mark.topology takes one name or path", pytrace=False)
        return _load(request.config, marker.args[0])
    return _load(request.config, _default_topology(request.config))


@pytest.fixture
def lab(lab_topology: Topology) -> Iterator[Lab]:
    """A started lab of `lab_topology`, torn down after the test.

    Scope: function. Depends on: lab_topology.
    """
    with Lab(lab_topology) as running:
        yield running


@pytest.fixture
def lab_factory(request: pytest.FixtureRequest) -> Iterator[Callable[[Topology | str | Path], Lab]]:
    """Start labs on demand: ``lab_factory("routed")``; all torn down after the test.

    Scope: function. Depends on: nothing.
    """
    started: list[Lab] = []

    def start(topology: Topology | str | Path) -> Lab:
        spec = topology if isinstance(topology, Topology) else _load(request.config, topology)
        running = Lab(spec).start()
        started.append(running)
        return running

    yield start
    for running in reversed(started):
        running.close()


@pytest.fixture
def tcp_scenario(
    lab: Lab, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., ScenarioCheck]]:
    """Run documented scenarios in `lab` with stepping: ``tcp_scenario("open", "IPv6")``.

    Returns a `ScenarioCheck` whose ``assert_documented()`` shows documented
    against observed and the pcap path.

    Scope: function. Depends on: lab.
    """
    option = request.config.getoption("--lab-pcap-dir")
    directory = Path(option) if option else tmp_path_factory.getbasetemp() / "lab-pcaps"
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def run(
        scenario: str | Scenario,
        family: str = "IPv4",
        *,
        strict_flags: bool = False,
        spec: Path | None = None,
    ) -> ScenarioCheck:
        name = scenario if isinstance(scenario, str) else scenario.name
        stem = f"{request.node.name}-{name}-{family}".replace("/", "_")
        pcap = directory / f"{''.join(c if c.isalnum() or c in '-_.' else '_' for c in stem)}.pcap"
        written.append(pcap)
        return check_scenario(
            lab, scenario, family=family, spec=spec, pcap=pcap, strict_flags=strict_flags
        )

    yield run
    reports = request.node.stash.get(_reports, {})
    failed = any(r.failed for r in reports.values())
    if failed:
        kept = request.config.stash.setdefault(_kept_pcaps, [])
        kept += [(request.node.nodeid, p) for p in written if p.exists()]
    elif not request.config.getoption("--lab-keep-pcaps"):
        for pcap in written:
            pcap.unlink(missing_ok=True)
