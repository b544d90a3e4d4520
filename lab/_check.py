"""`lab check`: every documented scenario, over each family both ends have, on a fresh lab each.

The library behind the CLI's `lab check` and the pytest helpers.
`plan_check` reads and checks the inputs (spec, topology, the two ends, the
families) before anything is built; `run_plan` builds the topology once per
scenario and family (a few milliseconds), runs the scenario with stepping,
judges it against the documentation, and collects the verdicts, pcaps,
timings and the TCP settings the hosts had; several runs go side by side,
each in its own lab and thread (`lab._side_by_side`). `run_check` does both.
Nothing here prints: a `progress` callback hears each `CheckEvent`, in the
caller's thread, and Ctrl-C raises `CheckInterrupted`, a KeyboardInterrupt
that carries the runs that finished.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lab._addresses import Family
from lab._errors import LabError, SpecError
from lab._pace import emulated
from lab._side_by_side import Done, Lane, side_by_side
from lab.kernel._lab import Lab
from lab.stepping._capture import import_pcap_writer
from lab.stepping._nftables import queue_path
from lab.stepping._profile import read_tcp_settings
from lab.stepping._runner import VERBS, ScenarioRun, TimerWait, run_scenario
from lab.tcp._assertions import assert_verdict
from lab.tcp._coverage import Coverage, coverage
from lab.tcp._junit import JunitCase, coverage_case, render_junit, scenario_case
from lab.tcp._names import Role, TcpFlag
from lab.tcp._report import render_header, render_scenario, render_summary, to_json
from lab.tcp._settings import TcpSettings
from lab.tcp._spec import Action, DocumentedSegment, Scenario, Spec
from lab.tcp._spec_load import load_spec
from lab.tcp._verdict import ScenarioVerdict, judge
from lab.topology import DEFAULT_TOPOLOGY, Topology, load
from lab.topology._ends import Ends, choose_ends, shared_families


@dataclass(frozen=True)
class ScenarioCheck:
    """One scenario run over one family, and its verdict."""

    run: ScenarioRun
    verdict: ScenarioVerdict

    @property
    def ok(self) -> bool:
        return self.verdict.ok

    @property
    def pcap(self) -> Path | None:
        return self.run.pcap

    def assert_documented(self) -> None:
        """Fail with documented against observed, side by side, and the pcap path."""
        __tracebackhide__ = True
        assert_verdict(self.verdict, pcap=str(self.run.pcap) if self.run.pcap else None)


def check_scenario(
    lab: Lab,
    scenario: Scenario | str,
    *,
    family: Family | str = Family.IPV4,
    spec: Spec | Path | None = None,
    client: str = "client",
    server: str = "server",
    pcap: Path | None = None,
    strict_flags: bool = False,
    wait_timers: bool = False,
    stepping: bool = True,
    on_wait: Callable[[TimerWait], None] | None = None,
    on_idle: Callable[[], None] | None = None,
) -> ScenarioCheck:
    """Run one documented scenario in a started `lab`, stepping unless told not to; judge it.

    `client` and `server` name the lab hosts that play the roles; `on_wait`
    hears how a wait for a timer stands, `on_idle` that the run is about to wait a
    kernel timer out (see `run_scenario`).
    """
    if isinstance(scenario, str):
        loaded = spec if isinstance(spec, Spec) else load_spec(spec)
        scenario = _scenarios(loaded, [scenario])[0]
    _check_verbs(scenario, spec.source if isinstance(spec, Spec) else str(spec or "<spec>"))
    run = run_scenario(
        lab,
        scenario,
        family=Family.parse(family),
        client=client,
        server=server,
        pcap=pcap,
        wait_timers=wait_timers,
        stepping=stepping,
        on_wait=on_wait,
        on_idle=on_idle,
    )
    verdict = judge(
        scenario,
        run.timeline,
        strict_flags=strict_flags,
        family=run.family,
        final=run.final,
        waited=run.waited,
        start=run.start,
    )
    return ScenarioCheck(run, verdict)


@dataclass(frozen=True)
class CheckResult:
    """Everything one `lab check` found."""

    spec: Spec
    topology: Topology
    runs: tuple[ScenarioRun, ...]
    verdicts: tuple[ScenarioVerdict, ...]
    kernel: str
    seconds: float
    client: str = "client"
    """The host that played the client."""
    server: str = "server"
    """The host that played the server."""
    families: tuple[Family, ...] = tuple(Family)
    """The families that ran."""
    left_out: dict[Family, str] = field(default_factory=dict)
    """Families not run because the ends do not share them, and why."""
    tcp_settings: TcpSettings | None = None
    """The TCP settings of the ends' hosts before any scenario ran, and who set which."""
    queue: str | None = None
    """How the stepper queued segments on this kernel (``nft_queue``), None if it did not."""
    interrupted: bool = False
    """Ctrl-C stopped the check: `runs` are those that finished, `not_run` the others."""
    not_run: tuple[str, ...] = ()
    """Runs planned but not finished (``close (IPv6)``), when interrupted."""
    scenarios: tuple[str, ...] = ()
    """The scenarios the check ran or meant to run, by name."""
    slow_left_out: dict[str, str] = field(default_factory=dict)
    """Slow scenarios not run (no --wait-timers, none named), and why each is slow."""

    @property
    def ok(self) -> bool:
        """Every scenario run agrees, and every state and flag its scenarios document was seen.

        Rows whose scenarios were not run (``--scenario``) do not count against it, nor do
        edges of RFC 9293's diagram that no run shows (reported, not failed); an
        interrupted check is not ok.
        """
        return (
            not self.interrupted and all(v.ok for v in self.verdicts) and not self.coverage.missed
        )

    @functools.cached_property
    def coverage(self) -> Coverage:
        return coverage(self.spec, self.verdicts)

    @property
    def pcaps(self) -> dict[str, str]:
        """Scenario id (``open-ipv4``) -> pcap path."""
        return {v.id: str(r.pcap) for v, r in zip(self.verdicts, self.runs, strict=True) if r.pcap}

    def without_pcaps(self) -> CheckResult:
        """The same result naming no pcap (for when the pcaps were removed)."""
        runs = tuple(dataclasses.replace(run, pcap=None) for run in self.runs)
        return dataclasses.replace(self, runs=runs)

    def header(self) -> str:
        """Under what the verdicts were observed: kernel, hosts, families, TCP settings."""
        return render_header(
            kernel=self.kernel,
            topology=f"{self.topology.name} ({self.topology.source})",
            client=self.client,
            server=self.server,
            families=[str(f) for f in self.families],
            left_out={str(family): why for family, why in self.left_out.items()},
            settings=self.tcp_settings,
        )

    def report(self) -> str:
        """The header, every scenario's side-by-side table, then the summary."""
        tables = [
            render_scenario(v, pcap=self.pcaps.get(v.id)) + _ss_block(r)
            for v, r in zip(self.verdicts, self.runs, strict=True)
        ]
        left_out = {str(family): why for family, why in self.left_out.items()}
        summary = render_summary(
            self.verdicts,
            self.coverage,
            left_out=left_out,
            not_run=self.not_run if self.interrupted else None,
            slow_left_out=self.slow_left_out,
        )
        return "\n\n".join([self.header(), *tables, summary])

    def to_junit_xml(self) -> str:
        """One JUnit test case per run (failures with the side-by-side table), for CI systems.

        Families left out and runs an interruption prevented are skipped cases
        that say why; one more case fails if a documented state or flag was never
        observed.
        """
        classname = f"lab check.{self.topology.name}"
        cases = [
            scenario_case(
                v,
                pcap=self.pcaps.get(v.id),
                seconds=r.seconds,
                output=_ss_block(r).lstrip("\n"),
                classname=classname,
            )
            for v, r in zip(self.verdicts, self.runs, strict=True)
        ]
        cases += [
            JunitCase(
                f"{name} ({family})", classname=classname, skipped=f"{family} left out: {why}"
            )
            for name in self.scenarios
            for family, why in self.left_out.items()
        ]
        cases += [
            JunitCase(
                f"{name} ({family})",
                classname=classname,
                skipped=f"slow ({why}): --wait-timers runs it",
            )
            for name, why in self.slow_left_out.items()
            for family in self.families
        ]
        cases += [
            JunitCase(label, classname=classname, skipped="interrupted (Ctrl-C) before it finished")
            for label in self.not_run
        ]
        cases.append(coverage_case(self.coverage, classname=classname))
        properties = {
            "kernel": self.kernel,
            "topology": f"{self.topology.name} ({self.topology.source})",
            "client": self.client,
            "server": self.server,
        }
        if self.tcp_settings is not None:
            properties |= {s.name: s.value for s in self.tcp_settings.settings}
        return render_junit(
            cases, properties=properties, seconds=self.seconds, hostname=os.uname().nodename
        )

    def to_json(self) -> dict[str, object]:
        """Everything as plain data, ready for json.dumps.

        The verdicts (`lab.tcp.to_json`), the ends, the families run and left out,
        the TCP settings, and whether it was interrupted.
        """
        data = to_json(self.verdicts, kernel=self.kernel, pcaps=self.pcaps, coverage=self.coverage)
        for scenario, run in zip(data["scenarios"], self.runs, strict=True):  # type: ignore[call-overload]
            scenario["ss"] = run.ss
        data["topology"] = self.topology.name
        data["client"] = self.client
        data["server"] = self.server
        data["families"] = [str(f) for f in self.families]
        data["left_out"] = {str(family): why for family, why in self.left_out.items()}
        data["slow_left_out"] = dict(self.slow_left_out)
        data["tcp_settings"] = None if self.tcp_settings is None else self.tcp_settings.to_json()
        data["queue"] = self.queue
        data["seconds"] = round(self.seconds, 3)
        data["interrupted"] = self.interrupted
        data["not_run"] = list(self.not_run)
        data["ok"] = self.ok
        return data


