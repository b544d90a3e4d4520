"""Judging every claim of a compiled note: messages, states, timers, numbers, table rows, flags.

The notes are read with `read_note` (the realistic input); what the kernel did
is a timeline built by hand, with sequence numbers as TCP counts them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import pytest
from support import REPO

from lab.notes import Note, load_note, read_note
from lab.tcp import (
    ROLES,
    Action,
    ClaimVerdict,
    ObservedAction,
    ObservedSegment,
    Role,
    RunRecord,
    Scenario,
    StateSnapshot,
    TcpFlag,
    TcpState,
    claims_ok,
    count_claims,
    judge,
    judge_flags,
    judge_orders,
    judge_scenario_claims,
)
from lab.tcp._claim_numbers import SequenceNumbers
from lab.tcp._spec import NumberClaim

ENGLISH = REPO / "tests" / "pure" / "notes" / "tcp-open-close-en.md"
TIMER = "timewait,59sec,0"
ISN: dict[str, int] = {
    Role.CLIENT: 1_000_000,
    Role.SERVER: (1 << 32) - 1,
}  # the server's wraps at once

# --- building what the kernel did ---------------------------------------------------------------


def snaps(states: str) -> dict[str, StateSnapshot]:
    """``snaps("SYN-SENT LISTEN")``: the client's state, then the server's; TIME-WAIT timed."""
    found: dict[str, StateSnapshot] = {}
    for role, name in zip(ROLES, states.split(), strict=True):
        state = TcpState.parse(name)
        found[role] = StateSnapshot(state, TIMER if state is TcpState.TIME_WAIT else "")
    return found


class Kernel:
    """A timeline built step by step, with seq and ack counted as TCP does."""

    def __init__(self, isn: dict[str, int] | None = None, *, opened: bool = False) -> None:
        self.isn: dict[str, int] = dict(ISN if isn is None else isn)
        # After a handshake in the setup, each end's next number is past its SYN.
        self.next = {role: (n + opened) % (1 << 32) for role, n in self.isn.items()}
        self.timeline: list[ObservedSegment | ObservedAction] = []

    def act(self, line: str, states: str) -> Kernel:
        actor, _, verb = line.partition(" ")
        self.timeline.append(ObservedAction(Role(actor), verb, "", snaps(states)))
        return self

    def send(self, line: str, before: str, after: str, length: int = 0) -> Kernel:
        """``send("client -> server S", "SYN-SENT LISTEN", "SYN-SENT SYN-RECEIVED")``."""
        sender, _, receiver, letters = line.split()
        flags = TcpFlag.parse(letters)
        seg = ObservedSegment(
            n=sum(isinstance(i, ObservedSegment) for i in self.timeline) + 1,
            sender=Role(sender),
            receiver=Role(receiver),
            flags=flags,
            seq=self.next[Role(sender)],
            ack=self.next[Role(receiver)] if TcpFlag.ACK in flags else 0,
            length=length,
            before=snaps(before),
            after=snaps(after),
        )
        self.next[Role(sender)] = (self.next[Role(sender)] + seg.sequence_space) % (1 << 32)
        self.timeline.append(seg)
        return self


def linux_open() -> Kernel:
    return (
        Kernel()
        .act("server listens", "CLOSED LISTEN")
        .act("client connects", "SYN-SENT LISTEN")
        .send("client -> server S", "SYN-SENT LISTEN", "SYN-SENT SYN-RECEIVED")
        .send("server -> client SA", "SYN-SENT SYN-RECEIVED", "ESTABLISHED SYN-RECEIVED")
        .send("client -> server A", "ESTABLISHED SYN-RECEIVED", "ESTABLISHED ESTABLISHED")
    )


def linux_close() -> Kernel:
    return (
        Kernel(opened=True)
        .act("client closes", "FIN-WAIT-1 ESTABLISHED")
        .send("client -> server FA", "FIN-WAIT-1 ESTABLISHED", "FIN-WAIT-1 CLOSE-WAIT")
        .send("server -> client A", "FIN-WAIT-1 CLOSE-WAIT", "FIN-WAIT-2 CLOSE-WAIT")
        .act("server closes", "FIN-WAIT-2 LAST-ACK")
        .send("server -> client FA", "FIN-WAIT-2 LAST-ACK", "TIME-WAIT LAST-ACK")
        .send("client -> server A", "TIME-WAIT LAST-ACK", "TIME-WAIT CLOSED")
    )


def record(
    scenario: Scenario,
    kernel: Kernel,
    start: str,
    ending: str,
    *,
    final: str | None = None,
    waited: dict[str, float] | None = None,
    family: str = "IPv4",
    isn: bool = True,
) -> RunRecord:
    return RunRecord(
        scenario=scenario,
        family=family,
        timeline=tuple(kernel.timeline),
        start=snaps(start),
        final=snaps(final or ending),
        waited=waited or {},
        ending=snaps(ending),
        isn=kernel.isn if isn else {},
    )


def claims(run: RunRecord) -> tuple[ClaimVerdict, ...]:
    return judge_scenario_claims(run, judge(run.scenario, run.timeline, family=run.family))


def at(found: Sequence[ClaimVerdict], line: int) -> list[ClaimVerdict]:
    return [claim for claim in found if claim.line == line]


def verdicts(found: Sequence[ClaimVerdict]) -> list[tuple[int, str]]:
    return [(claim.line, claim.verdict) for claim in found]


def note(body: str) -> Note:
    return read_note(textwrap.dedent(body), "note.md")


def only(compiled: Note) -> Scenario:
    [scenario] = compiled.scenarios
    return scenario


# --- the shared English note --------------------------------------------------------------------

EN = load_note(ENGLISH)
OPEN, CLOSE = EN.scenarios


def open_run() -> RunRecord:
    return record(OPEN, linux_open(), "CLOSED CLOSED", "ESTABLISHED ESTABLISHED")


def close_run() -> RunRecord:
    return record(CLOSE, linux_close(), "ESTABLISHED ESTABLISHED", "TIME-WAIT CLOSED")


def test_the_english_note_is_ok_at_every_line_of_both_diagrams() -> None:
    opened, closed = claims(open_run()), claims(close_run())
    assert verdicts(opened) == [(line, "ok") for line in range(17, 25)]
    assert verdicts(closed) == [(41, "ok")] * 2 + [(line, "ok") for line in range(42, 52)]
    assert claims_ok(opened + closed)
    assert {(c.family, c.scenario) for c in opened} == {("IPv4", "L12-25")}


def test_a_claim_says_what_was_documented_and_observed() -> None:
    found = claims(close_run())
    [fin] = at(found, 42)
    assert (fin.kind, fin.text, fin.documented) == (
        "message",
        "Alice->>Bob: FIN",
        "client → server FIN",
    )
    assert fin.observed == "client → server FIN+ACK (seq 1, ack 1)"
    [alice, bob] = at(found, 41)
    assert (alice.kind, alice.documented, bob.documented) == (
        "state",
        "client ESTABLISHED",
        "server ESTABLISHED",
    )
    [time_wait] = at(found, 50)
    [closed] = at(found, 51)
    assert (time_wait.verdict, time_wait.observed) == ("ok", "TIME-WAIT")
    assert (closed.verdict, closed.observed) == ("ok", "CLOSED")  # Bob, after the last ACK


def test_a_precondition_is_judged_on_the_start_and_the_actions_before_the_first_segment() -> None:
    [listen] = at(claims(open_run()), 17)
    assert (listen.verdict, listen.observed) == ("ok", "CLOSED → LISTEN")


def test_a_wrong_state_fails_at_its_line() -> None:
    text = ENGLISH.read_text().replace(
        "Note left of Alice: FIN-WAIT-2", "Note left of Alice: CLOSING"
    )
    scenario = read_note(text, "en.md").scenarios[1]
    found = claims(record(scenario, linux_close(), "ESTABLISHED ESTABLISHED", "TIME-WAIT CLOSED"))
    assert [c.line for c in found if c.verdict != "ok"] == [46]
    [closing] = at(found, 46)
    assert (closing.verdict, closing.documented, closing.observed) == (
        "fail",
        "client CLOSING",
        "FIN-WAIT-2",
    )
    assert closing.detail == "client is FIN-WAIT-2 between lines 44 and 47, documented CLOSING"


def test_the_window_runs_from_one_segment_processed_to_the_next_sent() -> None:
    text = ENGLISH.read_text().replace(
        "Note right of Bob: LAST-ACK", "Note right of Bob: CLOSE-WAIT"
    )
    scenario = read_note(text, "en.md").scenarios[1]
    found = claims(record(scenario, linux_close(), "ESTABLISHED ESTABLISHED", "TIME-WAIT CLOSED"))
    [last_ack] = at(found, 48)  # between Bob's FIN and Alice's ACK, Bob is LAST-ACK only
    assert (last_ack.verdict, last_ack.observed) == ("fail", "LAST-ACK")


# --- timers -------------------------------------------------------------------------------------

CLOSED_AT_THE_END = """\
```mermaid
sequenceDiagram
    participant A
    participant B
    Note over A,B: ESTABLISHED
    A->>B: FIN
    B->>A: ACK
    B->>A: FIN
    A->>B: ACK
    Note over A: CLOSED
    Note over B: CLOSED
```
"""
CLOSED_BEFORE_THE_LAST_ACK = CLOSED_AT_THE_END.replace(
    "    A->>B: ACK\n    Note over A: CLOSED\n", "    Note over A: CLOSED\n    A->>B: ACK\n"
)


def test_closed_after_the_last_ack_is_a_timer_while_time_wait_runs() -> None:
    scenario = only(read_note(CLOSED_AT_THE_END, "note.md"))
    found = claims(record(scenario, linux_close(), "ESTABLISHED ESTABLISHED", "TIME-WAIT CLOSED"))
    [alice] = at(found, 10)
    assert (alice.verdict, alice.observed) == ("timer", "TIME-WAIT")
    assert alice.detail == (
        "client is TIME-WAIT when the script ends, its timer running (ss -o: timewait,59sec,0); "
        "it is CLOSED once the timer fires: run with --wait-timers to wait it out and check"
    )
    assert at(found, 11)[0].verdict == "ok"
    assert claims_ok(found)
    assert count_claims(found) == {"ok": 7, "fail": 0, "timer": 1, "unchecked": 0}


def test_closed_after_the_last_ack_is_ok_once_the_run_waited_the_timer_out() -> None:
    scenario = only(read_note(CLOSED_AT_THE_END, "note.md"))
    run = record(
        scenario,
        linux_close(),
        "ESTABLISHED ESTABLISHED",
        "TIME-WAIT CLOSED",
        final="CLOSED CLOSED",
        waited={Role.CLIENT: 59.9},
    )
    [alice] = at(claims(run), 10)
    assert (alice.verdict, alice.observed) == ("ok", "TIME-WAIT, then CLOSED after waiting 59.9 s")


def test_closed_after_the_last_ack_fails_when_the_waited_timer_left_another_state() -> None:
    scenario = only(read_note(CLOSED_AT_THE_END, "note.md"))
    run = record(
        scenario,
        linux_close(),
        "ESTABLISHED ESTABLISHED",
        "TIME-WAIT CLOSED",
        final="TIME-WAIT CLOSED",
        waited={Role.CLIENT: 120.0},
    )
    assert at(claims(run), 10)[0].verdict == "fail"


def test_closed_before_the_last_ack_fails_a_timer_cannot_come_first() -> None:
    scenario = only(read_note(CLOSED_BEFORE_THE_LAST_ACK, "note.md"))
    found = claims(record(scenario, linux_close(), "ESTABLISHED ESTABLISHED", "TIME-WAIT CLOSED"))
    [alice] = at(found, 9)
    assert (alice.verdict, alice.documented, alice.observed) == (
        "fail",
        "client CLOSED",
        "TIME-WAIT",
    )
    assert not claims_ok(found)


TIME_PASSES = """\
```mermaid
sequenceDiagram
    participant A
    participant B
    Note over A,B: ESTABLISHED
    A->>B: FIN
    B->>A: ACK
    B->>A: FIN
    A->>B: ACK
    Note over A: TIME_WAIT
    Note over A: After 2*MSL
    Note over A: CLOSED
    Note over B: CLOSED
```
"""


def test_time_passing_is_a_timer_until_the_run_waits_it_out() -> None:
    scenario = only(read_note(TIME_PASSES, "note.md"))
    found = claims(record(scenario, linux_close(), "ESTABLISHED ESTABLISHED", "TIME-WAIT CLOSED"))
    assert verdicts(found)[-4:] == [(10, "ok"), (11, "timer"), (12, "timer"), (13, "ok")]
    [passing] = at(found, 11)
    assert passing.documented == "time passes until client's timer fires"
    assert passing.observed == "client TIME-WAIT (timer timewait,59sec,0)"
    assert "--wait-timers" in passing.detail


def test_time_passing_is_ok_once_waited_and_the_state_after_it_is_the_final_one() -> None:
    scenario = only(read_note(TIME_PASSES, "note.md"))
    run = record(
        scenario,
        linux_close(),
        "ESTABLISHED ESTABLISHED",
        "TIME-WAIT CLOSED",
        final="CLOSED CLOSED",
        waited={Role.CLIENT: 59.5},
    )
    found = claims(run)
    assert verdicts(found)[-4:] == [(10, "ok"), (11, "ok"), (12, "ok"), (13, "ok")]
    assert at(found, 11)[0].detail == "--wait-timers waited out the timers: client's for 59.5 s"


def test_a_state_after_time_passed_cannot_be_the_state_the_timer_ends() -> None:
    text = TIME_PASSES.replace("Note over A: CLOSED", "Note over A: TIME_WAIT")
    scenario = only(read_note(text, "note.md"))
    found = claims(record(scenario, linux_close(), "ESTABLISHED ESTABLISHED", "TIME-WAIT CLOSED"))
    [after] = at(found, 12)
    assert after.verdict == "fail"
    assert after.detail == (
        "client is TIME-WAIT until its timer fires, then CLOSED; documented TIME-WAIT"
    )


def test_time_passing_without_a_running_timer_is_unchecked() -> None:
    kernel = linux_close()
    # An end that went straight to CLOSED (say, tcp_tw_reuse aside, a reset): no timer to wait.
    scenario = only(read_note(TIME_PASSES.replace("Note over A: TIME_WAIT\n", ""), "note.md"))
    found = claims(record(scenario, kernel, "ESTABLISHED ESTABLISHED", "CLOSED CLOSED"))
    [passing] = at(found, 10)
    assert passing.verdict == "unchecked"
    assert passing.detail.startswith("no timer of client was running when the script ended")
    assert at(found, 11)[0].verdict == "ok"  # CLOSED: as it was


# --- messages -----------------------------------------------------------------------------------

NO_SERVER_ACK = """\
```mermaid
sequenceDiagram
    participant A
    participant B
    Note over A,B: ESTABLISHED
    A->>B: FIN
    Note over A: FIN_WAIT_1
    Note over B: CLOSE_WAIT
    Note over A: FIN_WAIT_2
    B->>A: FIN
    Note over B: LAST_ACK
    A->>B: ACK
    Note over A: TIME_WAIT
    Note over B: CLOSED
```
"""


def test_a_segment_the_note_leaves_out_fails_once_where_it_belongs() -> None:
    scenario = only(read_note(NO_SERVER_ACK, "note.md"))
    found = claims(record(scenario, linux_close(), "ESTABLISHED ESTABLISHED", "TIME-WAIT CLOSED"))
    failed = [c for c in found if c.verdict != "ok"]
    assert len(failed) == 1
    [extra] = failed
    assert (extra.line, extra.kind, extra.text, extra.documented) == (
        10,
        "message",
        "B->>A: FIN",
        "nothing",
    )
    assert extra.observed == "server → client ACK (seq 1, ack 2)"
    assert extra.detail == "not in the note: server → client ACK, between lines 6 and 10"
    # It comes before the FIN's own verdict, which is ok.
    assert [(c.documented, c.verdict) for c in at(found, 10)] == [
        ("nothing", "fail"),
        ("server → client FIN", "ok"),
    ]


def test_a_segment_the_kernel_never_sent_fails_at_its_own_line() -> None:
    text = CLOSED_AT_THE_END.replace("    Note over A: CLOSED\n", "    B->>A: ACK\n")
    scenario = only(read_note(text, "note.md"))
    found = claims(record(scenario, linux_close(), "ESTABLISHED ESTABLISHED", "TIME-WAIT CLOSED"))
    [missing] = at(found, 10)
    assert (missing.verdict, missing.documented, missing.observed) == (
        "fail",
        "server → client ACK",
        "nothing",
    )
    assert missing.detail.startswith("not observed")
    assert [c.line for c in found if c.verdict != "ok"] == [10]


def test_wrong_flags_fail_the_message_with_the_judges_reason() -> None:
    text = CLOSED_AT_THE_END.replace("B->>A: ACK", "B->>A: RST")
    scenario = only(read_note(text, "note.md"))
    found = claims(record(scenario, linux_close(), "ESTABLISHED ESTABLISHED", "TIME-WAIT CLOSED"))
    [rst] = at(found, 7)
    assert rst.verdict == "fail"
    assert "RST is not set" in rst.detail


def test_unchecked_lines_are_shown_with_their_reason() -> None:
    scenario = only(
        note(
            """\
            ```mermaid
            sequenceDiagram
                participant A
                participant B
                A->>B: SYN
                Note over A: Connection ready
                A->>B: hello there
                B->>A: SYN+ACK
            ```
            """
        )
    )
    found = claims(record(scenario, linux_open(), "CLOSED LISTEN", "ESTABLISHED ESTABLISHED"))
    assert [(c.line, c.kind, c.verdict, c.detail) for c in found if c.verdict == "unchecked"] == [
        (6, "state", "unchecked", "it names no TCP state and no time passing"),
        (7, "message", "unchecked", "it names no TCP flag and no data, so it claims no segment"),
    ]


# --- numbers ------------------------------------------------------------------------------------


def numbered(messages: str, *, isn: bool = True) -> tuple[ClaimVerdict, ...]:
    """The open with these three messages, against Linux's open (ISNs 1000000 and 2**32-1)."""
    body = "\n".join(f"    {line.strip()}" for line in messages.strip().splitlines())
    text = f"```mermaid\nsequenceDiagram\n    participant A\n    participant B\n{body}\n```\n"
    scenario = only(read_note(text, "note.md"))
    return claims(
        record(scenario, linux_open(), "CLOSED CLOSED", "ESTABLISHED ESTABLISHED", isn=isn)
    )


