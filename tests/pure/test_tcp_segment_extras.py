"""What a segment says beyond flags and states: injection, reordering, CE, timing, options.

Read from tables.yaml with precise errors, judged at the step, shown in the report and
the JSON, and credited as edges; all without a kernel.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest
import yaml
from timelines import SPEC, as_documented, judged, snaps

from lab._errors import SpecError
from lab.tcp import ObservedSegment, Role, TcpFlag, TcpState, spec_from_dict, to_json
from lab.tcp._options import OptionKind, TcpOption, parse_options
from lab.tcp._report import render_scenario
from lab.tcp._segment_checks import option_problems, segment_problems
from lab.tcp._segment_claims import CE, Injection, OptionClaim, Timing
from lab.tcp._spec import DocumentedSegment
from lab.tcp._transitions import edges_shown

PACKAGED_TEXT = (resources.files("lab.tcp") / "tables.yaml").read_text(encoding="utf-8")
SOURCE = "spec.yaml"
LINUX_SYN_OPTIONS = bytes.fromhex("020405b40402080a0001e2400000000001030303")
"""A Linux SYN's options, as on the wire: mss 1460, sackOK, TS val/ecr, nop, wscale 3."""
MSS, WSCALE, SACK_OK, SACK, TS = (
    OptionKind.MSS,
    OptionKind.WSCALE,
    OptionKind.SACK_PERMITTED,
    OptionKind.SACK,
    OptionKind.TIMESTAMPS,
)


def wire(
    flags: str = "S", *, options: tuple[TcpOption, ...] = (), **fields: Any
) -> ObservedSegment:
    return ObservedSegment(
        1, Role.CLIENT, Role.SERVER, TcpFlag.parse(flags), 1, 0, 0, options=options, **fields
    )


def doc(flags: str = "SYN", **fields: Any) -> DocumentedSegment:
    return DocumentedSegment(Role.CLIENT, Role.SERVER, TcpFlag.parse(flags), **fields)


# --- options on the wire ------------------------------------------------------------------------


def test_a_linux_syn_s_options_are_read_in_order_without_the_nops() -> None:
    assert parse_options(LINUX_SYN_OPTIONS) == (
        TcpOption(MSS, 1460),
        TcpOption(SACK_OK),
        TcpOption(TS),
        TcpOption(WSCALE, 3),
    )
    assert [str(o) for o in parse_options(LINUX_SYN_OPTIONS)] == [
        "mss 1460",
        "sackOK",
        "timestamps",
        "wscale 3",
    ]


def test_sack_blocks_are_counted_and_odd_options_kept_or_cut() -> None:
    two_blocks = bytes([1, 1, 5, 18]) + bytes(16)
    assert parse_options(two_blocks) == (TcpOption(SACK, 2),)
    assert parse_options(bytes([99, 2])) == (TcpOption(99),)  # a kind without a name
    assert str(TcpOption(99)) == "option 99"
    assert parse_options(bytes([2, 40, 5])) == ()  # a length past the header ends the list
    assert parse_options(bytes([0, 2, 4, 5, 0])) == ()  # end of options


@pytest.mark.parametrize(
    ("name", "kind"),
    [("sackOK", SACK_OK), ("SACK-permitted", SACK_OK), ("TS", TS), ("wscale", WSCALE)],
)
def test_option_names_in_any_common_spelling(name: str, kind: OptionKind) -> None:
    assert OptionKind.parse(name) is kind


def test_an_unknown_option_name_says_what_there_is() -> None:
    with pytest.raises(ValueError, match="'sackok2' is not a TCP option") as caught:
        OptionKind.parse("sackok2")
    assert "did you mean 'sackOK'?" in str(caught.value)


# --- the tables ------------------------------------------------------------------------------


