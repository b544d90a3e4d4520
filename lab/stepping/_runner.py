"""Running a documented scenario on real sockets, one held segment at a time.

The spec's scripts are data: application actions ("server listens", "client
closes") and documented segments. `run_scenario` performs each action on real
kernel sockets in the lab's hosts through the `Stepper`, where the script puts
it, and waits (with a bound) for the documented sender's next held segment
for each documented one, the other end's staying held: a delayed ACK is
simply a segment that comes later, and segments that may cross on the wire
are released in the documented order. What comes out is the timeline of
observations that `lab.tcp.judge` compares with the documentation, and the
states around it: at the start of the script (`ScenarioRun.start`), at its
end (`ending`), and after --wait-timers has waited out the timers (`final`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from lab._addresses import Family
from lab._errors import SteppingError
from lab.kernel._lab import Lab
from lab.stepping._inject import inject, stray_ends
from lab.stepping._observer import Observer
from lab.stepping._profile import apply_sysctls
from lab.stepping._sockets import VERBS, ScenarioSockets
from lab.stepping._stepper import HeldSegment, Stepper
from lab.tcp._edges import WAITS, Event
from lab.tcp._names import Role, TcpState
from lab.tcp._observed import Observation, ObservedAction, ObservedSegment, StateSnapshot
from lab.tcp._record import RunRecord, initial_sequence_numbers
from lab.tcp._spec import Action, DocumentedSegment, Scenario

__all__ = ["VERBS", "ScenarioRun", "TimerWait", "run_scenario"]  # VERBS: what lab._check asks

TIME_WAIT_LIMIT = 75.0
"""Seconds --wait-timers waits for TIME-WAIT to end (Linux holds it a fixed 60 s)."""
SEGMENT_TIMEOUT = 1.0
"""Seconds to wait for the next documented segment before calling it not observed."""
RETRANSMIT_TIMEOUT = 3.5
"""Seconds to wait for the segment after one the documentation draws lost: TCP resends
after its retransmission timeout, 1 s for a SYN, and at least 200 ms for anything else."""
ORDER_GRACE = 0.1
"""Seconds the documented sender may take to send while the other end's segment is held.