@dataclass(frozen=True)
class CheckPlan:
    """What a `lab check` will run, every input checked: nothing is built yet."""

    spec: Spec
    topology: Topology
    scenarios: tuple[Scenario, ...]
    ends: Ends
    families: tuple[Family, ...]
    left_out: dict[Family, str] = field(default_factory=dict)
    """Families the ends do not share, and why (empty when the families were asked for)."""
    slow_left_out: dict[str, str] = field(default_factory=dict)
    """Slow scenarios (`Scenario.slow`) left out of a check that named none and waits for no
    timer, and why each is slow."""

    @property
    def runs(self) -> tuple[tuple[Scenario, Family], ...]:
        """Each scenario over each family, in the order they run."""
        return tuple((s, f) for s in self.scenarios for f in self.families)


def plan_check(
    topology: Topology | str = DEFAULT_TOPOLOGY,
    *,
    scenarios: Sequence[str] | None = None,
    families: Sequence[Family | str] | None = None,
    client: str | None = None,
    server: str | None = None,
    spec: Spec | Path | None = None,
    wait_timers: bool = False,
) -> CheckPlan:
    """Read and check the inputs of a check (see `run_check`); raises LabError on bad input.

    Without `scenarios`, every scenario of the spec runs, but a slow one (`Scenario.slow`:
    it waits seconds for a kernel timer no setting shortens) only with `wait_timers`.
    """
    loaded = spec if isinstance(spec, Spec) else load_spec(spec)
    topo = topology if isinstance(topology, Topology) else load(topology)
    slow = {}
    if not scenarios and not wait_timers:
        slow = {name: s.slow for name, s in loaded.scenarios.items() if s.slow}
    names = scenarios or [name for name in loaded.scenarios if name not in slow]
    chosen = _scenarios(loaded, list(dict.fromkeys(names)))
    for scenario in chosen:
        _check_verbs(scenario, loaded.source)
    ends = choose_ends(topo, client, server)
    shared, left_out = shared_families(topo, ends)
    return CheckPlan(
        loaded,
        topo,
        tuple(chosen),
        ends,
        _families(topo, ends, shared, left_out, families),
        left_out if families is None else {},
        slow,
    )


