"""Edges of RFC 9293's state diagram, as the tables show them, over IPv4 and IPv6.

Each scenario below is checked as documented and must also take the edges it
is there for, in the order the kernel took them; tables written wrong on
purpose (the textbook's version) fail at the step where they are wrong.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from lab import Lab, ScenarioCheck, check_scenario
from lab.tcp import DocumentedSegment, Role, TcpFlag, TcpState, load_spec
from lab.tcp._observed import ObservedAction, ObservedSegment
from lab.tcp._spec import ScriptItem

FAMILIES = ["IPv4", "IPv6"]
SPEC = load_spec()
S = TcpState

# scenario -> the edges (role, from, to) of RFC 9293's Figure 5 (and 3.10's resets) it shows.
EDGES: dict[str, list[tuple[Role, TcpState, TcpState]]] = {
    "simultaneous-close": [
        (Role.CLIENT, S.FIN_WAIT_1, S.CLOSING),
        (Role.CLIENT, S.CLOSING, S.TIME_WAIT),
        (Role.SERVER, S.FIN_WAIT_1, S.CLOSING),
        (Role.SERVER, S.CLOSING, S.TIME_WAIT),
    ],
    "three-segment-close": [
        (Role.CLIENT, S.FIN_WAIT_1, S.TIME_WAIT),
        (Role.SERVER, S.CLOSE_WAIT, S.LAST_ACK),
        (Role.SERVER, S.LAST_ACK, S.CLOSED),
    ],
    "reset-established": [(Role.CLIENT, S.ESTABLISHED, S.CLOSED)],
    "unread-data-reset": [
        (Role.SERVER, S.ESTABLISHED, S.CLOSED),
        (Role.CLIENT, S.ESTABLISHED, S.CLOSED),
    ],
    "half-close-receives": [
        (Role.CLIENT, S.ESTABLISHED, S.FIN_WAIT_1),
        (Role.CLIENT, S.FIN_WAIT_1, S.FIN_WAIT_2),
        (Role.CLIENT, S.FIN_WAIT_2, S.TIME_WAIT),
        (Role.SERVER, S.ESTABLISHED, S.CLOSE_WAIT),
    ],
    "syn-sent-close": [(Role.CLIENT, S.SYN_SENT, S.CLOSED)],
    "listen-close": [(Role.SERVER, S.CLOSED, S.LISTEN), (Role.SERVER, S.LISTEN, S.CLOSED)],
    "syn-retransmit": [
        (Role.CLIENT, S.SYN_SENT, S.ESTABLISHED),
        (Role.SERVER, S.LISTEN, S.SYN_RECEIVED),
    ],
    "fin-retransmit-last-ack": [
        (Role.SERVER, S.CLOSE_WAIT, S.LAST_ACK),
        (Role.SERVER, S.LAST_ACK, S.CLOSED),
    ],
}


def trajectory(check: ScenarioCheck, role: Role) -> list[TcpState]:
    """The states `role` went through, in order, each once per stay.

    From the start of the script, then each action's result and each segment's
    `after` (read in the order things happened; a segment's `before` is read
    when it was emitted, which may be earlier than the segment above it).
    """
    states = [check.run.start[role].state] if role in check.run.start else []
    for item in check.run.timeline:
        moment = item.states if isinstance(item, ObservedAction) else item.after
        if role in moment:
            states.append(moment[role].state)
    return [s for n, s in enumerate(states) if n == 0 or states[n - 1] != s]


def edges_taken(states: Sequence[TcpState]) -> set[tuple[TcpState, TcpState]]:
    return set(itertools.pairwise(states))


def test_every_edge_scenario_is_in_the_tables() -> None:
    assert set(EDGES) <= set(SPEC.scenarios)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("scenario", list(EDGES))
def test_each_scenario_takes_its_edges(
    tcp_scenario: Callable[..., ScenarioCheck], scenario: str, family: str
) -> None:
    check = tcp_scenario(scenario, family)
    check.assert_documented()
    for role, before, after in EDGES[scenario]:
        went = trajectory(check, role)
        assert (before, after) in edges_taken(went), f"{role}: {' → '.join(map(str, went))}"


def test_the_lost_syn_is_sent_again_after_about_a_second(
    tcp_scenario: Callable[..., ScenarioCheck],
) -> None:
    check = tcp_scenario("syn-retransmit", "IPv4")
    syns = [
        s for s in check.run.timeline if isinstance(s, ObservedSegment) and s.flags == TcpFlag.SYN
    ]
    assert [s.dropped for s in syns] == [True, False]
    first, again = (s.time for s in syns)
    assert first is not None
    assert again is not None
    assert 0.9 < again - first < 1.5  # RFC 6298's initial RTO of 1 s


@pytest.mark.parametrize("family", FAMILIES)
def test_connect_on_a_listening_socket_is_refused_and_sends_nothing(
    tcp_scenario: Callable[..., ScenarioCheck], family: str
) -> None:
    check = tcp_scenario("listen-connect", family)
    check.assert_documented()
    (refused,) = [
        a for a in check.run.timeline if isinstance(a, ObservedAction) and "listener" in a.verb
    ]
    assert refused.result == "EISCONN"
    assert refused.states[Role.SERVER].state is TcpState.LISTEN
    assert not [s for s in check.run.timeline if isinstance(s, ObservedSegment)]


# --- tables written wrong on purpose ------------------------------------------------------


def rewritten(
    name: str, change: Callable[[int, DocumentedSegment], DocumentedSegment | None]
) -> tuple[ScriptItem, ...]:
    """The script of `name`, each segment (numbered from 1) changed or left out (None)."""
    script: list[ScriptItem] = []
    n = 0
    for item in SPEC.scenarios[name].script:
        if isinstance(item, DocumentedSegment):
            n += 1
            changed = change(n, item)
            if changed is not None:
                script.append(changed)
        else:
            script.append(item)
    return tuple(script)


def failing_steps(check: ScenarioCheck) -> list[int]:
    return [step.n for step in check.verdict.steps if not step.ok]


@pytest.mark.parametrize("family", FAMILIES)
def test_a_simultaneous_close_without_closing_fails_where_closing_is(
    lab: Lab, tmp_path: Path, family: str
) -> None:
    # The textbook's four-way close, where the crossing FINs would go through FIN-WAIT-2.
    def without_closing(_n: int, seg: DocumentedSegment) -> DocumentedSegment:
        states: dict[str, TcpState] = {
            r: S.FIN_WAIT_2 if s is S.CLOSING else s for r, s in seg.states.items()
        }
        return dataclasses.replace(seg, states=states)

    documented = SPEC.scenarios["simultaneous-close"]
    closing_at = [
        n for n, seg in enumerate(documented.segments, 1) if S.CLOSING in seg.states.values()
    ]
    wrong = dataclasses.replace(documented, script=rewritten(documented.name, without_closing))
    check = check_scenario(lab, wrong, family=family, pcap=tmp_path / "wrong.pcap")
    assert failing_steps(check) == closing_at == [1, 2, 3, 4]
    for step in check.verdict.steps:
        assert all("is CLOSING" in p and "documented FIN-WAIT-2" in p for p in step.problems)
    with pytest.raises(AssertionError, match="FIN-WAIT-2"):
        check.assert_documented()


@pytest.mark.parametrize(
    ("order", "problem"),
    [
        pytest.param(
            "lost SYN+ACK SYN ACK",
            "step 2: not observed: documented server → client SYN+ACK",
            id="after-the-syn-ack",
        ),
        pytest.param(
            "lost SYN+ACK ACK",
            "step 2: not in the documentation: client → server SYN, between steps 1 and 3",
            id="left-out",
        ),
    ],
)
def test_a_retransmitted_syn_documented_in_the_wrong_place_fails_there(
    lab: Lab, tmp_path: Path, order: str, problem: str
) -> None:
    documented = SPEC.scenarios["syn-retransmit"]
    lost, again, syn_ack, ack = documented.segments
    by_name = {"lost": lost, "SYN": again, "SYN+ACK": syn_ack, "ACK": ack}
    actions = [item for item in documented.script if not isinstance(item, DocumentedSegment)]
    segments = [by_name[name] for name in order.split()]
    wrong = dataclasses.replace(documented, script=(*actions, *segments))
    check = check_scenario(lab, wrong, pcap=tmp_path / "wrong.pcap")
    assert check.verdict.problems[0].startswith(problem), check.verdict.problems
    assert check.verdict.steps[0].ok  # the lost SYN is where it was documented