def test_the_new_keys_are_read_into_the_documented_segment() -> None:
    backoff = SPEC.scenarios["syn-backoff-timing"].segments
    assert backoff[1].after == Timing(1.0, 0.3)
    reorder = SPEC.scenarios["out-of-order-sack"].segments
    assert reorder[0].overtakes == 1
    assert reorder[1].options == (OptionClaim(SACK, value=1),)
    assert reorder[3].options == (OptionClaim(SACK, present=False),)
    assert SPEC.scenarios["ce-echo"].segments[0].ce
    assert SPEC.scenarios["ce-echo"].segments[3].absent == TcpFlag.ECE
    syn = SPEC.scenarios["syn-options"].segments[0]
    assert syn.options[0] == OptionClaim(MSS, by_family=(("IPv4", 1460), ("IPv6", 1440)))
    assert syn.options[0].expected("IPv6") == 1440
    rst = SPEC.scenarios["time-wait-rst-out-of-window"].segments[0]
    assert rst.inject == Injection(seq=100_000)
    assert str(rst) == "injected server -> client RST"
    stray = SPEC.scenarios["listener-stray-ack-rst"].segments[0]
    assert (stray.inject, stray.flags) == (Injection(), TcpFlag.ACK)


@pytest.mark.parametrize(
    ("written", "timing"),
    [
        ("1s ±0.3", Timing(1.0, 0.3)),
        ("40ms ±35ms", Timing(0.04, 0.035)),
        ("2 s +- 0.5 s", Timing(2.0, 0.5)),
        ({"seconds": 1, "within": 0.25}, Timing(1.0, 0.25)),
        ("40ms -30ms +110ms", Timing(0.04, 0.03, 0.11)),
        ("1s +0.5 -100ms", Timing(1.0, 0.1, 0.5)),
        ({"seconds": 0.04, "within": 0.03, "later": 0.11}, Timing(0.04, 0.03, 0.11)),
    ],
)
def test_a_timing_in_each_notation(written: object, timing: Timing) -> None:
    data = packaged()
    syn_retransmit(data)[3]["after"] = written
    segments = spec_from_dict(data, source=SOURCE).scenarios["syn-retransmit"].segments
    assert segments[1].after == pytest.approx(timing)


Data = dict[str, Any]


def packaged() -> Data:
    data = yaml.safe_load(PACKAGED_TEXT)
    assert isinstance(data, dict)
    return copy.deepcopy(data)


def script(data: Data, name: str) -> list[Any]:
    items: list[Any] = data["scenarios"][name]["script"]
    return items


def syn_retransmit(data: Data) -> list[Any]:
    """syn-retransmit's script: listens, connects, the lost SYN, the SYN again (after:), ..."""
    return script(data, "syn-retransmit")