def run_check(
    topology: Topology | str = DEFAULT_TOPOLOGY,
    *,
    scenarios: Sequence[str] | None = None,
    families: Sequence[Family | str] | None = None,
    client: str | None = None,
    server: str | None = None,
    spec: Spec | Path | None = None,
    pcap_dir: Path | None = None,
    strict_flags: bool = False,
    wait_timers: bool = False,
    stepping: bool = True,
    progress: Callable[[CheckEvent], None] | None = None,
    jobs: int | None = None,
) -> CheckResult:
    """Run the documented scenarios on the kernel and judge them.

    `client` and `server` name the hosts that play the roles (by default
    ``client`` and ``server``, else the first two hosts that share a link);
    `families` defaults to every family both have, and naming one they lack
    is an error. Each run's pcap goes to `pcap_dir` (none without it).
    `progress`, if given, hears each `CheckEvent` as it happens (``progress=print``
    logs them); the check itself prints nothing. Up to `jobs` runs go side by
    side (see `run_plan`).
    """
    plan = plan_check(
        topology,
        scenarios=scenarios,
        families=families,
        client=client,
        server=server,
        spec=spec,
        wait_timers=wait_timers,
    )
    return run_plan(
        plan,
        pcap_dir=pcap_dir,
        strict_flags=strict_flags,
        wait_timers=wait_timers,
        stepping=stepping,
        progress=progress,
        jobs=jobs,
    )


