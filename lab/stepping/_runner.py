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

import errno
import socket
import struct
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from ipaddress import ip_address
from pathlib import Path
from typing import Final

from lab._addresses import Family, SocketAddress
from lab._errors import SteppingError
from lab.kernel._lab import Lab
from lab.stepping._inject import STRAY_PORT, inject
from lab.stepping._observer import Observer
from lab.stepping._profile import apply_sysctls
from lab.stepping._stepper import HeldSegment, Stepper
from lab.tcp._names import Role, TcpState
from lab.tcp._observed import Observation, ObservedAction, ObservedSegment, StateSnapshot
from lab.tcp._record import RunRecord, initial_sequence_numbers
from lab.tcp._spec import Action, DocumentedSegment, Scenario

DATA = b"hello"
URGENT = b"!"
MAX_DATA = 1400
"""The most bytes one "sends data" sends: what one segment carries over IPv4 and IPv6 on the
lab's links (MTU 1500, timestamps on), so that a documented len=100 stays one segment."""
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
TWO_SEGMENTS = 2000
"""Bytes "sends two segments" writes at once: more than one segment (at most 1448 bytes over
IPv4, 1428 over IPv6, timestamps on) and less than two."""
READ_SIZE = 65536
"""Bytes asked for by each read of "reads data" (it reads until nothing is left)."""
SELF_ENDING_TIMERS: Final = frozenset({"timewait"})
"""Kernel timers (as ``ss -o`` names them) that end their state on their own, with no
segment: TIME-WAIT's, and an orphaned FIN-WAIT-2's (a closed socket waiting for its
peer's FIN, ``net.ipv4.tcp_fin_timeout``). --wait-timers waits these out."""


