"""RFC 9293's edges as data, the state changes a judged run went through, and edge coverage."""

from __future__ import annotations

import dataclasses

from timelines import CLOSE, OPEN, SPEC, act, judged, seg, snaps

from lab.tcp import (
    Observation,
    ObservedSegment,
    ScenarioVerdict,
    TcpFlag,
    TcpState,
    coverage,
    render_summary,
    to_json,
)
from lab.tcp._coverage import NOT_DEMONSTRATED
from lab.tcp._edges import EDGES, UNREACHABLE, Event
from lab.tcp._transitions import edges_shown, transitions

ESTABLISHED_BOTH = snaps("ESTABLISHED ESTABLISHED")

# The issue's table (RFC 9293 section 3.3.2, Figure 5), row by row.
DIAGRAM = [
    ("CLOSED", "LISTEN"),
    ("CLOSED", "SYN-SENT"),
    ("LISTEN", "SYN-RECEIVED"),
    ("LISTEN", "CLOSED"),
    ("LISTEN", "SYN-SENT"),
    ("SYN-SENT", "ESTABLISHED"),
    ("SYN-SENT", "SYN-RECEIVED"),
    ("SYN-SENT", "CLOSED"),
    ("SYN-RECEIVED", "ESTABLISHED"),
    ("SYN-RECEIVED", "FIN-WAIT-1"),
    ("SYN-RECEIVED", "LISTEN"),
    ("ESTABLISHED", "FIN-WAIT-1"),
    ("ESTABLISHED", "CLOSE-WAIT"),
    ("ESTABLISHED", "CLOSED"),
    ("FIN-WAIT-1", "FIN-WAIT-2"),
    ("FIN-WAIT-1", "CLOSING"),
    ("FIN-WAIT-1", "TIME-WAIT"),
    ("FIN-WAIT-2", "TIME-WAIT"),
    ("CLOSING", "TIME-WAIT"),
    ("TIME-WAIT", "CLOSED"),
    ("CLOSE-WAIT", "LAST-ACK"),
    ("LAST-ACK", "CLOSED"),
]


def ids(verdict: ScenarioVerdict) -> list[str]:
    return [edge.id for edge in edges_shown(verdict)]


# --- the edges as data ---------------------------------------------------------------------------


def test_the_diagram_s_22_edges_come_first_in_the_issue_s_order() -> None:
    diagram = [e for e in EDGES if e.rfc == "3.3.2"]
    assert [(str(e.source), str(e.target)) for e in diagram] == DIAGRAM
    assert EDGES[: len(DIAGRAM)] == tuple(diagram)


def test_section_3_10_adds_resets_and_timeouts() -> None:
    extra = EDGES[len(DIAGRAM) :]
    assert {e.rfc for e in extra} == {"3.10.5", "3.10.7.4", "3.10.8"}
    assert all(e.target is TcpState.CLOSED for e in extra)
    assert {e.source for e in extra if "RST received" in e.event} >= {
        TcpState.FIN_WAIT_1,
        TcpState.FIN_WAIT_2,
        TcpState.CLOSE_WAIT,
        TcpState.CLOSING,
        TcpState.LAST_ACK,
        TcpState.TIME_WAIT,
    }


def test_ids_are_unique_and_every_unreachable_edge_is_one_of_them() -> None:
    assert len({e.id for e in EDGES}) == len(EDGES)
    assert set(UNREACHABLE) <= {e.id for e in EDGES}
    assert "EISCONN" in UNREACHABLE["listen-send"]


def test_an_edge_is_taken_by_its_events_only() -> None:
    by_id = {e.id: e for e in EDGES}
    assert by_id["active-open"].takes(Event.action("connects to a closed port"))
    assert not by_id["active-open"].takes(Event.action("connectsx"))
    assert by_id["listen-syn"].takes(Event.received(TcpFlag.SYN))
    assert not by_id["listen-syn"].takes(Event.received(TcpFlag.SYN | TcpFlag.ACK))
    assert not by_id["listen-syn"].takes(Event.sent(TcpFlag.SYN))
    assert by_id["fin-wait-1-ack"].takes(Event.received(TcpFlag.ACK))
    assert not by_id["fin-wait-1-ack"].takes(Event.received(TcpFlag.ACK | TcpFlag.FIN))
    assert by_id["time-wait-timeout"].takes(Event.timer())


