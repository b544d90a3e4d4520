"""Which state changes a judged run went through, what made each, and the edge it takes.

    transitions(verdict)          # (Transition(server, CLOSED → LISTEN, listens), ...)
    edges_shown(verdict)          # the `lab.tcp._edges` edges those changes take

The run is read in the order the report shows it: the script's actions, each
step (the segment's sender while it is in flight, the receiver once it has
processed it), then the timers. Each role's state is followed from where the
script began (`ScenarioVerdict.start`; both CLOSED for a scenario without
setup, a fresh lab having no socket). A change is put down to the event at
which it was first seen:

* right after an application action: the action, for the role that acted; but
  right after an action that only waits (`lab.tcp._edges.WAITS`), a timer, for
  either role (nothing is delivered while it waits);
* while a segment is in flight, for its sender: the segment sent (its flags), unless
  the runner injected it (then the sender sent nothing);
* once a segment was processed, for its receiver: the segment received, injected or not
  (an injected RST in TIME-WAIT takes TIME-WAIT's RST edge like a real one);
* a timer the run waited out, that ended its state as documented: the timer.

Any other change (a role that moved at the other's action, a receiver of a
dropped segment) is kept with no event, and takes no edge. Only what the
kernel showed counts, documented or not.

A segment's in-flight states were read when its sender emitted it, which may be
before segments released ahead of it were processed (the SYNs of a simultaneous
open cross: the second was emitted before the first arrived). Such a snapshot
that shows a role back in a state it has already left is out of date, and is
skipped rather than read as a change back. Pure: no kernel access.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lab.tcp._edges import EDGES, LINUX_EDGES, WAITS, Edge, Event
from lab.tcp._names import Role, TcpState
from lab.tcp._observed import StateSnapshot
from lab.tcp._spec import ROLES
from lab.tcp._verdict import ActionStep, ScenarioVerdict, StepVerdict, TimerVerdict

__all__ = ["Transition", "edges_shown", "transitions"]


@dataclass(frozen=True)
class Transition:
    """`role` went from `source` to `target` at `event` (None: no observed event explains it)."""

    role: Role
    source: TcpState
    target: TcpState
    event: Event | None
    where: str
    """Where in the run: ``after 'server listens'``, ``step 2``, ``client's timer``."""

    @property
    def edge(self) -> Edge | None:
        """The edge of the state diagram this change takes, if any."""
        if self.event is None:
            return None
        event = self.event
        return next(
            (
                e
                for e in (*EDGES, *LINUX_EDGES)
                if (e.source, e.target) == (self.source, self.target) and e.takes(event)
            ),
            None,
        )

    def __str__(self) -> str:
        return f"{self.role}: {self.source} → {self.target} ({self.event or 'no event'})"


class _Follower:
    """Each role's state so far, and the changes found."""

    def __init__(self, start: Mapping[str, TcpState]) -> None:
        self.now: dict[str, TcpState] = dict(start)
        self.left: dict[str, set[TcpState]] = {role: set() for role in start}
        """The states each role has been in and left since the start."""
        self.found: list[Transition] = []

    def see(
        self,
        role: Role,
        snapshot: StateSnapshot | None,
        event: Event | None,
        where: str,
        *,
        in_flight: bool = False,
    ) -> None:
        """`role` is seen in `snapshot`; a change from the last state seen is due to `event`.

        `in_flight`: the snapshot was read when a segment was emitted, and is skipped if
        it shows a state the role has left since (see the module docstring).
        """
        if snapshot is None:
            return
        last = self.now.get(role)
        if in_flight and snapshot.state in self.left.get(role, ()):
            return
        if last is not None and last != snapshot.state:
            self.found.append(Transition(role, last, snapshot.state, event, where))
            self.left.setdefault(role, set()).add(last)
        self.now[role] = snapshot.state

    def action(self, action: ActionStep) -> None:
        where = f"after '{action}'"
        called = Event.action(action.verb)
        for role in ROLES:
            event = called if role == action.actor else None
            if WAITS.matches(called):
                event = Event.timer()
            self.see(role, action.states.get(role), event, where)

    def step(self, step: StepVerdict) -> None:
        segment = step.segment
        if segment is None:
            return
        where = f"step {step.n}"
        sender, receiver = segment.sender, segment.receiver
        # An injected segment is the runner's, not the sender's kernel's: it moves no one.
        sent = None if segment.injected else Event.sent(segment.flags)
        self.see(sender, segment.before.get(sender), sent, where, in_flight=True)
        self.see(receiver, segment.before.get(receiver), None, where, in_flight=True)
        received = None if segment.dropped else Event.received(segment.flags)
        self.see(receiver, segment.after.get(receiver), received, where)
        self.see(sender, segment.after.get(sender), None, where)

    def timer(self, timer: TimerVerdict) -> None:
        # Only a timer waited out that ended its state as documented shows the change.
        if timer.waited and timer.ok and timer.observed_state is timer.then:
            self.now.setdefault(timer.role, timer.state)
            self.see(timer.role, StateSnapshot(timer.then), Event.timer(), f"{timer.role}'s timer")


def transitions(verdict: ScenarioVerdict) -> tuple[Transition, ...]:
    """Every state change of either role in the run, in order (see the module docstring)."""
    start = {role: snapshot.state for role, snapshot in verdict.start.items()}
    if not start and not any(a.setup for a in verdict.actions):
        start = dict.fromkeys(ROLES, TcpState.CLOSED)  # a fresh lab: no socket yet
    follower = _Follower(start)
    script = [a for a in verdict.actions if not a.setup]
    for step in verdict.steps:
        for action in script:
            if action.before_step == step.n:
                follower.action(action)
        follower.step(step)
    for action in script:
        if action.before_step > len(verdict.steps):
            follower.action(action)
    for timer in verdict.timers:
        follower.timer(timer)
    return tuple(follower.found)


def edges_shown(verdict: ScenarioVerdict) -> tuple[Edge, ...]:
    """The edges the run's state changes take, each once, in the order of `EDGES` (RFC 9293's),
    then `LINUX_EDGES` (Linux's own)."""
    taken = {t.edge for t in transitions(verdict)}
    return tuple(edge for edge in (*EDGES, *LINUX_EDGES) if edge in taken)