def run_plan(
    plan: CheckPlan,
    *,
    pcap_dir: Path | None = None,
    strict_flags: bool = False,
    wait_timers: bool = False,
    stepping: bool = True,
    progress: Callable[[CheckEvent], None] | None = None,
    jobs: int | None = None,
) -> CheckResult:
    """Run a checked plan (`plan_check`): one fresh lab per scenario and family.

    Up to `jobs` runs go side by side, each in its own lab and thread (default:
    `default_jobs`); ``jobs=1`` runs them one after another in this thread.
    A run that waits a kernel timer out (a segment drawn lost, a ``waits for``
    action, and with `wait_timers` a timed state such as TIME-WAIT's 60 s) gives its
    place to the next, so the waits overlap, up to `MAX_WAITING` of them.
    Results, report and JSON follow the plan's order whatever order runs end
    in; `progress` hears every event in this thread, each naming its run.
    """
    tell = progress or _nobody
    start = time.monotonic()
    settings: TcpSettings | None = None
    checks: dict[int, ScenarioCheck] = {}
    planned = [PlannedRun(n, len(plan.runs), s, f) for n, (s, f) in enumerate(plan.runs, 1)]
    pcaps = _pcaps(pcap_dir, planned)
    jobs = _jobs(jobs, len(planned))

    def result(*, interrupted: bool = False) -> CheckResult:
        done = [checks[i] for i in sorted(checks)]
        return CheckResult(
            plan.spec,
            plan.topology,
            tuple(c.run for c in done),
            tuple(c.verdict for c in done),
            _kernel(),
            time.monotonic() - start,
            client=plan.ends.client,
            server=plan.ends.server,
            families=plan.families,
            left_out=plan.left_out,
            tcp_settings=settings,
            queue=queue_path(),
            interrupted=interrupted,
            not_run=tuple(r.label for i, r in enumerate(planned) if i not in checks),
            scenarios=tuple(s.name for s in plan.scenarios),
            slow_left_out=plan.slow_left_out,
        )

    def one_run(_: int, run: PlannedRun, lane: Lane[CheckEvent]) -> ScenarioCheck:
        lane.tell(RunStarted(run))

        def on_wait(wait: TimerWait) -> None:
            lane.waiting()  # it only sleeps from now on: the next run may start
            lane.stop_if_asked()
            lane.tell(TimerWaiting(run, wait))

        with Lab(plan.topology) as lab:
            return check_scenario(
                lab,
                run.scenario,
                family=run.family,
                client=plan.ends.client,
                server=plan.ends.server,
                pcap=pcaps[run.n - 1],
                strict_flags=strict_flags,
                wait_timers=wait_timers,
                stepping=stepping,
                on_wait=on_wait,
                on_idle=lane.waiting,  # it waits for a kernel timer: the next run may start
            )

    # Side by side: the runs that must run alone first, while nothing else has started,
    # then those that wait longest for TCP's timers, so that the others run meanwhile.
    # One at a time: in the plan's order.
    starts = sorted(planned, key=_start_order) if jobs > 1 else planned

    def hear(event: CheckEvent | Done[ScenarioCheck]) -> None:
        if isinstance(event, Done):
            run = starts[event.index]
            checks[run.n - 1] = event.value
            tell(RunFinished(run, event.value))
        else:
            tell(event)

    try:
        tell(CheckStarted(plan))
        if pcap_dir is not None:
            pcap_dir.mkdir(parents=True, exist_ok=True)
            if jobs > 1:
                import_pcap_writer()  # here, not in several threads at once
        with Lab(plan.topology) as lab:  # a few milliseconds, before any scenario sets anything
            roles = {Role.CLIENT: plan.ends.client, Role.SERVER: plan.ends.server}
            settings = read_tcp_settings(lab, roles, plan.scenarios)
        side_by_side(
            starts,
            one_run,
            hear=hear,
            jobs=jobs,
            waiting=MAX_WAITING,
            alone=_runs_alone,
        )
    except KeyboardInterrupt as interrupt:
        raise CheckInterrupted(result(interrupted=True)) from interrupt
    return result()


