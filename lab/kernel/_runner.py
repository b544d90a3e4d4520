"""Running a documented scenario on real sockets, one held segment at a time.

The spec's scripts are data: application actions ("server listens", "client
closes") and documented segments. `run_scenario` performs each action on real
kernel sockets in the lab's hosts through the `Stepper`, so the segments it
causes stay held, and takes the next held segment for each documented one.
What comes out is the timeline of observations that `lab.tcp.judge` compares
with the documentation.
"""

from __future__ import annotations

import errno
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lab._errors import LabError
from lab.kernel._lab import Lab
from lab.kernel._observer import Observer
from lab.kernel._stepper import Stepper
from lab.tcp._observed import Observation, ObservedAction, StateSnapshot
from lab.tcp._spec import Action, Scenario

CLIENT, SERVER = "client", "server"
DATA = b"hello"
URGENT = b"!"
_FAMILY_NAMES = {socket.AF_INET: "IPv4", socket.AF_INET6: "IPv6"}
TIME_WAIT_LIMIT = 75.0
"""Seconds --wait-timers waits for TIME-WAIT to end (Linux holds it a fixed 60 s)."""


@dataclass
class Endpoints:
    """The sockets of one scenario: the server's listener and both ends of the connection."""

    lab: Lab
    family: socket.AddressFamily
    port: int
    listener: socket.socket | None = None
    conn: dict[str, socket.socket] = field(default_factory=dict)

    def address(self, role: str) -> str:
        return self.lab[role].address(6 if self.family == socket.AF_INET6 else 4)

    def close(self) -> None:
        for sock in [*self.conn.values(), *([self.listener] if self.listener else [])]:
            sock.close()
        self.conn.clear()
        self.listener = None

    # --- the action vocabulary of tables.yaml, one method per verb ------------------

    def listens(self, role: str) -> str:
        sock = self.lab[role].open_socket(self.family)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.address(role), self.port))
        sock.listen(8)
        self.listener = sock
        return f"listening on port {self.port}"

    def _connect(self, role: str, port: int) -> str:
        peer = SERVER if role == CLIENT else CLIENT
        sock = self.lab[role].open_socket(self.family)
        sock.setblocking(False)
        self.conn[role] = sock
        code = sock.connect_ex((self.address(peer), port))
        return errno.errorcode.get(code, str(code)) if code else "connected"

    def connects(self, role: str) -> str:
        return self._connect(role, self.port)

    def connects_to_a_closed_port(self, role: str) -> str:
        return self._connect(role, self.port + 1)

    def accepts(self, role: str) -> str:
        if self.listener is None:
            raise LabError(f"{role} accepts, but nobody listens: add '{role} listens' before it")
        self.listener.settimeout(2.0)
        sock, peer = self.listener.accept()
        sock.setblocking(False)
        self.conn[role] = sock
        return f"accepted {peer[0]} port {peer[1]}"

    def sends_data(self, role: str) -> str:
        return f"sent {self._sock(role).send(DATA)} bytes"

    def sends_urgent_data(self, role: str) -> str:
        return f"sent {self._sock(role).send(URGENT, socket.MSG_OOB)} urgent byte"

    def closes(self, role: str) -> str:
        if role in self.conn:
            self.conn.pop(role).close()
        else:
            self._close_listener()
        return "closed"

    def aborts(self, role: str) -> str:
        sock = self.conn.pop(role)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        return "closed with SO_LINGER {1, 0}"

    def _close_listener(self) -> None:
        if self.listener is not None:
            self.listener.close()
            self.listener = None

    def _sock(self, role: str) -> socket.socket:
        try:
            return self.conn[role]
        except KeyError:
            raise LabError(f"{role} has no connection yet: connect or accept first") from None

    def perform(self, action: Action) -> Callable[[], str]:
        method = getattr(self, action.verb.replace(" ", "_"), None)
        if method is None:
            raise LabError(f"the runner has no implementation of {action.verb!r}")

        def call() -> str:
            try:
                return str(method(action.actor))
            except OSError as error:
                return errno.errorcode.get(error.errno or 0, str(error))

        return call