def test_relative_numbers_as_wireshark_shows_them_pass() -> None:
    found = numbered(
        """
        A->>B: SYN seq=0
        B->>A: SYN+ACK seq=0 ack=1
        A->>B: ACK seq=1 ack=1
        """
    )
    assert verdicts(found) == [(5, "ok"), (6, "ok"), (7, "ok")]
    assert [c.observed for c in found] == [
        "client → server SYN (seq 0)",
        "server → client SYN+ACK (seq 0, ack 1)",
        "client → server ACK (seq 1, ack 1)",
    ]


def test_a_textbooks_made_up_isns_pass() -> None:
    found = numbered(
        """
        A->>B: SYN seq=1000
        B->>A: SYN+ACK seq=5000 ack=1001
        A->>B: ACK seq=1001 ack=5001
        """
    )
    assert verdicts(found) == [(5, "ok"), (6, "ok"), (7, "ok")]


def test_a_wrong_ack_fails_with_the_number_observed_in_the_notes_terms() -> None:
    found = numbered(
        """
        A->>B: SYN seq=1000
        B->>A: SYN+ACK seq=5000 ack=1000
        A->>B: ACK seq=1001 ack=5001
        """
    )
    assert verdicts(found) == [(5, "ok"), (6, "fail"), (7, "ok")]
    assert at(found, 6)[0].detail == "documented ack=1000, observed ack is 1001 (relative 1)"