# --- which edges a run shows ----------------------------------------------------------------------


def test_the_open_as_linux_does_it_takes_five_edges() -> None:
    found = transitions(judged("open", OPEN))
    assert [str(t) for t in found] == [
        "server: CLOSED → LISTEN (listens)",
        "client: CLOSED → SYN-SENT (connects)",
        "server: LISTEN → SYN-RECEIVED (received SYN)",
        "client: SYN-SENT → ESTABLISHED (received SYN+ACK)",
        "server: SYN-RECEIVED → ESTABLISHED (received ACK)",
    ]
    assert [t.where for t in found] == [
        "after 'server listens'",
        "after 'client connects'",
        "step 1",
        "step 2",
        "step 3",
    ]
    assert ids(judged("open", OPEN)) == [
        "passive-open",
        "active-open",
        "listen-syn",
        "syn-sent-synack",
        "syn-received-ack",
    ]


def test_the_close_starts_from_the_states_after_the_setup() -> None:
    verdict = judged("close", CLOSE, start=ESTABLISHED_BOTH, final=snaps("TIME-WAIT CLOSED"))
    assert ids(verdict) == [
        "active-close",
        "passive-close",
        "fin-wait-1-ack",
        "fin-wait-2-fin",
        "close-wait-close",
        "last-ack-ack",
    ]
    # Without the states after the setup, the first change is not known.
    assert "active-close" not in ids(judged("close", CLOSE, final=snaps("TIME-WAIT CLOSED")))


def test_time_wait_s_end_is_shown_only_when_waited_out() -> None:
    waited = judged(
        "close", CLOSE, start=ESTABLISHED_BOTH, final=snaps("CLOSED CLOSED"), waited={"client": 60}
    )
    assert transitions(waited)[-1].event == Event.timer()
    assert "time-wait-timeout" in ids(waited)
    assert "time-wait-timeout" not in ids(
        judged("close", CLOSE, start=ESTABLISHED_BOTH, final=snaps("TIME-WAIT CLOSED"))
    )


def test_a_refused_connect_and_an_abort_take_their_reset_edges() -> None:
    refused: list[Observation] = [
        act("client connects to a closed port", "SYN-SENT CLOSED", "EINPROGRESS"),
        seg(1, "client -> server S", "SYN-SENT CLOSED", "SYN-SENT CLOSED"),
        seg(2, "server -> client RA", "SYN-SENT CLOSED", "CLOSED CLOSED"),
    ]
    assert ids(judged("refused", refused)) == ["active-open", "syn-sent-close"]
    abort: list[Observation] = [
        act("client aborts", "CLOSED ESTABLISHED"),
        seg(1, "client -> server R", "CLOSED ESTABLISHED", "CLOSED CLOSED"),
    ]
    assert ids(judged("abort", abort, start=ESTABLISHED_BOTH)) == [
        "established-rst",
        "established-abort",
    ]


def test_a_simultaneous_close_takes_closing_even_where_undocumented() -> None:
    both_close: list[Observation] = [
        act("client closes", "FIN-WAIT-1 ESTABLISHED"),
        act("server closes", "FIN-WAIT-1 FIN-WAIT-1"),
        seg(1, "client -> server FA", "FIN-WAIT-1 FIN-WAIT-1", "FIN-WAIT-1 CLOSING"),
        seg(2, "server -> client FA", "FIN-WAIT-1 CLOSING", "CLOSING CLOSING"),
        seg(3, "client -> server A", "CLOSING CLOSING", "CLOSING TIME-WAIT"),
        seg(4, "server -> client A", "CLOSING TIME-WAIT", "TIME-WAIT TIME-WAIT"),
    ]
    verdict = judged("close", both_close, start=ESTABLISHED_BOTH)
    assert not verdict.ok  # the close documents no such thing; the kernel's changes still count
    assert ids(verdict) == ["active-close", "simultaneous-close", "closing-ack"]


