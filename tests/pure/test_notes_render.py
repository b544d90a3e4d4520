"""A run drawn as a mermaid diagram in the note's words reads back as the run.

The property every test here checks (`assert_reads_back`): `render_mermaid`'s
text, in a mermaid fence, read by `read_note`, gives one diagram with no
warning, whose segments are the observed ones (direction and flags), whose
roles have the note's names, and whose state claims hold for the observed
snapshots under the window rule (written out independently in `windows`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import REPO
from timelines import act, snaps

from lab.notes import NoteDiagram, read_note, render_mermaid
from lab.tcp import (
    Observation,
    ObservedAction,
    ObservedSegment,
    Role,
    Scenario,
    StateSnapshot,
    TcpFlag,
    TcpState,
)
from lab.tcp._claims import RunRecord
from lab.tcp._spec import DocumentedSegment, StateClaim, TimerPassed

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ALICE_BOB = {Role.CLIENT: "Alice", Role.SERVER: "Bob"}
SCENARIO = Scenario("L1-2", "a run", (), ())
CLIENT_ISN, SERVER_ISN = 1000, 5000
SHARED = REPO / "tests/pure/notes/tcp-open-close-en.md"


def segment(
    line: str, seq: int, ack: int, before: str, after: str, *, length: int = 0
) -> ObservedSegment:
    """``segment("client -> server SA", 0, 1, ...)``: seq and ack relative to each ISN."""
    sender, _, receiver, flags = line.split()
    isn = {Role.CLIENT: CLIENT_ISN, Role.SERVER: SERVER_ISN}
    return ObservedSegment(
        0,
        Role(sender),
        Role(receiver),
        TcpFlag.parse(flags),
        isn[Role(sender)] + seq,
        isn[Role(receiver)] + ack,
        length,
        snaps(before),
        snaps(after),
    )


def record(
    timeline: Sequence[Observation], start: str, ending: str, final: str = "", isn: bool = True
) -> RunRecord:
    return RunRecord(
        scenario=SCENARIO,
        family="IPv4",
        timeline=tuple(timeline),
        start=snaps(start),
        ending=snaps(ending),
        final=snaps(final or ending),
        isn={Role.CLIENT: CLIENT_ISN, Role.SERVER: SERVER_ISN} if isn else {},
    )


def drawn_for(names: Mapping[Role, str]) -> NoteDiagram:
    """A diagram of a note whose participants have `names` (all render_mermaid reads of it)."""
    return NoteDiagram(SCENARIO, 1, 2, "open", {}, dict(names), "")


OPEN = record(
    [
        act("server listens", "CLOSED LISTEN"),
        act("client connects", "SYN-SENT LISTEN"),
        segment("client -> server S", 0, 0, "SYN-SENT LISTEN", "SYN-SENT SYN-RECEIVED"),
        segment("server -> client SA", 0, 1, "SYN-SENT SYN-RECEIVED", "ESTABLISHED SYN-RECEIVED"),
        segment("client -> server A", 1, 1, "ESTABLISHED SYN-RECEIVED", "ESTABLISHED ESTABLISHED"),
    ],
    start="CLOSED CLOSED",
    ending="ESTABLISHED ESTABLISHED",
    isn=False,
)

FOUR_SEGMENT_CLOSE = record(
    [
        act("client closes", "FIN-WAIT-1 ESTABLISHED"),
        segment("client -> server FA", 1, 1, "FIN-WAIT-1 ESTABLISHED", "FIN-WAIT-1 CLOSE-WAIT"),
        segment("server -> client A", 1, 2, "FIN-WAIT-1 CLOSE-WAIT", "FIN-WAIT-2 CLOSE-WAIT"),
        act("server closes", "FIN-WAIT-2 LAST-ACK"),
        segment("server -> client FA", 1, 2, "FIN-WAIT-2 LAST-ACK", "TIME-WAIT LAST-ACK"),
        segment("client -> server A", 2, 2, "TIME-WAIT LAST-ACK", "TIME-WAIT CLOSED"),
    ],
    start="ESTABLISHED ESTABLISHED",
    ending="TIME-WAIT CLOSED",
    final="CLOSED CLOSED",
)

THREE_SEGMENT_CLOSE = record(
    [
        act("client closes", "FIN-WAIT-1 ESTABLISHED"),
        segment("client -> server FA", 1, 1, "FIN-WAIT-1 ESTABLISHED", "FIN-WAIT-1 CLOSE-WAIT"),
        act("server closes", "FIN-WAIT-1 LAST-ACK"),
        segment("server -> client FA", 1, 2, "FIN-WAIT-1 LAST-ACK", "TIME-WAIT LAST-ACK"),
        segment("client -> server A", 2, 2, "TIME-WAIT LAST-ACK", "TIME-WAIT CLOSED"),
    ],
    start="ESTABLISHED ESTABLISHED",
    ending="TIME-WAIT CLOSED",
)

SIMULTANEOUS_CLOSE = record(
    [
        act("client closes", "FIN-WAIT-1 ESTABLISHED"),
        act("server closes", "FIN-WAIT-1 FIN-WAIT-1"),
        segment("client -> server FA", 1, 1, "FIN-WAIT-1 FIN-WAIT-1", "FIN-WAIT-1 CLOSING"),
        segment("server -> client FA", 1, 1, "FIN-WAIT-1 CLOSING", "CLOSING CLOSING"),
        segment("client -> server A", 2, 2, "CLOSING CLOSING", "CLOSING TIME-WAIT"),
        segment("server -> client A", 2, 2, "CLOSING TIME-WAIT", "TIME-WAIT TIME-WAIT"),
    ],
    start="ESTABLISHED ESTABLISHED",
    ending="TIME-WAIT TIME-WAIT",
    final="CLOSED CLOSED",
)

DATA_AND_CLOSE = record(
    [
        act("client sends data", "ESTABLISHED ESTABLISHED"),
        segment(
            "client -> server PA",
            1,
            1,
            "ESTABLISHED ESTABLISHED",
            "ESTABLISHED ESTABLISHED",
            length=5,
        ),
        act("server reads data", "ESTABLISHED ESTABLISHED"),
        segment("server -> client A", 1, 6, "ESTABLISHED ESTABLISHED", "ESTABLISHED ESTABLISHED"),
        act("client closes", "FIN-WAIT-1 ESTABLISHED"),
        segment("client -> server FA", 6, 1, "FIN-WAIT-1 ESTABLISHED", "FIN-WAIT-1 CLOSE-WAIT"),
        segment("server -> client A", 1, 7, "FIN-WAIT-1 CLOSE-WAIT", "FIN-WAIT-2 CLOSE-WAIT"),
        act("server closes", "FIN-WAIT-2 LAST-ACK"),
        segment("server -> client FA", 1, 7, "FIN-WAIT-2 LAST-ACK", "TIME-WAIT LAST-ACK"),
        segment("client -> server A", 7, 2, "TIME-WAIT LAST-ACK", "TIME-WAIT CLOSED"),
    ],
    start="ESTABLISHED ESTABLISHED",
    ending="TIME-WAIT CLOSED",
)

RESET = record(
    [
        act("client aborts", "CLOSED ESTABLISHED"),
        segment("client -> server RA", 1, 1, "CLOSED ESTABLISHED", "CLOSED CLOSED"),
    ],
    start="ESTABLISHED ESTABLISHED",
    ending="CLOSED CLOSED",
)

REFUSED = record(
    [
        act("client connects to a closed port", "SYN-SENT CLOSED", result="ECONNREFUSED"),
        segment("client -> server S", 0, 0, "SYN-SENT CLOSED", "SYN-SENT CLOSED"),
        segment("server -> client RA", 0, 1, "SYN-SENT CLOSED", "CLOSED CLOSED"),
    ],
    start="CLOSED CLOSED",
    ending="CLOSED CLOSED",
)


# --- the window rule, written out for the test ------------------------------------------


def windows(run: RunRecord) -> list[list[Mapping[str, StateSnapshot]]]:
    """For each slot between messages, the snapshots a Note there may claim.

    Slot k runs from the delivery of message k (its `after`; `start` for the
    first slot) to the sending of message k+1 (its `before`; `ending` for the
    last slot), the actions' snapshots between included.
    """
    slots: list[list[Mapping[str, StateSnapshot]]] = [[run.start]]
    for item in run.timeline:
        if isinstance(item, ObservedAction):
            slots[-1].append(item.states)
        else:
            slots[-1].append(item.before)
            slots.append([item.after])
    slots[-1].append(run.ending)
    return slots


def claims_by_slot(diagram: NoteDiagram) -> list[tuple[int, StateClaim, bool]]:
    """Each state claim, its slot, and whether a timer of its role passed before it."""
    found: list[tuple[int, StateClaim, bool]] = []
    slot, timed = 0, set()
    for item in diagram.scenario.script:
        if isinstance(item, TimerPassed):
            timed |= {item.role} if item.role else set(Role)
        elif isinstance(item, StateClaim):
            found.append((slot, item, item.role in timed))
        elif isinstance(item, DocumentedSegment):
            slot += 1
    return found


def observed_states(run: RunRecord, role: Role) -> list[TcpState]:
    """The states `role` went through, each once in a row, then its final one."""
    seen = [snap[role].state for slot in windows(run) for snap in slot if role in snap]
    if role in run.final:
        seen.append(run.final[role].state)
    states = [state for k, state in enumerate(seen) if k == 0 or seen[k - 1] is not state]
    return states[1:] if states[:1] == [TcpState.CLOSED] else states


def read_back(
    run: RunRecord, names: Mapping[Role, str], spellings: Mapping[TcpState, str] = {}
) -> tuple[str, NoteDiagram]:
    text = render_mermaid(run, drawn_for(names), spellings)
    note = read_note(f"# A note\n\n```mermaid\n{text}```\n", "drawn.md")
    assert not note.warnings, "\n".join(map(str, note.warnings)) + "\n" + text
    [diagram] = note.diagrams
    return text, diagram


def assert_reads_back(
    run: RunRecord, names: Mapping[Role, str] = ALICE_BOB, spellings: Mapping[TcpState, str] = {}
) -> str:
    """The property of the module docstring; the text, for more checks."""
    __tracebackhide__ = True
    text, diagram = read_back(run, names, spellings)
    observed = [
        (s.sender, s.receiver, s.flags) for s in run.timeline if isinstance(s, ObservedSegment)
    ]
    documented = [(s.sender, s.receiver, s.flags) for s in diagram.scenario.segments]
    assert documented == observed, text
    assert dict(diagram.names) == {role: " ".join(name.split()) for role, name in names.items()}
    slots = windows(run)
    for slot, claim, timed in claims_by_slot(diagram):
        if timed:
            held = {run.final[claim.role].state}
        else:
            held = {snap[claim.role].state for snap in slots[slot] if claim.role in snap}
        assert claim.state in held, f"{claim} in slot {slot}, observed {held}\n{text}"
    for role in Role:
        claimed = [c.state for _, c, _ in claims_by_slot(diagram) if c.role is role]
        assert claimed == observed_states(run, role), f"{role}\n{text}"
    return text


# --- examples ---------------------------------------------------------------------------


def test_the_open_reads_as_the_note_draws_it() -> None:
    assert render_mermaid(OPEN, drawn_for(ALICE_BOB), {}) == (
        "sequenceDiagram\n"
        "    participant Alice\n"
        "    participant Bob\n"
        "    Note over Bob: listen()\n"
        "    Note over Bob: LISTEN\n"
        "    Note over Alice: connect()\n"
        "    Alice->>Bob: SYN seq=0\n"
        "    Note left of Alice: SYN-SENT\n"
        "    Note right of Bob: SYN-RECEIVED\n"
        "    Bob->>Alice: SYN, ACK seq=0 ack=1\n"
        "    Note left of Alice: ESTABLISHED\n"
        "    Alice->>Bob: ACK seq=1 ack=1\n"
        "    Note right of Bob: ESTABLISHED\n"
    )
    assert_reads_back(OPEN)


def test_a_four_segment_close_shows_the_precondition_and_the_timer() -> None:
    text = assert_reads_back(FOUR_SEGMENT_CLOSE)
    assert text.splitlines()[3:6] == [
        "    Note over Alice,Bob: ESTABLISHED",
        "    Note over Alice: close()",
        "    Alice->>Bob: FIN, ACK seq=1 ack=1",
    ]
    assert text.splitlines()[-3:] == [
        "    Note right of Bob: CLOSED",
        "    Note over Alice: 2MSL",
        "    Note left of Alice: CLOSED",
    ]


def test_a_three_segment_close() -> None:
    text = assert_reads_back(THREE_SEGMENT_CLOSE)
    assert text.splitlines()[-5:-2] == [
        "    Bob->>Alice: FIN, ACK seq=1 ack=2",
        "    Note right of Bob: LAST-ACK",
        "    Note left of Alice: TIME-WAIT",
    ]


def test_a_simultaneous_close_shows_closing() -> None:
    text = assert_reads_back(SIMULTANEOUS_CLOSE)
    assert "Note over Alice,Bob: CLOSING" in text or "Note left of Alice: CLOSING" in text
    assert "Note over Bob: close()" in text  # the compiler infers both closes


def test_data_then_a_close() -> None:
    text = assert_reads_back(DATA_AND_CLOSE)
    assert "    Alice->>Bob: PSH, ACK seq=1 ack=1 len=5\n    Note over Bob: recv()\n" in text


def test_a_reset() -> None:
    text = assert_reads_back(RESET)
    assert text.splitlines()[-3:] == [
        "    Note over Alice: abort()",
        "    Alice->>Bob: RST, ACK seq=1 ack=1",
        "    Note over Alice,Bob: CLOSED",
    ]


def test_a_refused_connection_shows_the_error() -> None:
    text = assert_reads_back(REFUSED)
    assert "Note over Alice: connect() → ECONNREFUSED" in text


def test_korean_names_and_the_notes_spellings() -> None:
    names = {Role.CLIENT: "클라이언트", Role.SERVER: "서버"}
    spellings = {TcpState.FIN_WAIT_1: "FIN_WAIT1", TcpState.TIME_WAIT: "TIME_WAIT"}
    text = assert_reads_back(FOUR_SEGMENT_CLOSE, names, spellings)
    assert text.splitlines()[1:3] == [
        "    participant C as 클라이언트",
        "    participant S as 서버",
    ]
    assert "Note left of C: FIN_WAIT1" in text
    assert "Note left of C: TIME_WAIT" in text


def test_names_with_spaces_and_mermaid_characters() -> None:
    names = {Role.CLIENT: "web  browser; v2 #1", Role.SERVER: "end"}
    text = assert_reads_back(OPEN, names)
    assert text.splitlines()[1:3] == [
        "    participant C as web browser#59; v2 #35;1",
        "    participant S as end",
    ]


def test_a_name_that_is_the_other_ends_id_gets_another() -> None:
    assert_reads_back(OPEN, {Role.CLIENT: "서버", Role.SERVER: "C"})
    assert_reads_back(OPEN, {Role.CLIENT: "Host", Role.SERVER: "Host"})


def test_a_spelling_that_does_not_read_back_is_not_used() -> None:
    text = assert_reads_back(OPEN, spellings={TcpState.LISTEN: "LISTNE"})
    assert "Note over Bob: LISTEN" in text


def test_actions_the_compiler_would_not_infer_are_left_out() -> None:
    timeline = [act("client shuts down writing", "FIN-WAIT-1 ESTABLISHED"), *RESET.timeline[1:]]
    run = record(timeline, "ESTABLISHED ESTABLISHED", "CLOSED CLOSED")
    text = assert_reads_back(run)
    assert "shuts down" not in text
    assert "abort()" not in text


def test_without_isns_the_syns_seq_is_zero() -> None:
    text = assert_reads_back(OPEN)
    assert "Alice->>Bob: SYN seq=0\n" in text


def test_pasted_over_the_shared_notes_diagrams_the_note_still_reads() -> None:
    text = SHARED.read_text(encoding="utf-8")
    note = read_note(text, str(SHARED))
    lines = text.splitlines(keepends=True)
    for diagram, run in reversed(list(zip(note.diagrams, [OPEN, FOUR_SEGMENT_CLOSE], strict=True))):
        drawn = render_mermaid(run, diagram, note.spellings)
        lines[diagram.first : diagram.last - 1] = drawn.splitlines(keepends=True)
    pasted = read_note("".join(lines), "pasted.md")
    assert not pasted.warnings
    assert [d.names for d in pasted.diagrams] == [d.names for d in note.diagrams]
    assert [d.kind for d in pasted.diagrams] == [d.kind for d in note.diagrams]
    names = {d.scenario.name for d in pasted.diagrams}
    assert len(pasted.tables) == len(note.tables)
    assert all(t.scenario in names for t in pasted.tables)


# --- any valid run ----------------------------------------------------------------------

FLAG_COMBOS = [
    TcpFlag.SYN,
    TcpFlag.SYN | TcpFlag.ACK,
    TcpFlag.ACK,
    TcpFlag.FIN | TcpFlag.ACK,
    TcpFlag.FIN,
    TcpFlag.RST,
    TcpFlag.RST | TcpFlag.ACK,
    TcpFlag.PSH | TcpFlag.ACK,
    TcpFlag.URG | TcpFlag.ACK,
    TcpFlag.SYN | TcpFlag.ECE | TcpFlag.CWR,
    TcpFlag.SYN | TcpFlag.ACK | TcpFlag.ECE,
]
NAMES = st.text(
    st.sampled_from("AbcXyz09_ -;#&클라이언트서버客户端"), min_size=1, max_size=12
).filter(lambda name: name.strip() != "")
STATES = st.sampled_from(TcpState)
SPELLINGS = st.sampled_from(
    [
        {},
        {TcpState.FIN_WAIT_1: "FIN_WAIT1", TcpState.SYN_RECEIVED: "SYN_RCVD"},
        {TcpState.TIME_WAIT: "TIME_WAIT", TcpState.CLOSE_WAIT: "CLOSE_WAIT"},
    ]
)


def bare_syn(flags: TcpFlag) -> bool:
    return TcpFlag.SYN in flags and TcpFlag.ACK not in flags


def both(draw: st.DrawFn) -> dict[str, StateSnapshot]:
    return {role: StateSnapshot(draw(STATES)) for role in Role}


@st.composite
def runs(draw: st.DrawFn) -> RunRecord:
    """A run as the stepper could record it: segments between the two ends, states anywhere."""
    shape = draw(
        st.lists(
            st.tuples(st.sampled_from(FLAG_COMBOS), st.sampled_from(Role)), min_size=1, max_size=7
        )
    )
    flags = [f for f, _ in shape]
    # lab runs no simultaneous open: every bare SYN is the client's.
    senders = [Role.CLIENT if bare_syn(f) else sender for f, sender in shape]
    # The compiler finds the client by behaviour: the first bare SYN, else FIN, else segment.
    if not any(bare_syn(f) for f in flags):
        first = next((k for k, f in enumerate(flags) if TcpFlag.FIN in f), 0)
        senders[first] = Role.CLIENT
    timeline: list[Observation] = []
    for flag, sender in zip(flags, senders, strict=True):
        if draw(st.booleans()):
            timeline.append(ObservedAction(draw(st.sampled_from(Role)), "closes", "", both(draw)))
        length = draw(st.integers(1, 1000)) if flag & (TcpFlag.PSH | TcpFlag.URG) else 0
        seq, ack = draw(st.integers(0, 2**32 - 1)), draw(st.integers(0, 2**32 - 1))
        timeline.append(
            ObservedSegment(0, sender, sender.peer, flag, seq, ack, length, both(draw), both(draw))
        )
    isns: list[dict[str, int]] = [{}, {Role.CLIENT: 7, Role.SERVER: 2**32 - 1}]
    isn = draw(st.sampled_from(isns))
    return RunRecord(
        SCENARIO, "IPv4", tuple(timeline), both(draw), both(draw), ending=both(draw), isn=isn
    )


@FAST
@given(runs(), NAMES, NAMES, SPELLINGS)
def test_any_valid_run_reads_back(
    run: RunRecord, client: str, server: str, spellings: Mapping[TcpState, str]
) -> None:
    assert_reads_back(run, {Role.CLIENT: client, Role.SERVER: server}, spellings)