@dataclass(frozen=True)
class ScenarioRun:
    """What running one scenario over one address family observed."""

    scenario: Scenario
    family: str
    """``IPv4`` or ``IPv6``."""
    timeline: tuple[Observation, ...]
    final: dict[str, StateSnapshot]
    """Both roles' states when the script ended (timers included)."""
    waited: dict[str, float]
    """For --wait-timers: seconds each timed state still lasted after the script ended."""
    pcap: Path | None
    seconds: float
    ss: dict[str, str] = field(default_factory=dict)
    """What the real ``ss -tanoi`` printed on each role's host when the script ended."""


def run_scenario(
    lab: Lab,
    scenario: Scenario,
    *,
    family: socket.AddressFamily = socket.AF_INET,
    port: int = 8080,
    pcap: Path | None = None,
    wait_timers: bool = False,
    segment_timeout: float = 1.0,
    stepping: bool = True,
) -> ScenarioRun:
    """Run `scenario` in `lab` with every segment held and released in turn.

    Without `stepping` (plain mode) nothing is held: segments come from the
    capture and states are read only after each action, so the verdict names
    the documented states that could not be seen.
    """
    if not stepping:
        return _run_plain(lab, scenario, family=family, port=port, pcap=pcap)
    start = time.monotonic()
    endpoints = Endpoints(lab, family, port)
    timeline: list[Observation] = []
    waited: dict[str, float] = {}
    try:
        with Stepper(lab, client=CLIENT, server=SERVER, port=port, pcap=pcap) as stepper:
            for action in scenario.setup:
                stepper.act(action.actor, endpoints.perform(action))
                stepper.settle()
            for item in scenario.script:
                if isinstance(item, Action):
                    result = stepper.act(item.actor, endpoints.perform(item))
                    timeline.append(ObservedAction(item.actor, item.verb, result, stepper.states()))
                    continue
                held = stepper.next_segment(timeout=segment_timeout)
                if held is None:
                    break  # judged as "not observed" from here on
                timeline.append(held.release())
            timeline += stepper.settle()  # anything the documentation does not list
            final = stepper.states()
            ss = {role: stepper.ss(role) for role in (CLIENT, SERVER)}
            if wait_timers:
                waited = _wait_out_timers(stepper, scenario)
                final = stepper.states()
            pcap_path = stepper.pcap_path
    finally:
        endpoints.close()
    return ScenarioRun(
        scenario, _FAMILY_NAMES[family], tuple(timeline), final, waited, pcap_path,
        time.monotonic() - start, ss,
    )  # fmt: skip


def _run_plain(
    lab: Lab, scenario: Scenario, *, family: socket.AddressFamily, port: int, pcap: Path | None
) -> ScenarioRun:
    start = time.monotonic()
    endpoints = Endpoints(lab, family, port)
    actions: list[tuple[int, ObservedAction]] = []
    try:
        with Observer(lab, client=CLIENT, server=SERVER, port=port, pcap=pcap) as observer:
            for action in scenario.setup:
                with lab[action.actor].netns.entered():
                    endpoints.perform(action)()
                observer.quiet()
            observer.forget_so_far()
            for item in scenario.script:
                if isinstance(item, Action):
                    with lab[item.actor].netns.entered():
                        result = endpoints.perform(item)()
                    observer.quiet()
                    actions.append(
                        (
                            len(observer.segments()),
                            ObservedAction(item.actor, item.verb, result, observer.states()),
                        )
                    )
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
            ss = {role: observer.ss(role) for role in (CLIENT, SERVER)}
            pcap_path = observer.pcap_path
    finally:
        endpoints.close()
    return ScenarioRun(
        scenario, _FAMILY_NAMES[family], tuple(timeline), final, {}, pcap_path,
        time.monotonic() - start, ss,
    )  # fmt: skip


def _wait_out_timers(stepper: Stepper, scenario: Scenario) -> dict[str, float]:
    """Wait, for real, until each timed state of the scenario ends; seconds each still took."""
    waited: dict[str, float] = {}
    for timer in scenario.timers:
        begin = time.monotonic()
        while stepper.states()[timer.role].state == timer.state:
            if time.monotonic() - begin > TIME_WAIT_LIMIT:
                break
            time.sleep(0.25)
        waited[timer.role] = time.monotonic() - begin
    return waited
