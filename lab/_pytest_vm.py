"""``pytest --lab-kernel 6.1``: the selected tests run inside that kernel's VM, reported here.

Two halves of one mechanism, both registered by `lab.pytest_plugin`:

`KernelRun` (this machine)
    pytest collects and selects as usual (``-m kernel``, ``-k``, node ids). Instead
    of running the items, it boots the kernel once (`lab.vm.run_in_guest`) and runs
    pytest inside with the same arguments, this plugin's `GuestReports` on, and the
    list of node ids it selected. Each report made inside comes back and is replayed
    through pytest's own hooks, as pytest-xdist replays its workers' reports: the
    progress, ``-r`` summaries, ``--junit-xml`` and the exit status are pytest's.
    A test the guest never finished (the kernel did not boot, the VM timed out) is
    reported failed with the reason and the console log's path.

`GuestReports` (inside the guest)
    Runs only the node ids it was given and writes every report, serialized
    with pytest's own ``pytest_report_to_serializable``, as a JSON line to a file
    of the share (the guest's ``/tmp`` is thrown away with it).

``-n N`` (pytest-xdist) is passed inside: the guest's pytest runs its workers
there; on this machine the run stays in one process.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from lab.vm import GuestRun, KernelImage, guest_share, resolve_kernel, run_in_guest
from lab.vm._command import guest_environment, without_options

__all__ = ["GuestReports", "KernelRun", "guest_argv"]

REPORTS = "reports.jsonl"
NODEIDS = "nodeids.json"


def guest_argv(args: Sequence[str]) -> list[str]:
    """The invocation's arguments without ``--lab-kernel`` and ``--lab-kernel-timeout``."""
    return without_options(args, {"--lab-kernel": True, "--lab-kernel-timeout": True})


class KernelRun:
    """Runs the session's items inside one VM of `kernel`, and replays their reports."""

    def __init__(self, config: pytest.Config, name: str, timeout: float) -> None:
        self.config = config
        self.name = name
        self.timeout = timeout
        self.kernel: KernelImage | None = None
        self._read = 0  # bytes of the reports file replayed so far
        self._started: dict[str, tuple[str, int | None, str]] = {}
        self._finished: set[str] = set()
        self._ran: tuple[GuestRun, Path | None] | None = None

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.kernel = resolve_kernel(self.name)  # fetched once into the cache if need be

    def pytest_report_header(self, config: pytest.Config) -> str:
        release = self.kernel.release if self.kernel is not None else "?"
        return f"lab: the tests run inside kernel {self.name} ({release}), booted under qemu"

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        if session.testsfailed and not session.config.option.continue_on_collection_errors:
            raise session.Interrupted(
                f"{session.testsfailed} error{'s' if session.testsfailed > 1 else ''} "
                "during collection"
            )
        if session.config.option.collectonly or not session.items:
            return True
        assert self.kernel is not None  # pytest_sessionstart resolved it
        items = {item.nodeid: item for item in session.items}
        with guest_share() as share:
            (share.path / NODEIDS).write_text(json.dumps(list(items)))
            argv = [
                sys.executable,
                "-m",
                "pytest",
                f"--lab-guest-reports={share.path}",
                # Reports come back with their text already rendered: in colour if here is.
                f"--color={'yes' if self._colour() else 'no'}",
                *guest_argv(self.config.invocation_params.args),
            ]
            env = guest_environment()
            run = run_in_guest(
                self.kernel,
                argv,
                cwd=self.config.invocation_params.dir,
                env=env,
                share=share.path,
                timeout=self.timeout,
                on_console=lambda _line: self._replay_new(share.path),
                on_tick=lambda: self._replay_new(share.path),  # a report without output
            )
            self._replay_new(share.path)
            missing = [nodeid for nodeid in items if nodeid not in self._finished]
            if missing or run.status is None:
                share.keep = True
            self._fail_missing(missing, items, run)
            self._ran = (run, share.path if share.keep else None)
        return True

    def _colour(self) -> bool:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        return bool(reporter is not None and reporter.hasmarkup)

    def _replay_new(self, share: Path) -> None:
        """Replay the complete lines the guest added to the reports file since last time."""
        try:
            with (share / REPORTS).open("rb") as reports:
                reports.seek(self._read)
                chunk = reports.read()
        except FileNotFoundError:
            return
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._read += len(complete)
        for line in complete.splitlines():
            self._replay(json.loads(line))

    def _replay(self, data: dict[str, Any]) -> None:
        hook = self.config.hook
        report = hook.pytest_report_from_serializable(config=self.config, data=data)
        if isinstance(report, pytest.CollectReport):
            hook.pytest_collectreport(report=report)
            return
        nodeid, location = report.nodeid, report.location
        if nodeid not in self._started:
            self._started[nodeid] = location
            hook.pytest_runtest_logstart(nodeid=nodeid, location=location)
        hook.pytest_runtest_logreport(report=report)
        if report.when == "teardown":
            self._finished.add(nodeid)
            hook.pytest_runtest_logfinish(nodeid=nodeid, location=location)

    def _fail_missing(
        self, missing: list[str], items: dict[str, pytest.Item], run: GuestRun
    ) -> None:
        """A failed report for each test the guest never finished, saying why."""
        why = run.reason or (
            f"pytest inside ended with status {run.status} before it "
            f"(console log: {run.console_log})"
        )
        for nodeid in missing:
            item = items[nodeid]
            location = self._started.get(nodeid) or item.location
            if nodeid not in self._started:
                self.config.hook.pytest_runtest_logstart(nodeid=nodeid, location=location)
            report = pytest.TestReport(
                nodeid,
                location,
                keywords={},
                outcome="failed",
                longrepr=f"did not run to its end inside kernel {self.name}: {why}",
                when="call",
            )
            self.config.hook.pytest_runtest_logreport(report=report)
            self.config.hook.pytest_runtest_logfinish(nodeid=nodeid, location=location)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """How the VM ran, at the end of the run (not in the middle of the progress line)."""
        if self._ran is None:
            return
        run, kept = self._ran
        line = (
            f"lab: kernel {self.name} ({run.kernel.release}) under qemu ({run.accel}): "
            f"booted in {run.boot_seconds:.1f} s, pytest inside took {run.run_seconds:.1f} s"
        )
        terminalreporter.write_sep("-", line)
        if kept is not None:
            terminalreporter.write_line(f"lab: the guest's files are kept in {kept}")


