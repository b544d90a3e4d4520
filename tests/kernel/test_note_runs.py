"""Notes on the kernel: every scenario a note compiles to runs, and does what its diagram shows.

The example notes (tests/pure/notes, five languages) and small inline notes, one
per kind of exchange the compiler infers actions for, run over IPv4 and IPv6
each on a fresh lab, as `lab check` runs them (`check_scenario`). A run is right
when every step of the judge's alignment has no problem: direction and flags as
documented (an ACK may be extra on the wire, PSH on data may go unwritten).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from lab import Lab, check_scenario
from lab._pace import slowdown
from lab.notes import load_note, read_note
from lab.stepping import run_scenario
from lab.tcp import (
    Action,
    ObservedAction,
    ObservedSegment,
    Role,
    Scenario,
    ScenarioVerdict,
    TcpFlag,
    TcpState,
)
from lab.tcp._claims import RunRecord

FAMILIES = ["IPv4", "IPv6"]
NOTES = sorted((Path(__file__).parents[1] / "pure" / "notes").glob("*.md"))

INLINE = {
    "simultaneous-close": """
        Note over Alice,Bob: ESTABLISHED
        Alice->>Bob: FIN
        Bob->>Alice: FIN
        Note over Alice,Bob: CLOSING
        Alice->>Bob: ACK
        Bob->>Alice: ACK
        Note over Alice,Bob: TIME-WAIT
    """,
    "data-then-close": """
        Note over Alice,Bob: ESTABLISHED
        Alice->>Bob: data
        Bob->>Alice: ACK
        Alice->>Bob: FIN
        Bob->>Alice: ACK
        Bob->>Alice: FIN
        Alice->>Bob: ACK
    """,
    "open-data-psh-close": """
        Alice->>Bob: SYN
        Bob->>Alice: SYN+ACK
        Alice->>Bob: ACK
        Alice->>Bob: PSH,ACK (data)
        Bob->>Alice: ACK
        Alice->>Bob: FIN
        Bob->>Alice: ACK
        Bob->>Alice: FIN
        Alice->>Bob: ACK
    """,
    "abort": """
        Note over Alice,Bob: ESTABLISHED
        Alice->>Bob: RST
        Note over Alice,Bob: CLOSED
    """,
    "refused": """
        Alice->>Bob: SYN
        Note left of Alice: SYN-SENT
        Bob->>Alice: RST+ACK
        Note left of Alice: CLOSED
    """,
    "urgent": """
        Note over Alice,Bob: ESTABLISHED
        Alice->>Bob: URG,ACK (urgent data)
        Bob->>Alice: ACK
    """,
    "urgent-then-close": """
        Note over Alice,Bob: ESTABLISHED
        Alice->>Bob: URG,ACK (urgent data)
        Bob->>Alice: ACK
        Alice->>Bob: FIN
        Bob->>Alice: ACK
        Bob->>Alice: FIN
        Alice->>Bob: ACK
    """,
    "close-only": """
        Alice->>Bob: FIN
        Bob->>Alice: ACK
        Bob->>Alice: FIN
        Alice->>Bob: ACK
    """,
    "three-segment-close": """
        Note over Alice,Bob: ESTABLISHED
        Alice->>Bob: FIN
        Note left of Alice: FIN-WAIT-1
        Bob->>Alice: FIN+ACK
        Note right of Bob: LAST-ACK
        Alice->>Bob: ACK
        Note left of Alice: TIME-WAIT
        Note right of Bob: CLOSED
    """,
    "half-close": """
        Note over Alice,Bob: ESTABLISHED
        Alice->>Bob: FIN
        Bob->>Alice: ACK
        Note left of Alice: FIN-WAIT-2
        Note right of Bob: CLOSE-WAIT
    """,
}


def inline_note(name: str) -> Scenario:
    """The one scenario of the inline note `name`: its diagram between Alice and Bob."""
    body = "\n".join(line.strip() for line in INLINE[name].strip().splitlines())
    diagram = f"sequenceDiagram\nparticipant Alice\nparticipant Bob\n{body}"
    text = f"# {name}\n\n```mermaid\n{diagram}\n```\n"
    (scenario,) = read_note(text, f"<{name}>").scenarios
    return scenario


NOTE_RUNS = [(path, scenario.name) for path in NOTES for scenario in load_note(path).scenarios]
"""Each example note's scenarios, by name (``L12-25``)."""