MAX_JOBS = 4
"""At most this many runs side by side by default: a run mostly waits for the kernel."""

MAX_WAITING = 28
"""At most this many runs waiting a kernel timer out beside those that work.

Each keeps its lab and stepper open meanwhile (some 17 descriptors); select(2) and the
usual limit of open descriptors stop at 1024."""


def default_jobs(runs: int) -> int:
    """How many runs go side by side unless told: two per CPU this process may use, at most
    `MAX_JOBS`, at most `runs` (and at least 1); one at a time in an emulated guest.

    Emulated, everything the stepper does between two segments takes some 30 times
    longer; runs side by side there stretch a held segment past the retransmission
    timer, and the retransmissions that follow are not the kernel's doing but the
    emulation's (measured on 6.1: 12 of 100 runs failed that way side by side, none
    one at a time).
    """
    if emulated():  # in a guest lab.vm booted without KVM
        return 1
    cpus = len(os.sched_getaffinity(0))
    return max(1, min(MAX_JOBS, 2 * cpus, runs))


class CheckInterrupted(KeyboardInterrupt):
    """Ctrl-C during `run_check`: still a KeyboardInterrupt, carrying what finished.

    `result` holds the runs that finished, in plan order (those under way are
    torn down and left out) with ``interrupted`` set, so a caller can report them.
    """

    def __init__(self, result: CheckResult) -> None:
        super().__init__(f"interrupted after {len(result.runs)} finished runs")
        self.result = result


def _nobody(event: CheckEvent) -> None:
    """Progress that no one hears."""