BAD = [
    pytest.param(
        lambda d: syn_retransmit(d)[3].update(after="1s"),
        "scenarios.syn-retransmit.script[3].after",
        "'1s' is not a time with a tolerance (every timing needs one",
        "write e.g. after: 1s ±0.3",
        id="after-without-tolerance",
    ),
    pytest.param(
        lambda d: syn_retransmit(d)[3].update(after={"seconds": 1}),
        "scenarios.syn-retransmit.script[3].after",
        "a timing mapping has seconds: and within: (and later:, when later differs), but "
        "this one has seconds",
        "after: {seconds: 1.0, within: 0.3}",
        id="after-mapping-without-within",
    ),
    pytest.param(
        lambda d: syn_retransmit(d)[3].update(after="1s +0.5"),
        "scenarios.syn-retransmit.script[3].after",
        "'1s +0.5' gives its tolerance as ± alone, or as - (earlier) and + (later)",
        "after: 40ms -25ms +110ms (earlier and later)",
        id="after-later-only",
    ),
    pytest.param(
        lambda d: syn_retransmit(d)[3].update(after="1s ±0"),
        "scenarios.syn-retransmit.script[3].after",
        "a timing is a time and a tolerance greater than zero",
        "after: 40ms ±35ms",
        id="after-zero-tolerance",
    ),
    pytest.param(
        lambda d: syn_retransmit(d)[2].update(after="1s ±0.3"),
        "scenarios.syn-retransmit.script[2].after",
        "this is the script's first segment",
        "drop after: here",
        id="after-on-the-first-segment",
    ),
    pytest.param(
        lambda d: script(d, "syn-options")[2].update(options=["mss", "sackok2"]),
        "scenarios.syn-options.script[2].options[1]",
        "'sackok2' is not a TCP option",
        "did you mean 'sackOK'?",
        id="unknown-option",
    ),
    pytest.param(
        lambda d: script(d, "syn-options")[2].update(options=[{"sackOK": 1}]),
        "scenarios.syn-options.script[2].options[0].sackOK",
        "sackOK carries no number lab compares",
        "write it bare: - sackOK",
        id="option-number-where-none-is",
    ),
    pytest.param(
        lambda d: script(d, "syn-options")[2].update(options=["mss", "no mss"]),
        "scenarios.syn-options.script[2].options",
        "mss is listed twice",
        "list each option once",
        id="option-twice",
    ),
    pytest.param(
        lambda d: script(d, "syn-options")[2].update(options=[{"mss": {"IPv5": 1}}]),
        "scenarios.syn-options.script[2].options[0].mss.IPv5",
        "'IPv5' is not an address family",
        "use IPv4 or IPv6",
        id="option-number-for-no-family",
    ),
    pytest.param(
        lambda d: script(d, "syn-options")[2].update(options=[{"mss": {"IPv4": 1460}}]),
        "scenarios.syn-options.script[2].options[0].mss",
        "mss gives no number for IPv6, and every scenario runs over it too",
        "{mss: {IPv4: 1460, IPv6: 1440}}, or one for both: {mss: 1460}",
        id="option-number-for-one-family",
    ),
    pytest.param(
        lambda d: script(d, "ce-echo")[1].update(lost=True),
        "scenarios.ce-echo.script[1].ce",
        "a lost segment never arrives, so it cannot arrive CE-marked",
        "drop ce: true, or lost: true",
        id="ce-and-lost",
    ),
    pytest.param(
        lambda d: script(d, "ce-echo")[5].update(without="ACK"),
        "scenarios.ce-echo.script[5].without",
        "ACK is both documented and documented absent",
        "not both",
        id="without-a-documented-flag",
    ),
    pytest.param(
        lambda d: script(d, "out-of-order-sack")[1].update(overtakes=0),
        "scenarios.out-of-order-sack.script[1].overtakes",
        "0 is outside the allowed range 1 to 16",
        "overtakes: 1",
        id="overtakes-none",
    ),
    pytest.param(
        lambda d: script(d, "time-wait-rst-rfc1337")[0].update(seq="nxt"),
        "scenarios.time-wait-rst-rfc1337.script[0].seq",
        "a string ('nxt') is not a sequence number of this connection",
        "write next (the number the receiver expects), next+N or next-N",
        id="inject-bad-seq",
    ),
    pytest.param(
        lambda d: script(d, "time-wait-rst-rfc1337")[0].update(lost=True),
        "scenarios.time-wait-rst-rfc1337.script[0].lost",
        "unknown key 'lost'",
        "allowed keys here: inject, states, seq, ack, data",
        id="inject-lost",
    ),
    pytest.param(
        lambda d: script(d, "time-wait-rst-rfc1337")[0].update(data=100_000),
        "scenarios.time-wait-rst-rfc1337.script[0].data",
        "100000 is outside the allowed range 0 to 1400",
        "data: 10",
        id="inject-too-much-data",
    ),
    pytest.param(
        lambda d: script(d, "time-wait-rst-rfc1337")[0].update(inject="server to client RST"),
        "scenarios.time-wait-rst-rfc1337.script[0].inject",
        "'server to client RST' is not a segment",
        "write SENDER -> RECEIVER FLAGS",
        id="inject-not-a-segment",
    ),
]