class GuestReports:
    """Inside the guest: run the node ids asked for, write every report as a JSON line."""

    def __init__(self, config: pytest.Config, share: Path) -> None:
        self.config = config
        self.wanted = set(json.loads((share / NODEIDS).read_text()))
        # Open for the whole session, closed at pytest_unconfigure: no `with` fits.
        self.out = (share / REPORTS).open("a", encoding="utf-8")

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        deselected = [item for item in items if item.nodeid not in self.wanted]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = [item for item in items if item.nodeid in self.wanted]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._write(report)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self._write(report)

    def _write(self, report: pytest.TestReport | pytest.CollectReport) -> None:
        data = self.config.hook.pytest_report_to_serializable(config=self.config, report=report)
        data.pop("node", None)  # under xdist: the worker it came from, a live object
        self.out.write(json.dumps(data, default=str) + "\n")
        self.out.flush()

    def pytest_unconfigure(self) -> None:
        self.out.close()


def runs_elsewhere(config: pytest.Config) -> bool:
    """Whether ``--lab-kernel`` names another kernel than this machine's."""
    name: str | None = config.getoption("--lab-kernel", None)
    return bool(name) and name != "host"


def register(config: pytest.Config) -> bool:
    """Turn either half on, as the options ask; True when the tests run in a VM.

    Called by lab.pytest_plugin's pytest_configure.
    """
    share: str | None = config.getoption("--lab-guest-reports")
    if share and not hasattr(config, "workerinput"):  # xdist workers report to the controller
        config.pluginmanager.register(GuestReports(config, Path(share)), "lab-guest-reports")
    if not runs_elsewhere(config):
        return False
    name: str = config.getoption("--lab-kernel")
    timeout: float = config.getoption("--lab-kernel-timeout")
    config.pluginmanager.register(KernelRun(config, name, timeout), "lab-kernel-run")
    return True


def keep_xdist_inside(config: pytest.Config) -> None:
    """With ``--lab-kernel``, ``-n N`` is for the guest's pytest: none here (cmdline_main)."""
    if runs_elsewhere(config) and hasattr(config.option, "numprocesses"):
        # Whichever of xdist's pytest_cmdline_main and this one runs first, dist "no"
        # with no workers keeps xdist's scheduler off here.
        config.option.numprocesses = None
        config.option.dist = "no"
        config.option.distload = False
        config.option.tx = []
