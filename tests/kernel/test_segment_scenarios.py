"""Segments beyond "release the next one": injected, reordered, CE-marked, timed, with options.

Each scenario of tables.yaml's segment section runs as documented over IPv4 and IPv6 and
takes the edges it is there for; then each is rewritten to the textbook's opposite (an
RST in TIME-WAIT ignored as RFC 1337 would have it, no ECE echo, no SACK, no options, a
retransmission at RFC 6298's 1 s) and must fail at exactly that step, saying why.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lab import Lab, ScenarioCheck, check_scenario
from lab.cli import main
from lab.tcp import DocumentedSegment, ObservedSegment, Role, TcpFlag, TcpState, load_spec
from lab.tcp._options import OptionKind
from lab.tcp._segment_claims import CE, OptionClaim, Timing
from lab.tcp._spec import ScriptItem
from lab.tcp._transitions import edges_shown

FAMILIES = ["IPv4", "IPv6"]
SPEC = load_spec()
S = TcpState

OPEN_EDGES = "passive-open active-open listen-syn syn-sent-synack syn-received-ack"
# scenario -> the edges (lab.tcp._edges ids) its run takes, as the coverage credits them.
EDGES: dict[str, str] = {
    "listener-stray-ack-rst": "passive-open",
    "segment-after-close-rst": "time-wait-rst",
    "time-wait-rst-assassination": "time-wait-rst",
    "time-wait-rst-rfc1337": "",
    "time-wait-rst-out-of-window": "",
    "closing-rst": "active-close simultaneous-close closing-ack closing-rst time-wait-rst",
    "syn-received-rst-listen": "passive-open active-open listen-syn syn-sent-synack "
    "syn-received-rst established-rst",
    "ce-echo": "",
    "out-of-order-sack": "",
    "syn-options": OPEN_EDGES,
    "syn-backoff-timing": OPEN_EDGES,
    "data-retransmit-backoff": "",
    "delayed-ack-of-fin-timing": "active-close passive-close fin-wait-1-ack",
}


def test_the_segment_section_is_in_the_tables_and_cites_packetdrill() -> None:
    assert set(EDGES) <= set(SPEC.scenarios)
    cited = [name for name in EDGES if SPEC.scenarios[name].cites]
    assert len(cited) >= 8, cited
    for name in cited:
        for cite in SPEC.scenarios[name].cites:
            repo, path_lines = cite.split(" ", 1)
            assert repo in ("torvalds/linux", "google/packetdrill"), cite
            assert path_lines.split(":")[0].endswith(".pkt"), cite


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("scenario", list(EDGES))
def test_each_scenario_runs_as_documented_and_takes_its_edges(
    tcp_scenario: Callable[..., ScenarioCheck], scenario: str, family: str
) -> None:
    check = tcp_scenario(scenario, family)
    check.assert_documented()
    shown = [edge.id for edge in edges_shown(check.verdict)]
    assert shown == EDGES[scenario].split(), shown


def test_the_reset_edges_are_in_the_coverage_over_both_families(tmp_path: Path) -> None:
    out = tmp_path / "check.json"
    scenarios = ["time-wait-rst-assassination", "closing-rst", "syn-received-rst-listen"]
    args = ["check", "-q", "--json", str(out), *(f"--scenario={name}" for name in scenarios)]
    assert main(args) == 0
    edges = {edge["id"]: edge for edge in json.loads(out.read_text())["coverage"]["edges"]}
    for edge, scenario in [
        ("time-wait-rst", "time-wait-rst-assassination"),
        ("closing-rst", "closing-rst"),
        ("syn-received-rst", "syn-received-rst-listen"),
    ]:
        assert {f"{scenario} (IPv4)", f"{scenario} (IPv6)"} <= set(edges[edge]["shown_in"])
    # A request forgotten returns to LISTEN; nothing here is an active open reset.
    assert edges["syn-received-rst-active"]["shown_in"] == []


def test_what_the_runner_does_is_on_the_wire(tcp_scenario: Callable[..., ScenarioCheck]) -> None:
    rst = observed(tcp_scenario("time-wait-rst-assassination", "IPv6"))[0]
    assert (rst.injected, rst.flags, rst.options) == (True, TcpFlag.RST, ())
    ce = observed(tcp_scenario("ce-echo", "IPv4"))
    assert [s.ecn for s in ce] == [CE, 0b00, 0b10, 0b00]  # CE-marked, pure ACKs Not-ECT, ECT(0)
    first, _, late, _ = observed(tcp_scenario("out-of-order-sack", "IPv4"))
    assert first.seq == late.seq + late.length  # the second segment went first
    assert (first.length, late.length) == (2000 - 1448, 1448)


def observed(check: ScenarioCheck) -> list[ObservedSegment]:
    return [item for item in check.run.timeline if isinstance(item, ObservedSegment)]


# --- tables written wrong on purpose ------------------------------------------------------


def rewritten(
    name: str, step: int, *, drop: bool = False, **changes: Any
) -> tuple[ScriptItem, ...]:
    """The script of `name` with documented segment `step` (from 1) changed, or left out."""
    script: list[ScriptItem] = []
    n = 0
    for item in SPEC.scenarios[name].script:
        if isinstance(item, DocumentedSegment):
            n += 1
            if n == step:
                if not drop:
                    script.append(dataclasses.replace(item, **changes))
                continue
        script.append(item)
    return tuple(script)


def states(**by_role: TcpState) -> dict[str, TcpState]:
    return {Role(role): state for role, state in by_role.items()}


WRONG = [
    pytest.param(
        "listener-stray-ack-rst",
        {"step": 2, "drop": True},
        2,
        "not in the documentation: server → client RST, after step 1",
        id="a-listener-ignores-a-stray-ack",
    ),
    pytest.param(
        "listener-stray-ack-rst",
        {"step": 2, "flags": TcpFlag.RST | TcpFlag.ACK, "absent": TcpFlag(0)},
        2,
        "documented RST+ACK, but ACK is not set (on the wire: RST)",
        id="the-listener-s-rst-acknowledges",
    ),
    pytest.param(
        "segment-after-close-rst",
        {"step": 2, "states": states(server=S.CLOSED, client=S.TIME_WAIT)},
        2,
        "client is CLOSED once it has processed the segment, documented TIME-WAIT",
        id="time-wait-survives-the-answer",
    ),
    pytest.param(
        "time-wait-rst-assassination",
        {"step": 1, "states": states(server=S.CLOSED, client=S.TIME_WAIT)},
        1,
        "client is CLOSED once it has processed the segment, documented TIME-WAIT",
        id="rst-in-time-wait-ignored-as-rfc1337-says",
    ),
    pytest.param(
        "time-wait-rst-rfc1337",
        {"step": 1, "states": states(server=S.CLOSED, client=S.CLOSED)},
        1,
        "client is TIME-WAIT once it has processed the segment, documented CLOSED",
        id="rfc1337-on-still-assassinated",
    ),
    pytest.param(
        "time-wait-rst-out-of-window",
        {"step": 1, "states": states(server=S.CLOSED, client=S.CLOSED)},
        1,
        "client is TIME-WAIT once it has processed the segment, documented CLOSED",
        id="any-rst-ends-time-wait",
    ),
    pytest.param(
        "closing-rst",
        {"step": 3, "states": states(client=S.CLOSING)},
        3,
        "client is CLOSED once it has processed the segment, documented CLOSING",
        id="rst-in-closing-ignored",
    ),
    pytest.param(
        "syn-received-rst-listen",
        {"step": 2, "states": states(server=S.CLOSED)},
        2,
        "server is LISTEN once it has processed the segment, documented CLOSED",
        id="a-reset-request-closes-instead-of-listening",
    ),
    pytest.param(
        "ce-echo",
        {"step": 2, "flags": TcpFlag.ACK, "absent": TcpFlag.ECE},
        2,
        "documented without ECE, but ECE is set",
        id="no-ece-echo",
    ),
    pytest.param(
        "ce-echo",
        {"step": 3, "flags": TcpFlag.PSH, "absent": TcpFlag.CWR},
        3,
        "documented without CWR, but CWR is set",
        id="no-cwr",
    ),
    pytest.param(
        "out-of-order-sack",
        {"step": 2, "options": (OptionClaim(OptionKind.SACK, present=False),)},
        2,
        "documented no sack, but it carries sack 1",
        id="no-sack",
    ),
    pytest.param(
        "out-of-order-sack",
        {"step": 4, "options": (OptionClaim(OptionKind.SACK),)},
        4,
        "documented option sack, but it carries none such (options on the wire: timestamps)",
        id="sack-after-the-hole-is-filled",
    ),
    pytest.param(
        "syn-options",
        {"step": 1, "options": (OptionClaim(None, present=False),)},
        1,
        "documented with no options, but it carries mss ",
        id="no-options",
    ),
    pytest.param(
        "delayed-ack-of-fin-timing",
        {"step": 2, "after": Timing(0.0, 0.01)},
        2,
        "after step 1, documented 0 ms ± 10 ms (from 0 ms to 10 ms)",
        id="the-ack-of-a-fin-at-once",
    ),
    pytest.param(
        "delayed-ack-of-fin-timing",
        {"step": 2, "after": Timing(0.2, 0.05)},
        2,
        "after step 1, documented 200 ms ± 50 ms (from 150 ms to 250 ms)",
        id="the-ack-of-a-fin-after-200-ms",
    ),
]


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize(("name", "change", "step", "problem"), WRONG)
def test_a_table_written_as_the_textbook_has_it_fails_at_that_step(
    lab: Lab,
    tmp_path: Path,
    *,
    name: str,
    change: dict[str, Any],
    step: int,
    problem: str,
    family: str,
) -> None:
    documented = SPEC.scenarios[name]
    wrong = dataclasses.replace(documented, script=rewritten(name, **change))
    check = check_scenario(lab, wrong, family=family, pcap=tmp_path / "wrong.pcap")
    assert [s.n for s in check.verdict.steps if not s.ok] == [step], check.verdict.problems
    (found,) = check.verdict.steps[step - 1].problems
    assert problem in found
    with pytest.raises(AssertionError, match="FAIL"):
        check.assert_documented()


def test_an_mss_written_for_ipv4_fails_over_ipv6_only(lab: Lab, tmp_path: Path) -> None:
    mss = (OptionClaim(OptionKind.MSS, value=1460),)
    wrong = dataclasses.replace(
        SPEC.scenarios["syn-options"], script=rewritten("syn-options", 1, options=mss)
    )
    assert check_scenario(lab, wrong, family="IPv4", pcap=tmp_path / "4.pcap").ok
    check = check_scenario(lab, wrong, family="IPv6", pcap=tmp_path / "6.pcap")
    assert check.verdict.problems == ("step 1: documented mss 1460, but it carries mss 1440",)


@pytest.mark.parametrize(
    ("name", "step", "after", "problem"),
    [
        pytest.param(
            "syn-backoff-timing",
            3,
            Timing(2.0, 0.3),
            "after step 2, documented 2 s ± 300 ms (from 1.7 s to 2.3 s)",
            id="syn-backoff-doubles-3-s-after-the-first",
        ),
        pytest.param(
            "data-retransmit-backoff",
            2,
            Timing(1.0, 0.3),
            "after step 1, documented 1 s ± 300 ms (from 700 ms to 1.3 s)",
            id="data-retransmitted-after-rfc-6298-s-1-s",
        ),
        pytest.param(
            "data-retransmit-backoff",
            4,
            Timing(0.21, 0.1),
            "after step 3, documented 210 ms ± 100 ms (from 110 ms to 310 ms)",
            id="no-backoff",
        ),
        pytest.param(
            "fin-retransmit-last-ack",
            4,
            Timing(1.0, 0.3),
            "after step 3, documented 1 s ± 300 ms (from 700 ms to 1.3 s)",
            id="fin-retransmitted-after-rfc-6298-s-1-s",
        ),
    ],
)
def test_a_retransmission_documented_at_the_wrong_time_fails_there(
    lab: Lab, tmp_path: Path, *, name: str, step: int, after: Timing, problem: str
) -> None:
    documented = SPEC.scenarios[name]
    wrong = dataclasses.replace(documented, script=rewritten(name, step, after=after))
    check = check_scenario(lab, wrong, pcap=tmp_path / "wrong.pcap")
    assert [s.n for s in check.verdict.steps if not s.ok] == [step], check.verdict.problems
    (found,) = check.verdict.steps[step - 1].problems
    assert found.startswith("sent ")
    assert problem in found