def assert_segments_as_documented(verdict: ScenarioVerdict) -> None:
    """Every aligned step is right (direction, flags); else the side-by-side table."""
    __tracebackhide__ = True
    wrong = [step for step in verdict.steps if step.problems]
    assert not wrong, verdict.problems


def segments(run_timeline: tuple[object, ...]) -> list[ObservedSegment]:
    return [item for item in run_timeline if isinstance(item, ObservedSegment)]


def test_the_shared_english_note_is_among_the_examples() -> None:
    shared = Path("/work/shared/notes/tcp-open-close-en.md")
    if not shared.exists():
        pytest.skip(f"{shared} is not on this machine")
    copy = Path(__file__).parents[1] / "pure" / "notes" / shared.name
    assert copy.read_text() == shared.read_text()


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize(
    ("path", "name"), NOTE_RUNS, ids=[f"{path.stem}-{name}" for path, name in NOTE_RUNS]
)
def test_every_example_note_runs_as_its_diagram_shows(
    lab: Lab, path: Path, name: str, family: str
) -> None:
    (scenario,) = [s for s in load_note(path).scenarios if s.name == name]
    check = check_scenario(lab, scenario, family=family)
    assert_segments_as_documented(check.verdict)
    assert len(check.verdict.steps) == len(scenario.segments)  # none missing, none extra


RACES = {
    "three-segment-close": (
        "Bob's close must come within the tick after Alice's FIN arrives: an end that never "
        "received data acknowledges a FIN at the next tick (delayed ACK, ato 0), then its "
        "FIN goes alone. The runner releases the FIN just after a tick, but a machine busy "
        "enough to preempt it for 4 ms (about 1 run in 70 on two loaded CPUs) loses the race"
    ),
}
"""Inline notes that depend on the runner acting within a kernel tick, and why: run twice."""

COMPILED_WRONG: dict[str, str] = {}
"""Inline notes whose inferred actions are wrong, and why: they fail until lab.notes is fixed."""


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.xfail(reason=COMPILED_WRONG[name], strict=True))
        if name in COMPILED_WRONG
        else name
        for name in INLINE
    ],
)
def test_every_inline_note_runs_as_its_diagram_shows(lab: Lab, name: str, family: str) -> None:
    check = check_scenario(lab, inline_note(name), family=family)
    if name in RACES and not check.ok:
        check = check_scenario(lab, inline_note(name), family=family)  # once more: see RACES
    assert_segments_as_documented(check.verdict)


@pytest.mark.parametrize("family", FAMILIES)
def test_data_read_then_closed_ends_with_fins_not_resets(lab: Lab, family: str) -> None:
    run = run_scenario(lab, inline_note("data-then-close"), family=family)
    reads = [a for a in run.timeline if isinstance(a, ObservedAction) and a.verb == "reads data"]
    assert [(a.actor, a.result) for a in reads] == [(Role.SERVER, "5")]  # bytes read
    flags = [s.flags for s in segments(run.timeline)]
    assert not any(TcpFlag.RST in f for f in flags)
    assert sum(TcpFlag.FIN in f for f in flags) == 2


@pytest.mark.parametrize("family", FAMILIES)
def test_urgent_data_read_then_closed_ends_with_fins_not_resets(lab: Lab, family: str) -> None:
    # The compiler reads urgent data as it reads ordinary data; both ends close after it.
    scenario = inline_note("urgent")
    script = [*scenario.script, Action(Role.CLIENT, "closes"), Action(Role.SERVER, "closes")]
    run = run_scenario(lab, dataclasses.replace(scenario, script=tuple(script)), family=family)
    reads = [a for a in run.timeline if isinstance(a, ObservedAction) and a.verb == "reads data"]
    assert [a.result for a in reads] == ["1"]  # the urgent byte, read out of band
    flags = [s.flags for s in segments(run.timeline)]
    assert TcpFlag.URG in flags[0]
    assert not any(TcpFlag.RST in f for f in flags), flags
    assert sum(TcpFlag.FIN in f for f in flags) == 2