Long enough for a delayed ACK at its usual 40 ms, short enough that the held segment is
not retransmitted (Linux's RTO is at least 200 ms): after it, the other end's goes first."""
_COARSE_CLOCK: Final = 6
"""CLOCK_MONOTONIC_COARSE (Linux), which the time module does not name: kernel ticks."""
SHORT_TIMER: Final = 3.0
"""Seconds of a timer every run waits out, --wait-timers or not: a timer a scenario shortens
with a sysctl (an orphaned FIN-WAIT-2 with ``tcp_fin_timeout: 1``) is shown, not skipped."""
SELF_ENDING_TIMERS: Final = frozenset({"timewait"})
"""Kernel timers (as ``ss -o`` names them) that end their state on their own, with no
segment: TIME-WAIT's, and an orphaned FIN-WAIT-2's (a closed socket waiting for its
peer's FIN, ``net.ipv4.tcp_fin_timeout``). --wait-timers waits these out."""


@dataclass(frozen=True)
class TimerWait:
    """Where a wait for a timer stands (``wait_timers``): reported to `on_wait` as it goes."""

    role: Role
    state: TcpState
    """The timed state the role is in."""
    then: TcpState
    """The state the documentation says follows when the timer fires."""
    waited: float
    """Seconds waited so far."""
    left: float | None
    """Seconds the kernel's timer has left, as ``ss -o`` shows it; None if it shows none."""
    limit: float = TIME_WAIT_LIMIT
    """Seconds after which the wait gives up."""


@dataclass(frozen=True)
class ScenarioRun:
    """What running one scenario over one address family observed."""

    scenario: Scenario
    family: Family
    timeline: tuple[Observation, ...]
    final: dict[str, StateSnapshot]
    """Both roles' states when the run ended (after the waits of --wait-timers, if any)."""
    waited: dict[str, float]
    """For --wait-timers: seconds each timed state still lasted after the script ended."""
    pcap: Path | None
    seconds: float
    ss: dict[str, str] = field(default_factory=dict)
    """What the real ``ss -tanoi`` printed on each role's host when the script ended."""
    settings: dict[str, str] = field(default_factory=dict)
    """Sysctls set in both hosts beyond the kernel's defaults (the scenario's own)."""
    start: dict[str, StateSnapshot] = field(default_factory=dict)
    """Both roles' states once the setup was done and settled, before the script."""
    ending: dict[str, StateSnapshot] = field(default_factory=dict)
    """Both roles' states when the script and its settling ended, before any wait."""
    stopped: str = ""
    """Why the script stopped before its end, if it did: an action the sockets could not
    do there (``'server sends data' could not be done: server has no connection yet``)."""
    isn: dict[str, int] = field(default_factory=dict)
    """Each role's initial sequence number, from its SYN (setup or script); none if it sent none."""

    def record(self) -> RunRecord:
        """What this run observed, in pure terms (for judging a note's claims)."""
        return RunRecord(
            scenario=self.scenario,
            family=str(self.family),
            timeline=self.timeline,
            start=self.start,
            final=self.final,
            waited=self.waited,
            ending=self.ending,
            isn=self.isn,
        )


def run_scenario(
    lab: Lab,
    scenario: Scenario,
    *,
    family: Family | str = Family.IPV4,
    client: str = "client",
    server: str = "server",
    port: int = 8080,
    pcap: Path | None = None,
    wait_timers: bool = False,
    segment_timeout: float = SEGMENT_TIMEOUT,
    stepping: bool = True,
    on_wait: Callable[[TimerWait], None] | None = None,
    on_idle: Callable[[], None] | None = None,
) -> ScenarioRun:
    """Run `scenario` in `lab` with every segment held and released in turn.

    `client` and `server` name the lab hosts that play the roles. With
    `wait_timers`, `on_wait` hears how each wait stands, about four times a
    second (a countdown for people who would otherwise wait a minute in
    silence). `on_idle` hears that the run is about to wait a kernel timer out
    (a segment drawn lost, a ``waits for`` action): for what runs other work
    meanwhile (`lab check` starts the next run). Without
    `stepping` (plain mode) nothing is held: segments come from the capture
    and states are read only after each action, so the verdict names the
    documented states that could not be seen.
    """
    family = Family.parse(family)
    hosts = {Role.CLIENT: client, Role.SERVER: server}
    if not stepping:
        return _run_plain(lab, scenario, hosts=hosts, family=family, port=port, pcap=pcap)
    start = time.monotonic()
    sockets = ScenarioSockets(lab, hosts, family, port)
    timeline: list[Observation] = []
    setup: list[ObservedSegment] = []
    waited: dict[str, float] = {}
    stopped = ""
    try:
        with Stepper(
            lab, client=client, server=server, port=port, sysctls=scenario.sysctls, pcap=pcap
        ) as stepper:
            for action in scenario.setup:
                try:
                    stepper.act(action.actor, sockets.perform(action))
                except SteppingError as error:
                    stopped = f"the setup's '{action}' could not be done: {error}"
                    break
                setup += stepper.settle()
            started = stepper.states()
            if not stopped:
                stopped = _run_script(
                    stepper,
                    sockets,
                    scenario,
                    timeline,
                    segment_timeout,
                    on_idle=on_idle or _nothing,
                )
            timeline += stepper.settle()  # anything the documentation does not list
            ending = final = stepper.states()
            ss: dict[str, str] = {role: stepper.ss(role) for role in Role}
            longest = None if wait_timers else SHORT_TIMER
            waited = _wait_out_timers(stepper, scenario, ending, on_wait, longest=longest)
            if waited:
                final = stepper.states()
    finally:
        sockets.close()
    return ScenarioRun(
        scenario=scenario,
        family=family,
        timeline=tuple(timeline),
        final=final,
        waited=waited,
        pcap=pcap,
        seconds=time.monotonic() - start,
        ss=ss,
        settings=stepper.settings,
        start=started,
        ending=ending,
        isn=initial_sequence_numbers([*setup, *timeline]),
        stopped=stopped,
    )


def _run_script(
    stepper: Stepper,
    sockets: ScenarioSockets,
    scenario: Scenario,
    timeline: list[Observation],
    segment_timeout: float,
    *,
    on_idle: Callable[[], None],
) -> str:
    """Run the script's actions and segments in order, adding what happens to `timeline`.

    Returns why it stopped early ("" when it ran to its end or a segment never came): an
    action the sockets could not do there (data after a reset). What happened so far is
    judged; the rest is not observed.
    """
    # Claims are judged from the timeline; only actions and segments are run.
    steps = [i for i in scenario.script if isinstance(i, Action | DocumentedSegment)]
    timeout = segment_timeout
    for n, item in enumerate(steps):
        if isinstance(item, Action):
            if WAITS.matches(Event.action(item.verb)):  # it only waits for the kernel
                on_idle()
            try:
                result = stepper.act(item.actor, sockets.perform(item))
            except SteppingError as error:
                timeline.append(
                    ObservedAction(item.actor, item.verb, f"could not: {error}", stepper.states())
                )
                return f"'{item}' could not be done: {error}"
            timeline.append(ObservedAction(item.actor, item.verb, result, stepper.states()))
            continue
        if item.inject is not None:
            stray = stray_ends(sockets.address, sockets.port)
            try:
                held: HeldSegment | None = inject(stepper, stray, item)
            except SteppingError as error:  # judged as far as it went, like an action
                return f"'inject: {item}' could not be done: {error}"
        else:
            held = _next_segment(stepper, item.sender, timeout, skip=item.overtakes)
        if held is None:
            return ""  # judged as "not observed" from here on
        if item.lost:  # drawn lost: dropped; TCP resends it on its timer
            on_idle()
            timeline.append(held.drop())
            timeout = max(segment_timeout, RETRANSMIT_TIMEOUT)
            continue
        timeout = segment_timeout
        if n + 1 < len(steps) and isinstance(steps[n + 1], Action):
            _wait_for_a_tick()  # the action answers it: give it a whole tick
        timeline.append(held.release(ce=item.ce))
    return ""


def _nothing() -> None:
    """An `on_idle` that does nothing."""


def _wait_for_a_tick() -> None:
    """Return just after the kernel's clock ticks (a jiffy: 4 ms at HZ=250), within 20 ms.

    An application that acts on a segment as soon as it arrives (a close just after the
    peer's FIN) races the kernel's timers: a delayed ACK due "now" (ato 0, on an end that
    never received data) goes at the next tick, and then the close sends FIN alone instead
    of FIN+ACK. Releasing the segment just after a tick gives the action a whole tick,
    where it takes well under a millisecond. CLOCK_MONOTONIC_COARSE advances once a tick.
    """
    begin = time.clock_gettime(_COARSE_CLOCK)
    deadline = time.monotonic() + 0.02
    while time.clock_gettime(_COARSE_CLOCK) == begin and time.monotonic() < deadline:
        pass


def _next_segment(
    stepper: Stepper, sender: Role, timeout: float, *, skip: int = 0
) -> HeldSegment | None:
    """The documented sender's next held segment, or the other end's if that one must go first.

    With `skip` (a segment documented ``overtakes: N``), the sender's segment after its
    next `skip`, which stay held for the segments documented after it.

    The other end's segments stay held, in order, while the documented sender's next one
    is waited for: where the kernel lets either end go first (the ACKs of a simultaneous
    close cross on the wire), the documented order is the one that happens. But the other
    end's segment is held only for ORDER_GRACE: if the documented sender sends nothing by
    then, the kernel has done it another way (its segment may wait for the other's), and
    the other's is let go rather than held until TCP retransmits it. None: nothing came
    within `timeout`.
    """
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        held = stepper.poll(max(0.0, min(left, ORDER_GRACE)), sender=sender, skip=skip)
        if held is None:
            held = stepper.poll(sender=sender.peer)  # the other end's, if one waits
        if held is not None or left <= ORDER_GRACE:
            return held


def _run_plain(
    lab: Lab,
    scenario: Scenario,
    *,
    hosts: dict[Role, str],
    family: Family,
    port: int,
    pcap: Path | None,
) -> ScenarioRun:
    start = time.monotonic()
    apply_sysctls(tuple(lab[name] for name in hosts.values()), scenario.sysctls)
    sockets = ScenarioSockets(lab, hosts, family, port)
    actions: list[tuple[int, ObservedAction]] = []
    try:
        with Observer(
            lab, client=hosts[Role.CLIENT], server=hosts[Role.SERVER], port=port, pcap=pcap
        ) as observer:
            for action in scenario.setup:
                with lab[hosts[action.actor]].netns.entered():
                    sockets.perform(action)()
                observer.quiet()
            setup = observer.segments()
            started = observer.states()
            observer.forget_so_far()
            for item in scenario.script:
                if isinstance(item, Action):
                    caused_from = len(observer.segments())  # it goes before what it causes
                    with lab[hosts[item.actor]].netns.entered():
                        result = sockets.perform(item)()
                    observer.quiet()
                    observed = ObservedAction(item.actor, item.verb, result, observer.states())
                    actions.append((caused_from, observed))
            observer.quiet()
            timeline: list[Observation] = []
            seen = observer.segments()
            done = 0
            for before, observed in actions:  # actions in place, between the segments
                timeline += seen[done:before]
                timeline.append(observed)
                done = before
            timeline += seen[done:]
            final = observer.states()
            ss: dict[str, str] = {role: observer.ss(role) for role in Role}
    finally:
        sockets.close()
    return ScenarioRun(
        scenario=scenario,
        family=family,
        timeline=tuple(timeline),
        final=final,
        waited={},
        pcap=pcap,
        seconds=time.monotonic() - start,
        ss=ss,
        settings=dict(scenario.sysctls),
        start=started,
        ending=final,
        isn=initial_sequence_numbers([*setup, *timeline]),
    )


def _wait_out_timers(
    stepper: Stepper,
    scenario: Scenario,
    ending: Mapping[str, StateSnapshot],
    on_wait: Callable[[TimerWait], None] | None = None,
    *,
    longest: float | None = None,
) -> dict[str, float]:
    """Wait, for real, until each timed state ends; the seconds each still lasted.

    With `longest`, only the timers whose kernel countdown shows at most that many
    seconds left are waited for (what every run waits, `SHORT_TIMER`).
    The timed states are those the scenario documents (``timers`` in the tables) and,
    for any other role, a state the script ended in whose kernel timer ends it on its
    own (`SELF_ENDING_TIMERS`: TIME-WAIT, an orphaned FIN-WAIT-2), which then CLOSES.
    Every wait counts from the end of the script, so a second timer that ran out while
    the first was waited for is not counted short.
    """
    timed = [(timer.role, timer.state, timer.then) for timer in scenario.timers]
    documented = {role for role, _, _ in timed}
    timed += [
        (role, snapshot.state, TcpState.CLOSED)
        for role in Role
        if role not in documented and _ends_on_its_own(snapshot := ending[role])
    ]
    if longest is not None:
        timed = [t for t in timed if _short(ending.get(t[0]), t[1], longest)]
    waited: dict[str, float] = {}
    begin = time.monotonic()
    for role, state, then in timed:
        while (snapshot := stepper.states()[role]).state == state:
            elapsed = time.monotonic() - begin
            if on_wait is not None:
                left = snapshot.timer_left  # the kernel's own countdown
                on_wait(TimerWait(role, state, then, elapsed, left))
            if elapsed > TIME_WAIT_LIMIT:
                break
            time.sleep(0.25)
        waited[role] = time.monotonic() - begin
    return waited


def _short(snapshot: StateSnapshot | None, state: TcpState, longest: float) -> bool:
    """Whether the role is in `state` with a kernel timer of at most `longest` s left."""
    if snapshot is None or snapshot.state != state or snapshot.timer_left is None:
        return False
    return snapshot.timer_left <= longest


def _ends_on_its_own(snapshot: StateSnapshot) -> bool:
    """Whether a kernel timer will end this state with no segment and no application call."""
    return snapshot.timer.partition(",")[0] in SELF_ENDING_TIMERS