def _pcaps(directory: Path | None, runs: Sequence[PlannedRun]) -> list[Path | None]:
    """Where each run's pcap goes: ``DIR/open-ipv4.pcap``, never the same file for two runs.

    A name that two runs would share (a scenario planned twice) gets the run's number,
    so that runs side by side never write one file.
    """
    if directory is None:
        return [None] * len(runs)
    names = [f"{run.scenario.name}-{run.family.lower()}" for run in runs]
    shared = {name for name in names if names.count(name) > 1}
    return [
        directory / (f"{name}-{run.n}.pcap" if name in shared else f"{name}.pcap")
        for name, run in zip(names, runs, strict=True)
    ]


INITIAL_RTO = 1.0
"""Seconds before TCP resends a lost SYN (its initial retransmission timeout, RFC 6298)."""
MIN_RTO = 0.2
"""Seconds before Linux resends any other lost segment, at least (TCP_RTO_MIN)."""


def _start_order(run: PlannedRun) -> tuple[bool, float, int]:
    """Runs that run alone first, then those that wait longer for TCP's retransmission
    timer, then the plan's order."""
    lost = [s for s in run.scenario.script if isinstance(s, DocumentedSegment) and s.lost]
    waits = sum(INITIAL_RTO if TcpFlag.SYN in s.flags else MIN_RTO for s in lost)
    return not _runs_alone(run), -waits, run.n


def _runs_alone(run: PlannedRun) -> bool:
    """Whether the run's outcome hangs on a kernel tick, so that it runs with no other beside it.

    That is a script where an end acts (closes) right after receiving a FIN or data:
    the kernel owes an ACK for it, and an end that has not received data before sends
    that ACK at its next tick (4 ms at HZ=250); the action must come first for the ACK
    to ride on its segment (FIN+ACK). The runner releases the segment just after a
    tick, which leaves the action a whole tick, but only if nothing holds its thread
    up, and runs beside it in this process do: each takes the interpreter's lock for
    milliseconds at a time. (An end that has received data waits 40 ms, which leaves
    room; such runs go alone all the same: they are few and short.) Measured on a note's
    three-segment close drawn without data: 6 of 40 checks failed with its two runs side
    by side, 0 of 120 with each alone.
    """
    steps = [i for i in run.scenario.script if isinstance(i, Action | DocumentedSegment)]
    return any(
        isinstance(segment, DocumentedSegment)
        and isinstance(action, Action)
        and not segment.lost
        and segment.receiver is action.actor
        and (segment.data or bool(segment.flags & (TcpFlag.FIN | TcpFlag.PSH)))
        for segment, action in itertools.pairwise(steps)
    )


def _jobs(jobs: int | None, runs: int) -> int:
    """`jobs` checked, or `default_jobs`."""
    if jobs is None:
        return default_jobs(runs)
    if jobs < 1:
        raise LabError(f"jobs must be at least 1 (1 runs one scenario at a time), not {jobs}")
    return jobs


def _families(
    topology: Topology,
    ends: Ends,
    shared: tuple[Family, ...],
    left_out: dict[Family, str],
    asked: Sequence[Family | str] | None,
) -> tuple[Family, ...]:
    """The families to run: those asked for (each one the ends share), else all they share."""
    if asked is None:
        if not shared:
            raise LabError(
                f"{ends.client} and {ends.server} share no address family in topology "
                f"{topology.name} ({topology.source}): {'; '.join(left_out.values())}; "
                "choose two hosts with addresses of the same family"
            )
        return shared
    parsed = tuple(dict.fromkeys(Family.parse(f) for f in asked))
    for family in parsed:
        if family in left_out:
            have = ", ".join(shared) or "none"
            raise LabError(
                f"{family} cannot run between {ends.client} and {ends.server} in topology "
                f"{topology.name} ({topology.source}): {left_out[family]}; the families they "
                f"share: {have}; leave the family out, or choose hosts that have {family}"
            )
    return parsed


