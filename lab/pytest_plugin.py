"""The pytest plugin (entry point ``pytest11: lab``): fixtures over `lab.Lab`.

Fixtures
    lab_topology  function  the `Topology` for `lab`: the ``topology`` marker, else
                            ``--lab-topology``, else the ``lab_topology`` ini option, else
                            ``two-hosts``.
    lab           function  a started `Lab` of `lab_topology`, torn down after the test.
                            Building two-hosts takes about 3 ms, so every test gets a fresh one.
    lab_factory   function  ``lab_factory(topology) -> Lab``: several labs in one test, all
                            torn down after it.
    tcp_note      function  ``tcp_note("docs/tcp.md") -> NoteCheck``: check a study note's TCP
                            diagrams and tables on the kernel, every claim at its line; fails
                            the test with the line-numbered report when the kernel disagrees.
    tcp_scenario  function  ``tcp_scenario("open", "IPv6") -> ScenarioCheck``: run a documented
                            scenario in `lab` with every segment held and released in turn;
                            ``.assert_documented()`` fails with documented against observed, side
                            by side, and the pcap path.

Markers
    topology(NAME_OR_PATH)  which topology `lab` builds.
    kernel                  the test needs network namespaces (the fixtures imply it).

Notes
    ``--lab-notes DIR`` (or the ``lab_notes`` ini option) collects every TCP
    diagram and table of the Markdown files under DIR as an item,
    ``docs/tcp.md::L20-41 close``; a failing one shows the line-numbered report.

Topology names are looked up in the ``lab_topologies`` ini directories, then
``topologies/`` next to the rootdir, ``./topologies``, ``$LAB_TOPOLOGIES`` and
the topologies shipped with lab.

Pcaps. Every scenario of `tcp_scenario` writes one; with ``--lab-capture`` (or
``lab_capture = true``) every lab of `lab` and `lab_factory` is captured too,
one pcap per host interface (`lab.stepping.LabCapture`). A failed test keeps
its pcaps: its report gets a "lab pcaps" section, its teardown report a
``lab_pcap`` user property per file (junit-xml shows them), and the run ends
with a list, which pytest-xdist's controller builds from those properties. A
passing test's pcaps are removed (captures are not even written) unless
``--lab-keep-pcaps``.

Without root, the plugin moves pytest into a user namespace when it configures
(before any thread exists), where labs work. When that is impossible too,
kernel tests are skipped with the reason and the fix; pure tests still run.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Generator, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lab import _pytest_vm
from lab._check import ScenarioCheck, check_scenario
from lab._errors import LabError, PrivilegeError, TopologyError
from lab.kernel._lab import Lab
from lab.kernel._privileges import ensure_privileges
from lab.stepping._lab_capture import LabCapture
from lab.tcp._spec import Scenario
from lab.topology import DEFAULT_TOPOLOGY, Topology, load
from lab.topology._load import is_path, topology_dirs

if TYPE_CHECKING:
    from lab._notecheck import NoteCheck

_PCAP_PROPERTY = "lab_pcap"
_PCAP_SECTION = "lab pcaps"

_privilege_failure = pytest.StashKey[str | None]()
_reports = pytest.StashKey[dict[str, pytest.TestReport]]()


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
        "--lab-capture",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="capture every interface of every lab a test builds; failed tests keep the pcaps "
        "(default: the lab_capture ini option, else no)",
    )
    group.addoption(
        "--lab-keep-pcaps",
        action="store_true",
        help="keep the pcaps of passing tests too, not only those of failing ones",
    )
    group.addoption(
        "--lab-pcap-dir",
        metavar="DIR",
        default=None,
        help="where pcaps go (default: the lab_pcap_dir ini option, else lab-pcaps under "
        "pytest's temporary directory)",
    )
    group.addoption(
        "--lab-notes",
        metavar="DIR_OR_FILE",
        action="append",
        default=[],
        help="collect the TCP diagrams and tables of the Markdown notes under DIR (or the note "
        "FILE) as test items, checked on the kernel: docs/tcp.md::L20-41 close (repeatable; "
        "also the lab_notes ini option)",
    )
    group.addoption(
        "--lab-no-userns",
        action="store_true",
        help="without root, do not move pytest into a user namespace: skip kernel tests instead",
    )
    group.addoption(
        "--lab-kernel",
        metavar="NAME",
        default=None,
        help="run the selected tests inside this kernel, booted under qemu, and report them "
        "here: a version (6.1, 6.12, 5.10), a Debian package, a vmlinuz path, or host "
        "(the default: this machine's kernel); see lab kernels ls",
    )
    group.addoption(
        "--lab-kernel-timeout",
        metavar="SECONDS",
        type=float,
        default=3600.0,
        help="with --lab-kernel: stop the VM after this long, failing what did not finish "
        "(default: 3600)",
    )
    group.addoption("--lab-guest-reports", metavar="DIR", default=None, help=argparse.SUPPRESS)
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
    parser.addini(
        "lab_notes",
        type="paths",
        default=[],
        help="directories (or files) of study notes collected as tests, relative to the ini "
        "file, as --lab-notes",
    )
    parser.addini(
        "lab_capture",
        type="bool",
        default=False,
        help="capture every interface of every lab (as --lab-capture; --no-lab-capture wins)",
    )
    parser.addini(
        "lab_pcap_dir",
        default="",
        help="where pcaps go, relative to the ini file (--lab-pcap-dir wins)",
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
    config.pluginmanager.register(_FailedTestsPcaps(), "lab-failed-tests-pcaps")
    _collect_notes_too(config)
    if _pytest_vm.register(config):
        config.stash[_privilege_failure] = None  # the tests run inside a VM, as its root
        return
    try:
        ensure_privileges(allow_user_namespace=not config.getoption("--lab-no-userns"))
        config.stash[_privilege_failure] = None
    except PrivilegeError as error:
        config.stash[_privilege_failure] = str(error)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    _pytest_vm.keep_xdist_inside(config)


def pytest_report_header(config: pytest.Config) -> str | None:
    if _pytest_vm.runs_elsewhere(config):
        return None
    failure = config.stash.get(_privilege_failure, None)
    if failure:
        return f"lab: kernel tests will be skipped: {failure}"
    return f"lab: labs run as {ensure_privileges().value}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A test using a lab fixture needs the kernel: mark it, so `-m "not kernel"` picks pure tests.
    for item in items:
        if {"lab", "lab_factory", "tcp_note"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.kernel)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    roots = _note_roots(parent.config)
    if not roots:
        return None
    from lab._pytest_notes import NoteFile, is_note  # noqa: PLC0415 (markdown-it only if asked)

    if not is_note(file_path, roots):
        return None
    note = NoteFile.from_parent(parent, path=file_path)
    note.topology = _load(parent.config, _default_topology(parent.config))
    return note


def _collect_notes_too(config: pytest.Config) -> None:
    """Add the note folders to what pytest collects, unless a path it collects holds them.

    ``pytest tests --lab-notes docs`` (or ``testpaths = tests``) walks docs/ too.
    """
    walked = [Path(arg.split("::")[0]).resolve() for arg in config.args]
    for root in _note_roots(config):
        if root.exists() and not any(root.is_relative_to(path) for path in walked):
            config.args.append(str(root))


def _note_roots(config: pytest.Config) -> list[Path]:
    """Where notes are collected from: --lab-notes, else the lab_notes ini option."""
    given: list[str] = config.getoption("--lab-notes") or []
    paths = [Path(p) for p in given] or list(config.getini("lab_notes"))
    return [path.resolve() for path in paths]


def pytest_runtest_setup(item: pytest.Item) -> None:
    failure = item.config.stash.get(_privilege_failure, None)
    if failure and item.get_closest_marker("kernel"):
        pytest.skip(f"needs network namespaces: {failure}")


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


def _capturing(config: pytest.Config) -> bool:
    option: bool | None = config.getoption("--lab-capture")
    return bool(config.getini("lab_capture")) if option is None else option


def _pcap_dir(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    option: str | None = config.getoption("--lab-pcap-dir")
    if option:
        return Path(option)
    value: str = config.getini("lab_pcap_dir")
    if value:
        return _ini_dir(config) / value
    return tmp_path_factory.getbasetemp() / "lab-pcaps"


def _load(config: pytest.Config, spec: str | Path) -> Topology:
    try:
        return load(spec, search_path=_search_path(config))
    except TopologyError as error:
        pytest.fail(str(error), pytrace=False)


# --- pcaps: written for failed tests, named in their reports -----------------------------


def _file_name(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


@dataclass
class _TestPcaps:
    """The pcaps of one test: its scenarios' (written as they run) and its labs' captures."""

    directory: Path
    stem: str
    """The test's name, made safe for file names: every pcap name starts with it."""
    scenarios: list[Path] = field(default_factory=list)
    captures: list[tuple[LabCapture, str]] = field(default_factory=list)
    """Each capture, and the prefix of its pcaps' names."""

    def capture(self, lab: Lab) -> LabCapture:
        same = sum(1 for capture, _ in self.captures if capture.lab.name == lab.name)
        prefix = f"{self.stem}-{lab.name}{same + 1 if same else ''}"
        capture = LabCapture(lab)
        self.captures.append((capture, prefix))
        return capture

    def paths(self) -> list[Path]:
        """Every pcap of the test, written or to be written at its end."""
        captured = [p for c, prefix in self.captures for p in c.pcap_paths(self.directory, prefix)]
        return [*self.scenarios, *captured]

    def describe(self) -> str:
        """The pcaps, one a line, and any frames the captures lost: for a failure's report."""
        lost = [
            f"{prefix}: {host} {ifname} lost {count} frames: more than the capture kept up with"
            for capture, prefix in self.captures
            for (host, ifname), count in capture.dropped().items()
            if count
        ]
        return "\n".join([*(str(p) for p in self.paths()), *lost])

    def write(self) -> list[Path]:
        """Write the captures' pcaps; returns every pcap of the test that exists."""
        for capture, prefix in self.captures:
            capture.write(self.directory, prefix)
        return [path for path in self.paths() if path.exists()]

    def remove(self) -> None:
        for path in self.scenarios:
            path.unlink(missing_ok=True)
        for folder in {p.parent for p in self.scenarios} - {self.directory}:
            with suppress(OSError):  # a note's own folder (tcp_note), gone once empty
                folder.rmdir()


