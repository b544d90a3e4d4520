"""A state machine's arrows judged against the edges the runs took (lab.tcp._edge_claims)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from timelines import CLOSE, CLOSE_FINAL, OPEN, SPEC, act, judged, seg, snaps

from lab.notes._edge_labels import read_edge_label
from lab.tcp import ClaimVerdict, Observation, RunRecord, ScenarioVerdict, TcpState
from lab.tcp._edge_claims import (
    LINUX_EDGES,
    SENDS,
    EdgeClaim,
    documented_pairs,
    edge_pairs,
    judge_edges,
)
from lab.tcp._edges import EDGES
from lab.tcp._observed import StateSnapshot
from lab.tcp._spec import Source

S = TcpState
ESTABLISHED_BOTH = snaps("ESTABLISHED ESTABLISHED")
Run = tuple[RunRecord, ScenarioVerdict]


def open_run(family: str = "IPv4") -> Run:
    record = RunRecord(SPEC.scenarios["open"], family, tuple(OPEN), ending=ESTABLISHED_BOTH)
    return record, judged("open", OPEN, family=family)


def close_run(family: str = "IPv4", *, waited: bool = False) -> Run:
    final = snaps("CLOSED CLOSED") if waited else CLOSE_FINAL
    wait = {"client": 58.7} if waited else {}
    record = RunRecord(
        SPEC.scenarios["close"],
        family,
        tuple(CLOSE),
        start=ESTABLISHED_BOTH,
        ending=CLOSE_FINAL,
        final=final,
        waited=wait,
    )
    verdict = judged(
        "close", CLOSE, family=family, start=ESTABLISHED_BOTH, final=final, waited=wait
    )
    return record, verdict


def edge(line: str, before: TcpState | None, after: TcpState | None, label: str = "") -> EdgeClaim:
    return EdgeClaim(Source(7, line), before, after, read_edge_label(label), label)


def one(claim: EdgeClaim, runs: Sequence[Run] | None = None) -> ClaimVerdict:
    [verdict] = judge_edges(
        [claim], [open_run(), close_run()] if runs is None else runs, family="IPv4"
    )
    return verdict


# --- the data -------------------------------------------------------------------------------------


def test_what_an_edge_sends_is_named_by_edge_ids() -> None:
    assert set(SENDS) <= {e.id for e in EDGES}


def test_linux_s_own_edges_are_not_rfc_9293_s() -> None:
    assert {(e.source, e.target) for e in LINUX_EDGES} == {(S.FIN_WAIT_2, S.CLOSED)}
    assert all(e.rfc == "Linux" and e.id not in {x.id for x in EDGES} for e in LINUX_EDGES)


def test_the_scenarios_document_the_pairs_of_their_edges() -> None:
    assert documented_pairs(SPEC.scenarios["open"]) == {
        (S.CLOSED, S.LISTEN),
        (S.CLOSED, S.SYN_SENT),
        (S.LISTEN, S.SYN_RECEIVED),
        (S.SYN_SENT, S.ESTABLISHED),
        (S.SYN_RECEIVED, S.ESTABLISHED),
    }
    # From the setup's ESTABLISHED, and the timer's TIME-WAIT → CLOSED.
    assert documented_pairs(SPEC.scenarios["close"]) == {
        (S.ESTABLISHED, S.FIN_WAIT_1),
        (S.FIN_WAIT_1, S.FIN_WAIT_2),
        (S.FIN_WAIT_2, S.TIME_WAIT),
        (S.ESTABLISHED, S.CLOSE_WAIT),
        (S.CLOSE_WAIT, S.LAST_ACK),
        (S.LAST_ACK, S.CLOSED),
        (S.TIME_WAIT, S.CLOSED),
    }
    # Crossing FINs: each end's FIN-WAIT-1 is documented after the CLOSING the other's FIN
    # brings it to; the changes that are no edge are left out.
    assert documented_pairs(SPEC.scenarios["simultaneous-close"]) == {
        (S.ESTABLISHED, S.FIN_WAIT_1),
        (S.FIN_WAIT_1, S.CLOSING),
        (S.CLOSING, S.TIME_WAIT),
        (S.FIN_WAIT_1, S.TIME_WAIT),
    }
    # The listener's LISTEN written nowhere: "server listens" leaves it there.
    assert (S.CLOSED, S.LISTEN) in documented_pairs(SPEC.scenarios["ecn-open"])


def test_the_packaged_tables_document_the_edges_their_scenarios_are_there_for() -> None:
    documented = set().union(*(documented_pairs(s) for s in SPEC.scenarios.values()))
    # Only LISTEN -> SYN-SENT, unreachable on Linux (a note's edge that no scenario documents
    # is looked for in the runs of every scenario: lab._notecheck).
    undocumented = {(S.LISTEN, S.SYN_SENT)}
    assert documented == edge_pairs() - undocumented


# --- verdicts -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "before", "after"),
    [
        ("listen", S.CLOSED, S.LISTEN),
        ("passive open", S.CLOSED, S.LISTEN),
        ("connect / SYN", S.CLOSED, S.SYN_SENT),
        ("rcv SYN / snd SYN,ACK", S.LISTEN, S.SYN_RECEIVED),
        ("SYN / SYN+ACK", S.LISTEN, S.SYN_RECEIVED),
        ("recv SYN-ACK / send ACK", S.SYN_SENT, S.ESTABLISHED),
        ("rcv ACK of SYN / x", S.SYN_RECEIVED, S.ESTABLISHED),
        ("close / FIN", S.ESTABLISHED, S.FIN_WAIT_1),
        ("send FIN", S.ESTABLISHED, S.FIN_WAIT_1),
        ("收到 FIN / 发送 ACK", S.ESTABLISHED, S.CLOSE_WAIT),
        ("FIN 수신 / ACK 발송", S.ESTABLISHED, S.CLOSE_WAIT),
        ("ACK", S.FIN_WAIT_1, S.FIN_WAIT_2),
        ("rcv FIN / snd ACK", S.FIN_WAIT_2, S.TIME_WAIT),
        ("CLOSE / snd FIN", S.CLOSE_WAIT, S.LAST_ACK),
        ("recibir ACK", S.LAST_ACK, S.CLOSED),
        ("", S.LAST_ACK, S.CLOSED),
    ],
)
def test_an_edge_the_runs_took_on_that_event_is_ok(
    label: str, before: TcpState, after: TcpState
) -> None:
    verdict = one(edge("A --> B", before, after, label))
    assert (verdict.verdict, verdict.kind, verdict.detail) == ("ok", "edge", ""), verdict
    assert verdict.scenario in {"open", "close"}
    assert str(before) in verdict.observed


def test_a_label_lab_cannot_read_claims_the_pair_alone() -> None:
    verdict = one(edge("A --> B", S.LAST_ACK, S.CLOSED, "the end of it all"))
    assert verdict.verdict == "ok"
    assert "names no event lab reads" in verdict.detail
    assert verdict.documented == "LAST-ACK → CLOSED"


def test_a_pair_that_is_no_edge_fails_saying_where_the_kernel_goes() -> None:
    verdict = one(edge("ESTABLISHED --> LISTEN : close", S.ESTABLISHED, S.LISTEN, "close"))
    assert verdict.verdict == "fail"
    assert "RFC 9293 has no edge ESTABLISHED → LISTEN" in verdict.detail
    assert "from ESTABLISHED it goes to FIN-WAIT-1 (close, FIN sent)" in verdict.detail


def test_a_wrong_event_fails_saying_what_the_kernel_does() -> None:
    verdict = one(edge("E --> C : send FIN", S.ESTABLISHED, S.CLOSE_WAIT, "send FIN"))
    assert verdict.verdict == "fail"
    assert verdict.detail == (
        "the label says sends FIN, but the kernel goes ESTABLISHED → CLOSE-WAIT when it "
        "receives FIN, and sends ACK (scenario close)"
    )
    assert verdict.observed == "server: ESTABLISHED → CLOSE-WAIT on received FIN+ACK (close)"


@pytest.mark.parametrize(
    ("label", "before", "after", "instead"),
    [
        ("rcv SYN / snd ACK", S.LISTEN, S.SYN_RECEIVED, "and sends SYN+ACK"),
        ("rcv SYN", S.SYN_SENT, S.ESTABLISHED, "when it receives SYN+ACK"),
        ("rcv FIN", S.FIN_WAIT_1, S.FIN_WAIT_2, "when it receives ACK"),
        ("timeout", S.FIN_WAIT_2, S.TIME_WAIT, "when it receives FIN"),
        ("listen", S.ESTABLISHED, S.FIN_WAIT_1, "when it closes"),
    ],
)
def test_a_label_that_fits_no_edge_the_runs_took_fails(
    label: str, before: TcpState, after: TcpState, instead: str
) -> None:
    verdict = one(edge("A --> B", before, after, label))
    assert verdict.verdict == "fail", verdict
    assert instead in verdict.detail


def test_an_edge_linux_cannot_take_fails_with_the_kernel_s_answer() -> None:
    verdict = one(edge("LISTEN --> SYN_SENT : send SYN", S.LISTEN, S.SYN_SENT, "send SYN"))
    assert verdict.verdict == "fail"
    assert "Linux cannot take LISTEN → SYN-SENT" in verdict.detail
    assert "EISCONN" in verdict.detail


def test_an_edge_no_scenario_shows_is_unchecked_whatever_its_label() -> None:
    for label in ("rcv SYN / snd SYN+ACK", "rcv SYN / snd ACK", ""):
        verdict = one(edge("SYN_SENT --> SYN_RCVD", S.SYN_SENT, S.SYN_RECEIVED, label))
        assert verdict.verdict == "unchecked", verdict
        assert "no scenario shows it yet" in verdict.detail


def refused_run() -> Run:
    timeline: list[Observation] = [
        act("client connects to a closed port", "SYN-SENT CLOSED"),
        seg(1, "client -> server S", "SYN-SENT CLOSED", "SYN-SENT CLOSED"),
        seg(2, "server -> client RA", "SYN-SENT CLOSED", "CLOSED CLOSED"),
    ]
    record = RunRecord(SPEC.scenarios["refused"], "IPv4", tuple(timeline))
    return record, judged("refused", timeline)


@pytest.mark.parametrize(("label", "verdict"), [("rcv RST", "ok"), ("timeout", "unchecked")])
def test_an_edge_taken_only_on_another_kind_of_event_is_unchecked(label: str, verdict: str) -> None:
    found = one(edge("S --> C", S.SYN_SENT, S.CLOSED, label), [refused_run()])
    assert found.verdict == verdict
    if verdict == "unchecked":
        assert found.detail == (
            "the kernel goes SYN-SENT → CLOSED when it receives RST (scenario refused); no "
            "scenario shows it on a timer yet"
        )


def test_time_wait_s_timer_not_waited_out_is_a_timer() -> None:
    verdict = one(edge("TW --> CLOSED : 2MSL", S.TIME_WAIT, S.CLOSED, "2MSL timeout"))
    assert verdict.verdict == "timer"
    assert "--wait-timers" in verdict.detail
    assert "timewait,59sec,0" in verdict.detail


def test_time_wait_s_timer_waited_out_is_ok() -> None:
    runs = [open_run(), close_run(waited=True)]
    verdict = one(edge("TW --> CLOSED : 60 s", S.TIME_WAIT, S.CLOSED, "60 s"), runs)
    assert verdict.verdict == "ok", verdict
    assert "on timer" in verdict.observed


@pytest.mark.parametrize("label", ["30s", "2 minutes", "timeout (2MSL = 4 min)", "等待 30s"])
def test_a_time_wait_of_another_length_fails_with_the_timer_ss_showed(label: str) -> None:
    verdict = one(edge("TW --> CLOSED", S.TIME_WAIT, S.CLOSED, label))
    assert verdict.verdict == "fail"
    assert verdict.detail.startswith("Linux holds TIME-WAIT for 59 s (TCP_TIMEWAIT_LEN; ss -o ")


@pytest.mark.parametrize("label", ["60 s", "1 min", "60秒", "2MSL", "timeout", ""])
def test_a_time_wait_of_its_length_or_none_is_not_failed(label: str) -> None:
    verdict = one(edge("TW --> CLOSED", S.TIME_WAIT, S.CLOSED, label))
    assert verdict.verdict == "timer", verdict


def test_a_duration_with_no_time_wait_shown_is_not_judged() -> None:
    verdict = one(edge("TW --> CLOSED : 30s", S.TIME_WAIT, S.CLOSED, "30s"), [open_run()])
    assert verdict.verdict == "unchecked"
    assert "no run showed TIME-WAIT's timer" in verdict.detail


def test_a_rst_in_time_wait_is_no_timer() -> None:
    verdict = one(edge("TW --> CLOSED : rcv RST", S.TIME_WAIT, S.CLOSED, "rcv RST"))
    assert verdict.verdict == "unchecked"
    assert "no scenario shows it yet" in verdict.detail


def test_linux_s_fin_wait_2_timeout_is_an_edge_no_scenario_shows() -> None:
    verdict = one(edge("FW2 --> CLOSED : timeout", S.FIN_WAIT_2, S.CLOSED, "timeout"))
    assert verdict.verdict == "unchecked"
    assert "Linux's own FIN-WAIT-2 → CLOSED" in verdict.detail


@pytest.mark.parametrize(
    ("before", "after", "verdict"),
    [
        (None, S.CLOSED, "ok"),
        (S.CLOSED, None, "ok"),
        (None, S.LISTEN, "unchecked"),
        (S.TIME_WAIT, None, "unchecked"),
    ],
)
def test_markers_beside_closed_are_ok_beside_another_state_unchecked(
    before: TcpState | None, after: TcpState | None, verdict: str
) -> None:
    assert one(edge("[*] --> X", before, after)).verdict == verdict


def test_a_state_to_itself_is_unchecked() -> None:
    verdict = one(edge("E --> E : data", S.ESTABLISHED, S.ESTABLISHED, "data"))
    assert verdict.verdict == "unchecked"
    assert "to itself" in verdict.detail


def test_a_line_whose_end_is_no_state_says_why() -> None:
    claim = EdgeClaim(Source(3, "Foo --> CLOSED"), None, None, unchecked="'Foo' is not a TCP state")
    verdict = one(claim)
    assert (verdict.verdict, verdict.detail, verdict.documented) == (
        "unchecked",
        "'Foo' is not a TCP state",
        "",
    )


def test_each_family_is_judged_on_its_own_runs() -> None:
    claim = edge("E --> C : rcv FIN", S.ESTABLISHED, S.CLOSE_WAIT, "rcv FIN")
    runs = [close_run("IPv4"), open_run("IPv6")]
    ipv4 = judge_edges([claim], [r for r in runs if r[0].family == "IPv4"], family="IPv4")
    ipv6 = judge_edges([claim], [r for r in runs if r[0].family == "IPv6"], family="IPv6")
    assert [(c.family, c.verdict) for c in (*ipv4, *ipv6)] == [
        ("IPv4", "ok"),
        ("IPv6", "unchecked"),
    ]


def test_without_runs_only_what_needs_none_is_judged() -> None:
    claims = [
        edge("E --> L", S.ESTABLISHED, S.LISTEN),
        edge("E --> C : rcv FIN", S.ESTABLISHED, S.CLOSE_WAIT, "rcv FIN"),
        edge("L --> S", S.LISTEN, S.SYN_SENT, "send SYN"),
    ]
    found = judge_edges(claims, [], family="IPv6")
    assert [c.verdict for c in found] == ["fail", "unchecked", "fail"]
    assert all(c.family == "IPv6" for c in found)


def test_an_unreadable_snapshot_timer_is_ignored() -> None:
    assert StateSnapshot(S.TIME_WAIT, "timewait,soon,0").timer_left is None