def test_symbols_are_bound_on_first_use_in_their_space() -> None:
    found = numbered(
        """
        A->>B: SYN=1, ACK=0, seq=x
        B->>A: SYN=1, ACK=1, seq=y, ack=x+1
        A->>B: ACK=1, seq=x+1, ack=y+1
        """
    )
    assert verdicts(found) == [(5, "ok"), (6, "ok"), (7, "ok")]
    assert found[1].documented == "server → client SYN+ACK (seq=y, ack=x+1)"


def test_a_wrong_symbol_offset_fails() -> None:
    found = numbered(
        """
        A->>B: SYN seq=x
        B->>A: SYN+ACK seq=y ack=x+2
        A->>B: ACK seq=x+1 ack=y
        """
    )
    assert verdicts(found) == [(5, "ok"), (6, "fail"), (7, "fail")]
    assert at(found, 6)[0].detail == "documented ack=x+2, observed ack is x+1 (relative 1)"
    assert at(found, 7)[0].detail == "documented ack=y, observed ack is y+1 (relative 1)"


def test_without_recorded_isns_the_syns_give_them() -> None:
    found = numbered(
        """
        A->>B: SYN seq=0
        B->>A: SYN+ACK seq=0 ack=1
        A->>B: ACK seq=1 ack=1
        """,
        isn=False,
    )
    assert verdicts(found) == [(5, "ok"), (6, "ok"), (7, "ok")]
    assert found[2].observed == "client → server ACK (seq 1, ack 1)"