def _scenarios(spec: Spec, names: Sequence[str]) -> list[Scenario]:
    """The scenarios called `names`, or an error naming the ones the spec lacks."""
    unknown = [n for n in names if n not in spec.scenarios]
    if unknown:
        raise LabError(
            f"no scenario {', '.join(map(repr, unknown))} in the spec {spec.source}; "
            f"scenarios: {', '.join(spec.scenarios)}"
        )
    return [spec.scenarios[n] for n in names]


def _check_verbs(scenario: Scenario, source: str) -> None:
    """Refuse, before any lab is built, an action the runner cannot perform."""
    actions = [*scenario.setup, *(item for item in scenario.script if isinstance(item, Action))]
    for action in actions:
        if action.verb not in VERBS:
            raise SpecError(
                source,
                f"scenarios.{scenario.name}",
                f"the runner cannot perform {str(action)!r}: {action.verb!r} is not one of its "
                "actions",
                f"use one of: {', '.join(VERBS)} (or add it to lab.stepping's VERBS)",
            )


def _ss_block(run: ScenarioRun) -> str:
    """Both ends' real ``ss -tanoi`` output when the script ended, as printed."""
    lines = []
    for role, text in run.ss.items():
        lines.append(f"$ ss -tanoi   # on the {role}, when the script ended")
        lines += [f"  {line}" for line in text.rstrip().splitlines()]
    return "\n" + "\n".join(lines) if lines else ""


def _kernel() -> str:
    uname = os.uname()
    return f"Linux {uname.release} {uname.machine}"


# --- progress: what run_check reports as it goes ---------------------------------------------


@dataclass(frozen=True)
class PlannedRun:
    """One scenario over one family, the `n`th of `total`."""

    n: int
    total: int
    scenario: Scenario
    family: Family

    @property
    def label(self) -> str:
        """``open (IPv4)``, as the report names the run."""
        return f"{self.scenario.name} ({self.family})"

    def __str__(self) -> str:
        return f"[{self.n}/{self.total}] {self.label}"


@dataclass(frozen=True)
class CheckStarted:
    """The inputs are checked and the check begins."""

    plan: CheckPlan

    def __str__(self) -> str:
        plan = self.plan
        runs = len(plan.runs)
        return (
            f"lab check: {runs} run{'' if runs == 1 else 's'} on {plan.topology.name}, "
            f"{plan.ends.client} -> {plan.ends.server}, {' and '.join(plan.families)}"
        )


@dataclass(frozen=True)
class RunStarted:
    """A run begins (a fresh lab is built for it)."""

    run: PlannedRun

    def __str__(self) -> str:
        return f"{self.run} {self.run.scenario.title}"


@dataclass(frozen=True)
class TimerWaiting:
    """With ``wait_timers``: a run waits for a timer to end a state, about 4 times a second."""

    run: PlannedRun
    wait: TimerWait

    def __str__(self) -> str:
        wait = self.wait
        left = "" if wait.left is None else f", {wait.left:.0f} s left"
        return (
            f"{self.run} waiting for the {wait.role}'s timer to end {wait.state}"
            f"{left} (waited {wait.waited:.0f} s)"
        )


@dataclass(frozen=True)
class RunFinished:
    """A run ended and was judged."""

    run: PlannedRun
    check: ScenarioCheck

    def __str__(self) -> str:
        verdict = self.check.verdict
        problems = len(verdict.problems)
        outcome = (
            "ok" if verdict.ok else f"FAIL ({problems} difference{'' if problems == 1 else 's'})"
        )
        return f"{self.run} {outcome} in {self.check.run.seconds:.2f} s"


CheckEvent = CheckStarted | RunStarted | TimerWaiting | RunFinished
"""What `run_check` tells its `progress` callback: started, then each run's start, timer
waits (with ``wait_timers``) and end, in that order for each run; the events of runs
side by side interleave, each naming its run."""