_pcaps = pytest.StashKey[_TestPcaps]()


def _test_pcaps(request: pytest.FixtureRequest) -> _TestPcaps:
    """The test's pcap record, made on first use."""
    stash: pytest.Stash = request.node.stash
    if _pcaps not in stash:
        factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
        directory = _pcap_dir(request.config, factory)
        directory.mkdir(parents=True, exist_ok=True)
        stash[_pcaps] = _TestPcaps(directory, _file_name(request.node.name))
    return stash[_pcaps]


@contextmanager
def _captured(request: pytest.FixtureRequest, lab: Lab) -> Iterator[None]:
    """Capture `lab` while in the block, when the run asks for it."""
    if not _capturing(request.config):
        yield
        return
    capture = _test_pcaps(request).capture(lab)
    try:
        yield
    finally:
        capture.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # Remember each phase's outcome: the test's pcaps are kept if any phase failed.
    report = yield
    reports = item.stash.setdefault(_reports, {})
    reports[report.when] = report
    pcaps = item.stash.get(_pcaps, None)
    if pcaps is None:
        return report
    if report.failed and (described := pcaps.describe()):
        report.sections.append((_PCAP_SECTION, described))
    if report.when == "teardown":  # the labs are down, their captures closed
        del item.stash[_pcaps]
        failed = any(r.failed for r in reports.values())
        try:
            if failed:
                # On the item for the reports still to come (junit-xml reads the teardown one),
                # and on this one, which was made from the item before.
                kept = [(_PCAP_PROPERTY, str(path)) for path in pcaps.write()]
                item.user_properties += kept
                report.user_properties += kept
            elif item.config.getoption("--lab-keep-pcaps"):
                pcaps.write()
            else:
                pcaps.remove()
        except LabError as error:
            report.sections.append((_PCAP_SECTION, f"the pcaps were not written: {error}"))
    return report