def test_numbers_wrap_at_two_to_the_32() -> None:
    numbers = SequenceNumbers({Role.SERVER: (1 << 32) - 1})
    assert numbers.check("seq", NumberClaim("y", 0, "y"), Role.SERVER, (1 << 32) - 1) is None
    assert numbers.check("ack", NumberClaim("y", 1, "y+1"), Role.SERVER, 0) is None
    assert numbers.check("ack", NumberClaim(None, 7, "7"), Role.SERVER, 0) is None
    assert numbers.check("ack", NumberClaim(None, 8, "8"), Role.SERVER, 1) is None


# --- tables -------------------------------------------------------------------------------------


def test_the_english_tables_are_ok_in_order() -> None:
    opening, closing, _flags = EN.tables
    rows = judge_orders(opening.orders, [open_run()]) + judge_orders(closing.orders, [close_run()])
    assert sorted(verdicts(rows)) == [
        (line, "ok") for line in [29, 30, 31, 32, 56, 57, 58, 59, 60, 61]
    ]
    row = next(r for r in rows if r.line == 58)
    assert (row.kind, row.documented, row.scenario) == (
        "table-row",
        "client enters FIN-WAIT-2 after FIN-WAIT-1",
        "L36-52",
    )
    assert row.observed == "client: ESTABLISHED → FIN-WAIT-1 → FIN-WAIT-2 → TIME-WAIT"