@pytest.mark.parametrize("family", FAMILIES)
def test_a_run_records_its_start_ending_and_initial_sequence_numbers(lab: Lab, family: str) -> None:
    run = run_scenario(lab, inline_note("close-only"), family=family)
    assert {role: s.state for role, s in run.start.items()} == {
        Role.CLIENT: TcpState.ESTABLISHED,
        Role.SERVER: TcpState.ESTABLISHED,
    }
    assert {role: s.state for role, s in run.ending.items()} == {
        Role.CLIENT: TcpState.TIME_WAIT,
        Role.SERVER: TcpState.CLOSED,
    }
    assert run.final == run.ending  # nothing waited
    fins = {s.sender: s.seq for s in segments(run.timeline) if TcpFlag.FIN in s.flags}
    # The SYNs were in the setup; no data flowed, so each FIN comes right after its SYN.
    assert run.isn == {role: (seq - 1) % (1 << 32) for role, seq in fins.items()}
    record = run.record()
    assert record == RunRecord(
        scenario=run.scenario,
        family=family,
        timeline=run.timeline,
        start=run.start,
        final=run.final,
        waited={},
        ending=run.ending,
        isn=run.isn,
    )


@pytest.mark.parametrize("family", FAMILIES)
def test_isn_of_an_open_comes_from_the_script_and_the_start_precedes_it(
    lab: Lab, family: str
) -> None:
    run = run_scenario(lab, inline_note("open-data-psh-close"), family=family)
    syn, syn_ack = segments(run.timeline)[:2]
    assert run.isn == {Role.CLIENT: syn.seq, Role.SERVER: syn_ack.seq}
    assert {s.state for s in run.start.values()} == {TcpState.CLOSED}  # nothing set up
    refused = run_scenario(lab, inline_note("refused"), family=family, port=9090)
    assert set(refused.isn) == {Role.CLIENT}  # the RST+ACK starts no sequence


def test_wait_timers_waits_out_an_orphaned_fin_wait_2(lab: Lab) -> None:
    # No `timers` in a note: the client's closed socket in FIN-WAIT-2 is waited out anyway
    # (tcp_fin_timeout, 1 s here), the server's CLOSE-WAIT is not (no timer ends it).
    scenario = dataclasses.replace(
        inline_note("half-close"), sysctls={"net.ipv4.tcp_fin_timeout": "1"}
    )
    run = run_scenario(lab, scenario, wait_timers=True)
    assert run.ending[Role.CLIENT].state is TcpState.FIN_WAIT_2
    assert set(run.waited) == {Role.CLIENT}
    assert 0.5 < run.waited[Role.CLIENT] < 3
    assert run.final[Role.CLIENT].state is TcpState.CLOSED
    assert run.final[Role.SERVER].state is TcpState.CLOSE_WAIT
    assert run.record().waited == run.waited


def test_a_note_of_two_diagrams_runs_over_both_families_well_under_3_s() -> None:
    path = next(p for p in NOTES if p.name == "tcp-open-close-en.md")
    start = time.monotonic()
    note = load_note(path)
    for scenario in note.scenarios:
        for family in FAMILIES:
            with Lab() as lab:  # one fresh lab per run, as `lab check` builds them
                assert check_scenario(lab, scenario, family=family).ok
    seconds = time.monotonic() - start
    runs = f"{len(note.scenarios)} diagrams x {len(FAMILIES)} families"
    print(f"{path.name}: {runs}: {seconds:.2f} s")
    assert seconds < 3.0 * slowdown()


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("name", ["data-then-close", "close-only", "abort", "refused"])
def test_without_stepping_each_action_goes_before_the_segments_it_causes(
    lab: Lab, name: str, family: str
) -> None:
    # Plain mode holds nothing, so only notes whose order needs no holding are run: a
    # simultaneous or three-segment close needs the stepper.
    check = check_scenario(lab, inline_note(name), family=family, stepping=False)
    assert_segments_as_documented(check.verdict)
    assert check.run.start
    assert check.run.ending == check.run.final
    assert Role.CLIENT in check.run.isn