@pytest.mark.parametrize(("change", "path", "problem", "fix"), BAD)
def test_a_segment_written_wrong_gets_one_precise_error(
    change: Callable[[Data], object], path: str, problem: str, fix: str
) -> None:
    data = packaged()
    change(data)
    with pytest.raises(SpecError) as caught:
        spec_from_dict(data, source=SOURCE)
    error = caught.value
    assert (error.source, error.path) == (SOURCE, path)
    assert problem in error.problem
    assert fix in error.fix


def test_options_none_wants_no_option_at_all() -> None:
    data = packaged()
    script(data, "syn-options")[4]["options"] = "none"
    ack = spec_from_dict(data, source=SOURCE).scenarios["syn-options"].segments[2]
    assert ack.options == (OptionClaim(None, present=False),)
    assert option_problems(ack.options, wire("A", options=(TcpOption(TS),))) == [
        "documented with no options, but it carries timestamps"
    ]
    assert option_problems(ack.options, wire("A")) == []


# --- judging one segment --------------------------------------------------------------------


def test_each_option_claim_is_judged_with_what_is_on_the_wire() -> None:
    syn = wire(options=parse_options(LINUX_SYN_OPTIONS))
    claims = (
        OptionClaim(MSS, by_family=(("IPv4", 1460), ("IPv6", 1440))),
        OptionClaim(SACK_OK),
        OptionClaim(WSCALE, value=7),
        OptionClaim(SACK, present=False),
    )
    assert option_problems(claims, syn, "IPv4") == ["documented wscale 7, but it carries wscale 3"]
    assert option_problems(claims, syn, "IPv6") == [
        "documented mss 1440 over IPv6, but it carries mss 1460",
        "documented wscale 7, but it carries wscale 3",
    ]
    no_sack_ok = wire(options=(TcpOption(MSS, 1460),))
    assert option_problems((OptionClaim(SACK_OK),), no_sack_ok) == [
        "documented option sackOK, but it carries none such (options on the wire: mss 1460)"
    ]
    sacked = wire("A", options=(TcpOption(TS), TcpOption(SACK, 1)))
    assert option_problems((OptionClaim(SACK, present=False),), sacked) == [
        "documented no sack, but it carries sack 1"
    ]


def test_ce_and_timing_are_judged_with_both_figures() -> None:
    marked = doc("PSH", ce=True)
    assert segment_problems(marked, wire("PA", ecn=CE)) == []
    assert segment_problems(marked, wire("PA", ecn=0b10)) == [
        "documented CE-marked (ce: true), but it reached server as ECT(0)"
    ]
    timed = doc(after=Timing(1.0, 0.3))
    assert segment_problems(timed, wire(), elapsed=1.2, since="step 1") == []
    assert segment_problems(timed, wire(), elapsed=2.01, since="step 2") == [
        "sent 2.01 s after step 2, documented 1 s ± 300 ms (from 700 ms to 1.3 s)"
    ]
    late = doc(after=Timing(0.04, 0.03, 0.11))
    assert str(late.after) == "40 ms -30 ms +110 ms"
    assert segment_problems(late, wire(), elapsed=0.14, since="step 1") == []
    assert segment_problems(late, wire(), elapsed=0.004, since="step 1") == [
        "sent 4 ms after step 1, documented 40 ms -30 ms +110 ms (from 10 ms to 150 ms)"
    ]
    assert segment_problems(timed, wire(), elapsed=None, since="step 2") == [
        "documented 1 s ± 300 ms after step 2, but that segment was not observed, so this one "
        "cannot be timed"
    ]


def test_a_kernel_s_segment_is_never_paired_with_an_injected_one() -> None:
    timeline = as_documented(SPEC.scenarios["time-wait-rst-assassination"])
    (rst,) = timeline
    assert isinstance(rst, ObservedSegment)
    sent_by_the_kernel = dataclasses.replace(rst, injected=False)
    verdict = judged("time-wait-rst-assassination", [sent_by_the_kernel])
    assert verdict.problems == (
        "step 1: not observed: documented server → client RST; the kernel sent nothing of the "
        "kind here",
        "step 2: not in the documentation: server → client RST, after step 1",
    )