def test_two_swapped_rows_fail_at_the_one_out_of_order() -> None:
    text = ENGLISH.read_text()
    one = "| Alice | FIN-WAIT-1 | application closed; FIN sent                       |"
    two = "| Alice | FIN-WAIT-2 | her FIN is acknowledged; waits for Bob's FIN       |"
    swapped = read_note(text.replace(one, "@@").replace(two, one).replace("@@", two), "en.md")
    rows = judge_orders(swapped.tables[1].orders, [close_run()])
    assert [r.line for r in rows if r.verdict == "fail"] == [58]
    [late] = [r for r in rows if r.line == 58]
    assert late.detail == "client enters FIN-WAIT-1 only before FIN-WAIT-2, not after it"


def test_a_row_that_a_running_timer_leads_to_is_a_timer_until_waited() -> None:
    text = ENGLISH.read_text().replace(
        "| Bob   | CLOSED     | got the last ACK                                   |",
        "| Bob   | CLOSED     | got the last ACK                                   |\n"
        "| Alice | CLOSED     | 2MSL later                                         |",
    )
    table = read_note(text, "en.md").tables[1]
    [row] = [r for r in judge_orders(table.orders, [close_run()]) if r.line == 62]
    assert row.verdict == "timer"
    waited = record(
        CLOSE,
        linux_close(),
        "ESTABLISHED ESTABLISHED",
        "TIME-WAIT CLOSED",
        final="CLOSED CLOSED",
        waited={Role.CLIENT: 60.0},
    )
    [row] = [r for r in judge_orders(table.orders, [waited]) if r.line == 62]
    assert row.verdict == "ok"