class _FailedTestsPcaps:
    """Lists the pcaps of failed tests at the end of the run.

    Built from the reports' ``lab_pcap`` properties, so under pytest-xdist the
    controller, which only sees the workers' reports, lists them too.
    """

    def __init__(self) -> None:
        self.kept: dict[str, list[str]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in report.user_properties:
            if name == _PCAP_PROPERTY and value not in self.kept.get(report.nodeid, []):
                self.kept.setdefault(report.nodeid, []).append(str(value))

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.kept:
            terminalreporter.section("lab: pcaps of failed tests")
            for nodeid, paths in self.kept.items():
                for path in paths:
                    terminalreporter.line(f"{nodeid}: {path}")


# --- fixtures ---------------------------------------------------------------------------


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
def lab(lab_topology: Topology, request: pytest.FixtureRequest) -> Iterator[Lab]:
    """A started lab of `lab_topology`, torn down after the test (captured: --lab-capture).

    Scope: function. Depends on: lab_topology.
    """
    with Lab(lab_topology) as running, _captured(request, running):
        yield running


@pytest.fixture
def lab_factory(request: pytest.FixtureRequest) -> Iterator[Callable[[Topology | str | Path], Lab]]:
    """Start labs on demand: ``lab_factory("routed")``; all torn down after the test.

    Scope: function. Depends on: nothing. Each lab is captured under --lab-capture.
    """
    with ExitStack() as stack:  # unwound in reverse: each capture closes before its lab

        def start(topology: Topology | str | Path) -> Lab:
            spec = topology if isinstance(topology, Topology) else _load(request.config, topology)
            running = stack.enter_context(Lab(spec))
            if _capturing(request.config):
                stack.enter_context(_test_pcaps(request).capture(running))
            return running

        yield start


@pytest.fixture
def tcp_scenario(lab: Lab, request: pytest.FixtureRequest) -> Callable[..., ScenarioCheck]:
    """Run documented scenarios in `lab` with stepping: ``tcp_scenario("open", "IPv6")``.

    Returns a `ScenarioCheck` whose ``assert_documented()`` shows documented
    against observed and the pcap path. Each scenario writes
    ``TEST-SCENARIO-FAMILY.pcap``, kept if the test fails (or --lab-keep-pcaps).

    Scope: function. Depends on: lab.
    """
    pcaps = _test_pcaps(request)

    def run(
        scenario: str | Scenario,
        family: str = "IPv4",
        *,
        strict_flags: bool = False,
        spec: Path | None = None,
    ) -> ScenarioCheck:
        name = scenario if isinstance(scenario, str) else scenario.name
        pcap = pcaps.directory / f"{_file_name(f'{pcaps.stem}-{name}-{family}')}.pcap"
        pcaps.scenarios.append(pcap)
        return check_scenario(
            lab, scenario, family=family, spec=spec, pcap=pcap, strict_flags=strict_flags
        )

    return run


@pytest.fixture
def tcp_note(lab_topology: Topology, request: pytest.FixtureRequest) -> Callable[..., NoteCheck]:
    """Check a study note on the kernel: ``tcp_note("docs/tcp.md")`` -> `NoteCheck`.

    Every diagram runs over every family of `lab_topology`'s ends, in fresh
    labs; the test fails with the line-numbered report when a claim fails
    (``check=False`` returns the result instead). A relative path is looked
    up from the current directory, then the rootdir. Pcaps go where
    `tcp_scenario`'s go, kept if the test fails.

    Scope: function. Depends on: lab_topology.
    """
    from lab._notecheck import check_note  # noqa: PLC0415 (markdown-it only if used)

    pcaps = _test_pcaps(request)

    def run(
        note: str | Path,
        *,
        families: list[str] | None = None,
        strict_flags: bool = False,
        wait_timers: bool = False,
        check: bool = True,
    ) -> NoteCheck:
        path = Path(note)
        if not path.is_absolute() and not path.exists():
            path = request.config.rootpath / path
        directory = pcaps.directory / _file_name(f"{pcaps.stem}-{path.stem}")
        try:
            result = check_note(
                path,
                lab_topology,
                families=families,
                pcap_dir=directory,
                strict_flags=strict_flags,
                wait_timers=wait_timers,
            )
        except LabError as error:  # an unreadable note is bad input: its sentence, no traceback
            unusable = str(error)
        else:
            pcaps.scenarios += [Path(p) for p in result.result.pcaps.values()]
            if check and not result.ok:
                pytest.fail(result.report(), pytrace=False)
            return result
        pytest.fail(unusable, pytrace=False)  # outside the except: no "during handling" chain

    return run