def test_a_timing_out_of_tolerance_fails_at_its_step_in_the_report_and_the_json() -> None:
    timeline = as_documented(SPEC.scenarios["syn-backoff-timing"])
    third = timeline[4]
    assert isinstance(third, ObservedSegment)
    assert third.time is not None
    timeline[4] = dataclasses.replace(third, time=third.time + 1.0)  # 2 s, the textbook's
    verdict = judged("syn-backoff-timing", timeline, family="IPv4")
    assert [s.n for s in verdict.steps if not s.ok] == [3]
    assert verdict.problems == (
        "step 3: sent 2 s after step 2, documented 1 s ± 300 ms (from 700 ms to 1.3 s)",
    )
    report = render_scenario(verdict)
    (row,) = [line for line in report.splitlines() if line.startswith(" 3 ")]
    assert "SYN (after 1 s ± 300 ms)" in row
    assert "✗ SYN (after 2 s)" in row
    step = to_json([verdict], kernel="k")["scenarios"][0]["steps"][2]  # type: ignore[index]
    assert step["expected_after"] == {"seconds": 1.0, "within": 0.3, "later": None}
    assert step["elapsed"] == pytest.approx(2.0)
    assert step["ok"] is False


def test_injected_reordered_marked_and_optioned_steps_are_shown_as_such() -> None:
    name = "time-wait-rst-out-of-window"
    injected = render_scenario(judged(name, as_documented(SPEC.scenarios[name])))
    assert "server → client (injected)  RST (seq next+100000)" in injected
    ce = render_scenario(judged("ce-echo", as_documented(SPEC.scenarios["ce-echo"])))
    assert "PSH (CE-marked)" in ce
    assert "PSH (CE)" in ce
    assert "ACK (without ECE)" in ce
    reorder = judged("out-of-order-sack", as_documented(SPEC.scenarios["out-of-order-sack"]))
    assert "PSH (overtakes 1)" in render_scenario(reorder)
    steps = to_json([reorder], kernel="k")["scenarios"][0]["steps"]  # type: ignore[index]
    assert steps[0]["overtakes"] == 1
    assert steps[1]["expected_options"] == ["sack 1"]
    assert steps[1]["options"] == ["sack 1"]


# --- edges ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "start", "edge"),
    [
        ("segment-after-close-rst", "TIME-WAIT CLOSED", "time-wait-rst"),
        ("closing-rst", "ESTABLISHED ESTABLISHED", "closing-rst"),
        ("syn-received-rst-listen", "", "syn-received-rst"),
    ],
)
def test_an_rst_received_takes_its_edge_injected_or_not(
    scenario: str, start: str, edge: str
) -> None:
    timeline = as_documented(SPEC.scenarios[scenario])
    verdict = judged(scenario, timeline, start=snaps(start) if start else None)
    assert edge in [e.id for e in edges_shown(verdict)]


def test_an_injected_segment_moves_no_one_by_being_sent() -> None:
    # The server is CLOSED when the runner injects "its" RST: no edge for the server.
    rst = ObservedSegment(
        1,
        Role.SERVER,
        Role.CLIENT,
        TcpFlag.RST,
        1,
        0,
        0,
        before=snaps("TIME-WAIT CLOSED"),
        after=snaps("CLOSED CLOSED"),
        injected=True,
    )
    start = snaps("TIME-WAIT ESTABLISHED")  # as if the server had moved unseen
    verdict = judged("time-wait-rst-assassination", [rst], start=start)
    assert [e.id for e in edges_shown(verdict)] == ["time-wait-rst"]
    assert verdict.steps[0].segment is rst
    assert TcpState.CLOSED in verdict.seen_states