def test_a_row_without_a_role_is_judged_for_each_end() -> None:
    korean = load_note(ENGLISH.with_name("tcp-open-close-ko.md"))
    table = korean.tables[1]  # its last row, "|  | CLOSED |", is every end's
    run = record(korean.scenarios[1], linux_close(), "ESTABLISHED ESTABLISHED", "TIME-WAIT CLOSED")
    rows = judge_orders(table.orders, [run])
    assert [(r.documented, r.verdict) for r in rows if r.line == 62] == [
        ("client enters CLOSED after TIME-WAIT", "timer"),
        ("server enters CLOSED after LAST-ACK", "ok"),
    ]
    assert claims_ok(rows)


def test_rows_are_judged_per_family_and_unchecked_without_runs() -> None:
    table = EN.tables[0]
    v6 = record(OPEN, linux_open(), "CLOSED CLOSED", "ESTABLISHED ESTABLISHED", family="IPv6")
    rows = judge_orders(table.orders, [open_run(), v6])
    assert [r.family for r in rows] == ["IPv4"] * 4 + ["IPv6"] * 4
    unrun = judge_orders(table.orders, [], family="IPv6")
    assert {(r.verdict, r.family) for r in unrun} == {("unchecked", "IPv6")}


def test_flags_are_ok_when_some_run_sent_them() -> None:
    rows = judge_flags(EN.tables[2].flags, [open_run(), close_run()])
    assert verdicts(rows) == [
        (67, "ok"),
        (68, "ok"),
        (69, "ok"),
        (70, "fail"),
        (71, "fail"),
        (72, "fail"),
    ]
    assert rows[0].observed == "client → server SYN (seq 0) in L12-25"
    assert rows[2].observed == "client → server FIN+ACK (seq 1, ack 1) in L36-52"
    assert (rows[5].kind, rows[5].documented, rows[5].scenario) == ("flag", "URG is sent", "")
    assert rows[5].detail.startswith(
        "no run sent a segment with URG (7 segments in L12-25, L36-52)"
    )
    assert {r.family for r in rows} == {"IPv4"}


