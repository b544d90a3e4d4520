"""A fourth round of notes by other hands: TCP's state machine, drawn as people draw it.

RFC 793's diagram copied from Wikipedia (event / action labels, ``state "SYN RCVD" as``
aliases, a note, the LISTEN → SYN-SENT on SEND that Linux cannot take, the simultaneous
open no scenario shows yet); a student's homework with wrong labels and a misspelt state;
a Chinese review note whose flowchart of numbered nodes has TIME-WAIT last 30 s; a
Korean lecture's flowchart with circles and labels between pipes. Every note in
tests/kernel/notes/variety4/ is checked on the kernel as `lab check` checks it
(`check_note`, IPv4 and IPv6): each arrow is ok, fails at its own line, is a timer
(TIME-WAIT's 2MSL, not waited out) or is unchecked. `EXPECTED` says which lines fail,
are timers and warn, per file; a note added to the folder without a line there fails.
"""

from __future__ import annotations

import pytest
from note_expectations import Expected, assert_folder_declared, assert_judged, judged_cases
from support import REPO

VARIETY = REPO / "tests" / "kernel" / "notes" / "variety4"

EXPECTED: dict[str, Expected | int] = {
    # RFC 793's SEND in LISTEN fails: connect() on a listener is EISCONN on Linux. So does
    # RFC 793's "rcv SYN / snd ACK" of a simultaneous open (an erratum RFC 9293 fixed to
    # snd SYN,ACK): the kernel sends SYN+ACK (scenario simultaneous-open).
    "en-wikipedia-rfc793.md": Expected(fails=frozenset({26, 28}), timers=frozenset({41})),
    # FIN-WAIT-1 → FIN-WAIT-2 on a FIN, TIME-WAIT of 2 minutes, CLOSE-WAIT on sending FIN.
    "en-student-mistakes.md": Expected(fails=frozenset({18, 20, 23}), warns=frozenset({12, 14})),
    # 等待 30s: Linux's TIME-WAIT is 60 s.
    "zh-flowchart-timewait-30s.md": Expected(fails=frozenset({18})),
    "ko-flowchart-numbered.md": Expected(timers=frozenset({18})),
}

KNOWN: dict[str, str] = {}
"""Notes lab judges wrongly today, and why: expected to fail until lab learns them."""


def test_every_note_of_the_folder_has_an_expectation() -> None:
    assert_folder_declared(VARIETY, EXPECTED)


@pytest.mark.parametrize("name", judged_cases(EXPECTED, KNOWN), ids=str)
def test_the_note_is_judged_as_expected(name: str) -> None:
    expected = EXPECTED[name]
    assert isinstance(expected, Expected)
    assert_judged(VARIETY / name, expected)
