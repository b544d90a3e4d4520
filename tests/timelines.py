"""Synthetic timelines for the verdict and report tests, as the stepper would record them.

snaps("SYN-SENT LISTEN")                     both roles' states, client first
seg(1, "client -> server S", before, after)  an observed segment
act("client closes", states)                 an observed application action
OPEN, CLOSE, CLOSE_FINAL                     the open and the close as Linux does them
judged(name, timeline)                       `judge` on the packaged spec's scenario
replaced(timeline, index, item)              the timeline with one observation changed
as_documented(scenario)                      what a kernel doing just what is documented does
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lab.tcp import (
    ROLES,
    Action,
    DocumentedSegment,
    Observation,
    ObservedAction,
    ObservedSegment,
    Role,
    Scenario,
    ScenarioVerdict,
    StateSnapshot,
    TcpFlag,
    TcpState,
    judge,
    load_spec,
)
from lab.tcp._options import TcpOption
from lab.tcp._segment_claims import CE

SPEC = load_spec()
ECT0 = 0b10
TIME_WAIT_TIMER = "timewait,59sec,0"


def snaps(states: str, timer: str = TIME_WAIT_TIMER) -> dict[str, StateSnapshot]:
    """``snaps("SYN-SENT LISTEN")``: the client's state, then the server's.

    A role in TIME-WAIT gets `timer`, as sock_diag shows it; ``-`` leaves a role out.
    """
    found: dict[str, StateSnapshot] = {}
    for role, name in zip(ROLES, states.split(), strict=True):
        if name != "-":
            state = TcpState.parse(name)
            found[role] = StateSnapshot(state, timer if state is TcpState.TIME_WAIT else "")
    return found


def seg(n: int, line: str, before: str, after: str) -> ObservedSegment:
    """``seg(1, "client -> server S", "SYN-SENT LISTEN", "SYN-SENT SYN-RECEIVED")``."""
    sender, _, receiver, flags = line.split()
    return ObservedSegment(
        n,
        Role(sender),
        Role(receiver),
        TcpFlag.parse(flags),
        1000 + n,
        2000 + n,
        0,
        snaps(before),
        snaps(after),
    )


def act(line: str, states: str, result: str = "") -> ObservedAction:
    actor, _, verb = line.partition(" ")
    return ObservedAction(Role(actor), verb, result, snaps(states))


# What Linux does, as the stepper would record it.
OPEN: list[Observation] = [
    act("server listens", "CLOSED LISTEN", "listening on port 8080"),
    act("client connects", "SYN-SENT LISTEN", "EINPROGRESS"),
    seg(1, "client -> server S", "SYN-SENT LISTEN", "SYN-SENT SYN-RECEIVED"),
    seg(2, "server -> client SA", "SYN-SENT SYN-RECEIVED", "ESTABLISHED SYN-RECEIVED"),
    seg(3, "client -> server A", "ESTABLISHED SYN-RECEIVED", "ESTABLISHED ESTABLISHED"),
]
CLOSE: list[Observation] = [
    act("client closes", "FIN-WAIT-1 ESTABLISHED", "closed"),
    seg(1, "client -> server FA", "FIN-WAIT-1 ESTABLISHED", "FIN-WAIT-1 CLOSE-WAIT"),
    seg(2, "server -> client A", "FIN-WAIT-1 CLOSE-WAIT", "FIN-WAIT-2 CLOSE-WAIT"),
    act("server closes", "FIN-WAIT-2 LAST-ACK", "closed"),
    seg(3, "server -> client FA", "FIN-WAIT-2 LAST-ACK", "TIME-WAIT LAST-ACK"),
    seg(4, "client -> server A", "TIME-WAIT LAST-ACK", "TIME-WAIT CLOSED"),
]
CLOSE_FINAL = snaps("TIME-WAIT CLOSED")


def judged(name: str, timeline: Sequence[Observation], **options: Any) -> ScenarioVerdict:
    """`judge` on the packaged spec's scenario `name`."""
    return judge(SPEC.scenarios[name], timeline, **options)


def replaced(timeline: Sequence[Observation], index: int, item: Observation) -> list[Observation]:
    changed = list(timeline)
    changed[index] = item
    return changed


def as_documented(scenario: Scenario) -> list[Observation]:
    """The timeline of a kernel that does exactly what `scenario` documents, nothing more.

    Segments come a millisecond apart, or as long after the one before as ``after:``
    says; each carries the options documented present (with their number, if written),
    arrives CE-marked if documented so, and is injected if documented so.
    """
    now: dict[str, StateSnapshot] = {role: StateSnapshot(TcpState.CLOSED) for role in ROLES}
    timeline: list[Observation] = []
    clock = 0.0
    # A state a documented timer ends shows a countdown of its documented length, if any.
    timed: dict[tuple[str, TcpState], str] = {
        (t.role, t.state): f"timewait,{t.lasts:g}sec,0" for t in scenario.timers if t.lasts
    }

    def snaps_one(role: str, state: TcpState) -> StateSnapshot:
        timer = timed.get((role, state), TIME_WAIT_TIMER if state is TcpState.TIME_WAIT else "")
        return StateSnapshot(state, timer)

    for item in scenario.script:
        if isinstance(item, Action):
            now.update({r: snaps_one(r, s) for r, s in item.states.items()})
            timeline.append(ObservedAction(item.actor, item.verb, item.result or "", dict(now)))
            continue
        if not isinstance(item, DocumentedSegment):
            continue
        # The sender moves before its segment leaves, the receiver once it has processed it.
        now.update({r: snaps_one(r, s) for r, s in item.states.items() if r == item.sender})
        before = dict(now)
        now.update({r: snaps_one(r, s) for r, s in item.states.items() if r != item.sender})
        n = len(timeline) + 1
        clock += item.after.seconds if item.after else 0.001
        timeline.append(
            ObservedSegment(
                n,
                item.sender,
                item.receiver,
                item.flags,
                n,
                n,
                0,
                before,
                dict(now),
                time=clock,
                dropped=item.lost,
                injected=item.inject is not None,
                ecn=CE if item.ce else ECT0,
                options=tuple(
                    TcpOption(claim.kind, claim.value)
                    for claim in item.options
                    if claim.present and claim.kind is not None
                ),
            )
        )
    return timeline
