"""Scenarios of the application side (options, binding, results), over IPv4 and IPv6.

Each scenario appended under tables.yaml's "actions" comment holds as documented and
takes the RFC 9293 edges it is there for (as `lab.tcp._transitions` credits them);
written as the textbook's opposite, each fails at exactly the step or action where
the textbook is wrong, saying what the kernel did instead.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from lab import Lab, ScenarioCheck, check_scenario
from lab.tcp import Action, DocumentedSegment, Role, TcpFlag, TcpState, load_spec
from lab.tcp._observed import ObservedAction, ObservedSegment
from lab.tcp._spec import ScriptItem
from lab.tcp._transitions import edges_shown, transitions

FAMILIES = ["IPv4", "IPv6"]
SPEC = load_spec()
S = TcpState

# scenario -> the ids of the edges (lab.tcp._edges) its runs must take.
EDGES: dict[str, set[str]] = {
    "simultaneous-open": {"active-open", "simultaneous-open", "syn-received-ack"},
    "syn-received-close": {"simultaneous-open", "syn-received-close", "fin-wait-1-ack"},
    "fin-wait-1-rst": {"active-close", "established-abort", "fin-wait-1-rst"},
    "fin-wait-2-rst": {"active-close", "fin-wait-1-ack", "fin-wait-2-rst"},
    "close-wait-rst": {"passive-close", "close-wait-rst"},
    "last-ack-rst": {"close-wait-close", "last-ack-rst"},
    "half-close-write-fails": {"active-close", "passive-close", "fin-wait-1-ack"},
    "read-eof": {"passive-close", "close-wait-close", "fin-wait-2-fin", "last-ack-ack"},
    "refused-connect-result": {"active-open", "syn-sent-close"},
    "syn-retries-exhausted": {"active-open", "syn-sent-close"},
    "user-timeout": {"user-timeout"},
    "nodelay": set(),
    "nagle": set(),
    "linger-zero-close": {"established-abort", "established-rst"},
    "shutdown-read": set(),
    "reset-write-fails": {"established-abort", "established-rst"},
}
SLOW = {"syn-retries-exhausted"}
"""Scenarios that wait out a timer of seconds: their opposites run over IPv4 only."""


def test_every_action_scenario_is_in_the_tables_after_the_marker() -> None:
    names = list(SPEC.scenarios)
    assert set(EDGES) <= set(names)
    text = Path(SPEC.source).read_text(encoding="utf-8")
    marker = text.index("# --- actions: socket options, binding, results (packetdrill) ---")
    assert all(text.index(f"\n  {name}:\n") > marker for name in EDGES)


def test_most_action_scenarios_cite_a_packetdrill_script_with_lines() -> None:
    cited = [name for name in EDGES if SPEC.scenarios[name].cites]
    assert len(cited) >= 10
    for name in cited:
        for cite in SPEC.scenarios[name].cites:
            repository, path_lines = cite.split(" ", 1)
            assert repository in {"google/packetdrill", "torvalds/linux"}, cite
            path, _, lines = path_lines.rpartition(":")
            assert path.endswith(".pkt"), cite
            first, _, last = lines.partition("-")
            assert int(first) <= int(last or first), cite


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("scenario", list(EDGES))
def test_each_scenario_holds_and_takes_its_edges(
    tcp_scenario: Callable[..., ScenarioCheck], scenario: str, family: str
) -> None:
    check = tcp_scenario(scenario, family)
    check.assert_documented()
    shown = {edge.id for edge in edges_shown(check.verdict)}
    assert EDGES[scenario] <= shown, [str(t) for t in transitions(check.verdict)]
    if not EDGES[scenario]:  # options that change what is sent, never the state
        assert not transitions(check.verdict)


def results(check: ScenarioCheck) -> list[tuple[str, str]]:
    """Each recorded action of the script, as (``role verb``, what the call gave)."""
    return [
        (f"{a.actor} {a.verb}", a.result)
        for a in check.run.timeline
        if isinstance(a, ObservedAction)
    ]


def test_the_user_timeout_counts_from_the_first_retransmission(
    tcp_scenario: Callable[..., ScenarioCheck],
) -> None:
    check = tcp_scenario("user-timeout", "IPv4")
    sent = [s for s in check.run.timeline if isinstance(s, ObservedSegment)]
    assert [s.dropped for s in sent] == [True] * 4
    times = [s.time for s in sent]
    assert None not in times
    original, probe, first, second = (t or 0.0 for t in times)
    assert 0.15 < probe - original < 0.4  # the tail loss probe
    assert 0.15 < first - probe < 0.4  # the retransmission timeout (at least 200 ms)
    assert 0.3 < second - first < 0.7  # doubled
    assert ("client waits for an error", "ETIMEDOUT") in results(check)


def test_the_syns_of_a_timed_out_connect_go_a_second_apart(
    tcp_scenario: Callable[..., ScenarioCheck],
) -> None:
    check = tcp_scenario("syn-retries-exhausted", "IPv4")
    syns = [s for s in check.run.timeline if isinstance(s, ObservedSegment)]
    assert [(s.flags, s.dropped) for s in syns] == [(TcpFlag.SYN, True)] * 3
    times = [s.time or 0.0 for s in syns]
    assert all(0.9 < b - a < 1.5 for a, b in itertools.pairwise(times))
    (timer,) = [t for t in transitions(check.verdict) if t.source is S.SYN_SENT]
    assert (str(timer.event), timer.target) == ("timer", S.CLOSED)


# --- tables written as the textbook's opposite ---------------------------------------------

Change = Callable[[ScriptItem], ScriptItem]


def opposite(name: str, changes: Mapping[int, Change]) -> tuple[ScriptItem, ...]:
    """The script of `name` with the items at these indexes changed."""
    script = SPEC.scenarios[name].script
    return tuple(changes[n](item) if n in changes else item for n, item in enumerate(script))


def states(**documented: TcpState) -> Change:
    """An item whose documented states are changed to `documented` (others kept)."""

    def change(item: ScriptItem) -> ScriptItem:
        assert isinstance(item, Action | DocumentedSegment), item
        return dataclasses.replace(item, states={**item.states, **documented})

    return change


def result(documented: str) -> Change:
    def change(item: ScriptItem) -> ScriptItem:
        assert isinstance(item, Action), item
        return dataclasses.replace(item, result=documented)

    return change


def flags(documented: TcpFlag) -> Change:
    def change(item: ScriptItem) -> ScriptItem:
        assert isinstance(item, DocumentedSegment), item
        return dataclasses.replace(item, flags=documented)

    return change


def option(value: int) -> Change:
    """A ``sets OPTION VALUE`` action with another value."""

    def change(item: ScriptItem) -> ScriptItem:
        assert isinstance(item, Action), item
        arguments = dataclasses.replace(item.arguments, value=value)
        return dataclasses.replace(item, arguments=arguments)

    return change


def segment(line: str) -> Change:
    """A segment documented in another direction, with no states (``server -> client ACK``)."""
    sender, _, receiver, named = line.split()

    def change(item: ScriptItem) -> ScriptItem:
        assert isinstance(item, DocumentedSegment), item
        flags = TcpFlag.parse(named)
        return DocumentedSegment(Role(sender), Role(receiver), flags)

    return change


WAITED = "after 'client waits for the connection'"

# (scenario, what the textbook writes instead, the problems it must give: each one's place,
# then words the message must hold)
OPPOSITES = [
    pytest.param(
        "simultaneous-open",
        # An ordinary open: the client waits in SYN-SENT for the SYN+ACK, never SYN-RECEIVED.
        (
            {5: states(client=S.SYN_SENT), 7: states(client=S.SYN_SENT)},
            [
                ("step 2", "client is SYN-RECEIVED once it has processed the segment"),
                ("step 4", "client is SYN-RECEIVED while the segment is in flight"),
            ],
        ),
        id="simultaneous-open-as-an-ordinary-open",
    ),
    pytest.param(
        "syn-received-close",
        # As in SYN-SENT, a close before the handshake ends forgets the connection.
        (
            {6: states(client=S.CLOSED)},
            [("after 'client closes'", "client is FIN-WAIT-1 right after the action, documented")],
        ),
        id="close-in-syn-received-forgets",
    ),
    pytest.param(
        "fin-wait-1-rst",
        (
            {3: states(client=S.FIN_WAIT_1)},
            [
                (
                    "step 2",
                    "client is CLOSED once it has processed the segment, documented FIN-WAIT-1",
                )
            ],
        ),
        id="fin-wait-1-ignores-rst",
    ),
    pytest.param(
        "fin-wait-2-rst",
        (
            {4: states(client=S.FIN_WAIT_2), 5: result("EOF")},
            [
                (
                    "step 3",
                    "client is CLOSED once it has processed the segment, documented FIN-WAIT-2",
                ),
                ("after 'client reads'", "the call returned ECONNRESET, documented EOF"),
            ],
        ),
        id="fin-wait-2-ignores-rst",
    ),
    pytest.param(
        "close-wait-rst",
        # The peer of an RST in CLOSE-WAIT stays there; a write reports the reset.
        (
            {4: states(server=S.CLOSE_WAIT), 6: result("ECONNRESET")},
            [
                (
                    "step 3",
                    "server is CLOSED once it has processed the segment, documented CLOSE-WAIT",
                ),
                ("after 'server writes data'", "the call returned EPIPE, documented ECONNRESET"),
            ],
        ),
        id="close-wait-ignores-rst",
    ),
    pytest.param(
        "last-ack-rst",
        (
            {6: states(server=S.LAST_ACK)},
            [("step 4", "server is CLOSED once it has processed the segment, documented LAST-ACK")],
        ),
        id="last-ack-ignores-rst",
    ),
    pytest.param(
        "half-close-write-fails",
        # A half-close only announces the end; writing after it would still work.
        (
            {3: result("ok")},
            [("after 'client writes data'", "the call returned EPIPE, documented ok")],
        ),
        id="write-after-shut-wr-ok",
    ),
    pytest.param(
        "read-eof",
        # Closing always resets, as when data is left unread.
        (
            {9: flags(TcpFlag.RST)},
            [
                ("step 5", "documented RST, but RST is not set (on the wire: FIN+ACK)"),
                ("step 5", "FIN is set but not documented"),
            ],
        ),
        id="close-after-reading-resets",
    ),
    pytest.param(
        "refused-connect-result",
        (
            {3: result("ETIMEDOUT")},
            [(WAITED, "the call returned ECONNREFUSED, documented ETIMEDOUT")],
        ),
        id="refused-as-timed-out",
    ),
    pytest.param(
        "syn-retries-exhausted",
        (
            {4: result("ECONNREFUSED")},
            [(WAITED, "the call returned ETIMEDOUT, documented ECONNREFUSED")],
        ),
        id="timed-out-as-refused",
    ),
    pytest.param(
        "user-timeout",
        # TCP keeps retransmitting for tcp_retries2 (15 minutes), whatever the application set.
        (
            {6: lambda item: states(client=S.ESTABLISHED)(result("ok")(item))},
            [
                ("after 'client waits for an error'", "the call returned ETIMEDOUT, documented ok"),
                ("after 'client waits for an error'", "client is CLOSED right after the action"),
            ],
        ),
        id="user-timeout-ignored",
    ),
    pytest.param(
        "nodelay",
        # TCP_NODELAY changes nothing: Nagle's algorithm holds the second write all the same.
        # (Its order written the Nagle way, ACK before the second PSH, is no opposite: the
        # stepper may hold the second segment in flight until the ACK, as a network may.)
        (
            {0: option(0)},
            [
                ("step 2", "not observed: documented client → server PSH; the kernel sent nothing"),
                ("step 4", "not in the documentation: client → server PSH+ACK, between steps 3"),
            ],
        ),
        id="nodelay-changes-nothing",
    ),
    pytest.param(
        "nagle",
        # Every write goes at once.
        (
            {3: segment("client -> server PSH"), 4: segment("server -> client ACK")},
            [
                ("step 2", "not observed: documented client → server PSH; the kernel sent nothing"),
                ("step 4", "not in the documentation: client → server PSH+ACK, between steps 3"),
            ],
        ),
        id="nagle-as-nodelay",
    ),
    pytest.param(
        "linger-zero-close",
        # close() always sends FIN.
        (
            {2: flags(TcpFlag.FIN)},
            [
                ("step 1", "documented FIN, but FIN is not set (on the wire: RST+ACK)"),
                ("step 1", "RST is set but not documented"),
            ],
        ),
        id="linger-zero-close-sends-fin",
    ),
    pytest.param(
        "shutdown-read",
        # Nothing arrived, so a read would find nothing yet.
        (
            {1: result("EAGAIN")},
            [("after 'server reads'", "the call returned EOF, documented EAGAIN")],
        ),
        id="read-after-shut-rd-waits",
    ),
    pytest.param(
        "reset-write-fails",
        # "Broken pipe" from the first write on.
        (
            {2: result("EPIPE")},
            [("after 'server writes data'", "the call returned ECONNRESET, documented EPIPE")],
        ),
        id="reset-write-epipe-at-once",
    ),
    pytest.param(
        "listen-connect",
        # RFC 9293's LISTEN -> SYN-SENT: a send on a listening socket opens a connection.
        (
            {1: lambda item: states(server=S.SYN_SENT)(result("ok")(item))},
            [
                (
                    "after 'server connects its listener'",
                    "the call returned EISCONN, documented ok",
                ),
                ("after 'server connects its listener'", "server is LISTEN right after the action"),
            ],
        ),
        id="connect-on-a-listener-opens",
    ),
]


# Each opposite in both families; one that waits out a timer of seconds, in IPv4 only.
OPPOSITE_RUNS = [
    pytest.param(*case.values, family, id=f"{case.id}-{family}")
    for case in OPPOSITES
    for family in FAMILIES
    if family == "IPv4" or case.values[0] not in SLOW
]


@pytest.mark.parametrize(("name", "wrong_and_why", "family"), OPPOSITE_RUNS)
def test_the_textbooks_opposite_fails_where_it_is_wrong(
    lab: Lab,
    tmp_path: Path,
    name: str,
    wrong_and_why: tuple[Mapping[int, Change], list[tuple[str, str]]],
    family: str,
) -> None:
    changes, problems = wrong_and_why
    documented = SPEC.scenarios[name]
    wrong = dataclasses.replace(documented, script=opposite(name, changes))
    check = check_scenario(lab, wrong, family=family, pcap=tmp_path / "wrong.pcap")
    found = check.verdict.problems
    assert [p.split(": ", 1)[0] for p in found] == [place for place, _ in problems], found
    for problem, (_, words) in zip(found, problems, strict=True):
        assert words in problem, found
    with pytest.raises(AssertionError):
        check.assert_documented()