# --- the judge's input --------------------------------------------------------------------------


def test_a_verdict_of_another_scenario_is_refused() -> None:
    run = close_run()
    with pytest.raises(ValueError, match=r"pass judge\(record.scenario, record.timeline\)"):
        judge_scenario_claims(run, judge(OPEN, run.timeline))


@pytest.mark.parametrize("path", sorted(ENGLISH.parent.glob("tcp-open-close-*.md")), ids=str)
def test_every_example_note_against_linux_fails_only_the_flags_nobody_sent(path: Path) -> None:
    example = load_note(path)
    opening, closing = example.scenarios
    runs = [
        record(opening, linux_open(), "CLOSED CLOSED", "ESTABLISHED ESTABLISHED"),
        record(closing, linux_close(), "ESTABLISHED ESTABLISHED", "TIME-WAIT CLOSED"),
    ]
    found = claims(runs[0]) + claims(runs[1])
    for table in example.tables:
        found += judge_orders(table.orders, [r for r in runs if r.scenario.name == table.scenario])
        found += judge_flags(table.flags, runs)
    assert {c.documented for c in found if c.verdict == "fail"} == {
        "RST is sent",
        "PSH is sent",
        "URG is sent",
    }
    # Every line that claims something has a verdict; only a table's CLOSED for every end
    # (the client's after TIME-WAIT) waits for a timer.
    claimed = {
        item.source.line
        for scenario in example.scenarios
        for item in scenario.script
        if not isinstance(item, Action) and item.source is not None
    }
    assert claimed <= {c.line for c in found}
    assert all(c.kind == "table-row" for c in found if c.verdict == "timer")


def test_a_segment_left_out_after_the_last_documented_one_fails_at_that_line() -> None:
    found = numbered(
        """
        A->>B: SYN
        B->>A: SYN+ACK
        Note over A: ESTABLISHED
        """
    )
    assert [(c.line, c.documented, c.verdict) for c in found] == [
        (5, "client → server SYN", "ok"),
        (6, "server → client SYN+ACK", "ok"),
        (6, "nothing", "fail"),
        (7, "client ESTABLISHED", "ok"),
    ]
    assert found[2].detail == "not in the note: client → server ACK, after line 6"


def test_a_plain_number_may_be_the_relative_one_after_whole_ones_as_tcpdump_prints() -> None:
    numbers = SequenceNumbers({Role.CLIENT: 5_000_000})
    assert numbers.check("seq", NumberClaim(None, 12345, "12345"), Role.CLIENT, 5_000_000) is None
    assert numbers.check("ack", NumberClaim(None, 1, "1"), Role.CLIENT, 5_000_001) is None
    assert numbers.check("ack", NumberClaim(None, 12346, "12346"), Role.CLIENT, 5_000_001) is None
    assert numbers.check("ack", NumberClaim(None, 2, "2"), Role.CLIENT, 5_000_001) is not None