@dataclass
class ScenarioSockets:
    """The sockets of one scenario: the server's listener and both ends of the connection."""

    lab: Lab
    hosts: Mapping[Role, str]
    """The lab host that plays each role."""
    family: Family
    port: int
    listener: socket.socket | None = None
    conn: dict[Role, socket.socket] = field(default_factory=dict)

    def address(self, role: Role) -> str:
        return self.lab[self.hosts[role]].address(self.family.version)

    def stray_ends(self) -> dict[Role, SocketAddress]:
        """Each role's address and port for a segment injected before any connection:
        the server's port, and on the client a port no socket of the scenario uses."""
        ports = {Role.CLIENT: STRAY_PORT, Role.SERVER: self.port}
        return {role: (ip_address(self.address(role)), ports[role]) for role in Role}

    def close(self) -> None:
        for sock in [*self.conn.values(), *([self.listener] if self.listener else [])]:
            sock.close()
        self.conn.clear()
        self.listener = None

    def perform(self, action: Action) -> Callable[[], str]:
        """A call that does `action` and says what came of it (``connected``, ``ECONNREFUSED``)."""
        verb = VERBS.get(action.verb)
        if verb is None:
            raise SteppingError(
                f"the runner cannot perform {action.verb!r}; it knows: {', '.join(VERBS)}"
            )

        def call() -> str:
            try:
                if action.size is not None and action.verb == "sends data":
                    return self.sends_data(action.actor, action.size)
                return verb(self, action.actor)
            except OSError as error:
                return errno.errorcode.get(error.errno or 0, str(error))

        return call

    # --- the action vocabulary of tables.yaml, one method per verb (see VERBS) --------

    def listens(self, role: Role) -> str:
        sock = self.lab[self.hosts[role]].open_socket(self.family.af)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.address(role), self.port))
        sock.listen(8)
        self.listener = sock
        return f"listening on port {self.port}"

    def connects_its_listener(self, role: Role) -> str:
        """connect() on the role's listening socket (RFC 9293's LISTEN → SYN-SENT on a send):
        Linux refuses it; the result is the errno, and no SYN leaves."""
        if self.listener is None:
            raise SteppingError(
                f"{role} connects its listener, but it has none: add '{role} listens' before it"
            )
        code = self.listener.connect_ex((self.address(role.peer), self.port))
        return errno.errorcode.get(code, str(code)) if code else "connected"

    def _connect(self, role: Role, port: int) -> str:
        sock = self.lab[self.hosts[role]].open_socket(self.family.af)
        sock.setblocking(False)
        self.conn[role] = sock
        code = sock.connect_ex((self.address(role.peer), port))
        return errno.errorcode.get(code, str(code)) if code else "connected"

    def connects(self, role: Role) -> str:
        return self._connect(role, self.port)

    def connects_to_a_closed_port(self, role: Role) -> str:
        return self._connect(role, self.port + 1)

    def accepts(self, role: Role) -> str:
        if self.listener is None:
            raise SteppingError(
                f"{role} accepts, but nobody listens: add '{role} listens' before it"
            )
        self.listener.settimeout(2.0)
        sock, peer = self.listener.accept()
        sock.setblocking(False)
        self.conn[role] = sock
        return f"accepted {peer[0]} port {peer[1]}"

    def sends_data(self, role: Role, size: int | None = None) -> str:
        """Send a few bytes, or `size` (at most `MAX_DATA`, so that they fit one segment)."""
        data = DATA if size is None else b"x" * min(size, MAX_DATA)
        return f"sent {self._sock(role).send(data)} bytes"

    def sends_two_segments(self, role: Role) -> str:
        """One write of `TWO_SEGMENTS` bytes: more than one segment holds on the lab's links,
        so two leave at once (a full one, then the rest), neither waiting for an ACK."""
        return f"sent {self._sock(role).send(b'x' * TWO_SEGMENTS)} bytes"

    def sends_urgent_data(self, role: Role) -> str:
        return f"sent {self._sock(role).send(URGENT, socket.MSG_OOB)} urgent byte"

    def reads_data(self, role: Role) -> str:
        """Read all that arrived, urgent byte included, so that a later close sends FIN, not RST.

        Urgent data stays out of band (no SO_OOBINLINE: the socket behaves as the kernel's
        defaults make it), so it is read with MSG_OOB, first: once an ordinary read has
        passed the urgent byte, the kernel forgets it. An ordinary read skips that byte
        and frees the buffer that held it, so nothing is left unread either way.
        """
        sock = self._sock(role)
        urgent = _read_urgent(sock)
        read = 0
        while True:
            try:
                chunk = sock.recv(READ_SIZE, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            if not chunk:
                break  # the peer's FIN: nothing more will come
            read += len(chunk)
        said = f"read {read} bytes"
        return f"{said} and {urgent} urgent byte" if urgent else said

    def closes(self, role: Role) -> str:
        if role in self.conn:
            self.conn.pop(role).close()
        elif self.listener is not None:
            self.listener.close()
            self.listener = None
        return "closed"

    def shuts_down_writing(self, role: Role) -> str:
        """shutdown(SHUT_WR): a FIN goes, and the socket still reads what the peer sends."""
        self._sock(role).shutdown(socket.SHUT_WR)
        return "shut down writing"

    def aborts(self, role: Role) -> str:
        sock = self._sock(role)
        del self.conn[role]
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        return "closed with SO_LINGER {1, 0}"

    def _sock(self, role: Role) -> socket.socket:
        try:
            return self.conn[role]
        except KeyError:
            raise SteppingError(f"{role} has no connection yet: connect or accept first") from None


def _read_urgent(sock: socket.socket) -> int:
    """Read the urgent byte if one is waiting (MSG_OOB); how many were read (0 or 1)."""
    try:
        return len(sock.recv(1, socket.MSG_OOB | socket.MSG_DONTWAIT))
    except OSError:  # EINVAL: no urgent byte (or read already); EAGAIN: not arrived yet
        return 0


VERBS: Final[dict[str, Callable[[ScenarioSockets, Role], str]]] = {
    "listens": ScenarioSockets.listens,
    "connects": ScenarioSockets.connects,
    "connects to a closed port": ScenarioSockets.connects_to_a_closed_port,
    "connects its listener": ScenarioSockets.connects_its_listener,
    "accepts": ScenarioSockets.accepts,
    "sends data": ScenarioSockets.sends_data,
    "sends two segments": ScenarioSockets.sends_two_segments,
    "sends urgent data": ScenarioSockets.sends_urgent_data,
    "reads data": ScenarioSockets.reads_data,
    "closes": ScenarioSockets.closes,
    "shuts down writing": ScenarioSockets.shuts_down_writing,
    "aborts": ScenarioSockets.aborts,
}
"""Every action verb a scenario may use, and what the runner does for it."""


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
) -> ScenarioRun:
    """Run `scenario` in `lab` with every segment held and released in turn.

    `client` and `server` name the lab hosts that play the roles. With
    `wait_timers`, `on_wait` hears how each wait stands, about four times a
    second (a countdown for people who would otherwise wait a minute in
    silence). Without
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
                stopped = _run_script(stepper, sockets, scenario, timeline, segment_timeout)
            timeline += stepper.settle()  # anything the documentation does not list
            ending = final = stepper.states()
            ss: dict[str, str] = {role: stepper.ss(role) for role in Role}
            if wait_timers:
                waited = _wait_out_timers(stepper, scenario, ending, on_wait)
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
            held: HeldSegment | None = inject(stepper, sockets.stray_ends(), item)
        else:
            held = _next_segment(stepper, item.sender, timeout, skip=item.overtakes)
        if held is None:
            return ""  # judged as "not observed" from here on
        if item.lost:  # drawn lost: dropped; TCP resends it on its timer
            timeline.append(held.drop())
            timeout = max(segment_timeout, RETRANSMIT_TIMEOUT)
            continue
        timeout = segment_timeout
        if n + 1 < len(steps) and isinstance(steps[n + 1], Action):
            _wait_for_a_tick()  # the action answers it: give it a whole tick
        timeline.append(held.release(ce=item.ce))
    return ""


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
) -> dict[str, float]:
    """Wait, for real, until each timed state ends; the seconds each still lasted.

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


def _ends_on_its_own(snapshot: StateSnapshot) -> bool:
    """Whether a kernel timer will end this state with no segment and no application call."""
    return snapshot.timer.partition(",")[0] in SELF_ENDING_TIMERS