def test_a_change_no_event_explains_takes_no_edge() -> None:
    odd = [act("server listens", "SYN-SENT LISTEN"), *OPEN[1:]]
    found = transitions(judged("open", odd))
    assert (str(found[0]), found[0].edge) == ("client: CLOSED → SYN-SENT (no event)", None)


def test_a_dropped_segment_is_not_received() -> None:
    syn = OPEN[2]
    assert isinstance(syn, ObservedSegment)
    lost = dataclasses.replace(syn, dropped=True)
    changes = transitions(judged("open", [*OPEN[:2], lost]))
    assert [str(t) for t in changes][-1] == "server: LISTEN → SYN-RECEIVED (no event)"


# --- coverage and its report ----------------------------------------------------------------------


def test_coverage_lists_every_edge_with_its_runs_or_why_not() -> None:
    verdicts = [judged("open", OPEN, family="IPv4"), judged("open", OPEN, family="IPv6")]
    rows = {row.edge.id: row for row in coverage(SPEC, verdicts).edges}
    assert list(rows) == [e.id for e in EDGES]
    assert rows["passive-open"].shown_in == ("open (IPv4)", "open (IPv6)")
    assert rows["passive-open"].why_not == ""
    assert rows["listen-send"].why_not.startswith("not reachable on Linux: connect() on a listen")
    assert rows["simultaneous-close"].why_not == NOT_DEMONSTRATED
    assert rows["simultaneous-close"].unreachable is None


def test_an_edge_not_shown_fails_nothing() -> None:
    found = coverage(SPEC, [judged("open", OPEN)])
    assert any(not row.shown_in for row in found.edges)
    assert not found.missed


def test_a_timer_not_waited_out_says_so() -> None:
    close = judged("close", CLOSE, family="IPv4", final=snaps("TIME-WAIT CLOSED"))
    (row,) = [r for r in coverage(SPEC, [close]).edges if r.edge.id == "time-wait-timeout"]
    assert row.why_not == "not waited for: --wait-timers waits out the timer in close (IPv4)"
    (reset,) = [r for r in coverage(SPEC, [close]).edges if r.edge.id == "time-wait-rst"]
    assert reset.why_not == NOT_DEMONSTRATED  # TIME-WAIT → CLOSED too, but not by a timer


def test_the_summary_has_the_edge_table() -> None:
    verdicts = [judged("open", OPEN, family="IPv4")]
    lines = render_summary(verdicts, coverage(SPEC, verdicts)).splitlines()
    title = lines.index(
        "RFC 9293 state diagram edges (section 3.3.2, and the resets and timeouts of 3.10) the "
        "kernel took; an edge not shown is reported, not failed"
    )
    assert lines[title + 1].split() == ["from", "event", "to", "shown", "in", "/", "why", "not"]
    assert lines[title + 2].split() == ["CLOSED", "passive", "open", "(listen)", "LISTEN", "open",
                                        "(IPv4)"]  # fmt: skip
    deviations = lines.index("Linux vs RFC 9293")
    assert deviations == title + 2 + len(EDGES) + 1  # after a blank line
    assert len(lines) == deviations + 1 + 3 * len(SPEC.deviations)
    assert lines[deviations + 1].split()[:2] == ["-", "time-wait-length:"]  # close did not run


def test_the_json_carries_the_edges() -> None:
    verdicts = [judged("open", OPEN, family="IPv4")]
    data = to_json(verdicts, kernel="k", coverage=coverage(SPEC, verdicts))
    edges = data["coverage"]["edges"]  # type: ignore[index]
    assert edges[0] == {
        "id": "passive-open",
        "from": "CLOSED",
        "event": "passive open (listen)",
        "to": "LISTEN",
        "rfc": "3.3.2",
        "shown_in": ["open (IPv4)"],
        "unreachable": None,
    }
    (listen_send,) = [e for e in edges if e["id"] == "listen-send"]
    assert listen_send["shown_in"] == []
    assert listen_send["unreachable"] == UNREACHABLE["listen-send"]
