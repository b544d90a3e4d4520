"""A third round of notes by other hands: teaching material, other diagram languages, more.

Exercises with questions and answers, fill-in-the-blank worksheets, a capture's packet
list as a table, an answer key with a wrong answer; PlantUML, Graphviz, ASCII-art RFC 793
figures and mermaid state diagrams (judged edge by edge) beside mermaid sequence diagrams;
several connections or a proxy in one diagram, participants named by addresses and ports;
DNS, TLS and HTTP
over the connection; cumulative and delayed ACKs, zero windows, SACK in text; closes with
unread data, aborts mid-transfer, a refusal over IPv6, CLOSE_WAIT lingering; and wrong
notes of those kinds. Every note in tests/kernel/notes/variety3/ is checked on the kernel
as `lab check` checks it (`check_note`, IPv4 and IPv6). A note that is right about Linux
must pass (no claim fails); a note that is wrong must fail exactly at its wrong lines; a
note about TCP with nothing lab can run exits 0 saying why. `EXPECTED` says which, per
file, and a note added to the folder without a line there fails the test; `KNOWN` lists
the notes lab still judges wrongly, and why.
"""

from __future__ import annotations

import pytest
from note_expectations import (
    RIGHT,
    Expected,
    assert_exit_status,
    assert_folder_declared,
    assert_judged,
    judged_cases,
    status_cases,
)
from support import REPO

VARIETY = REPO / "tests" / "kernel" / "notes" / "variety3"


EXPECTED: dict[str, Expected | int] = {
    # Right about Linux: they pass.
    "en-abort-mid-transfer.md": RIGHT,
    "en-close-wait-lingering.md": RIGHT,
    "en-cumulative-acks.md": RIGHT,
    "en-dns-then-tcp.md": RIGHT,
    "en-exercise-qa.md": RIGHT,
    "en-fill-in-blank.md": RIGHT,
    "en-http-keepalive-requests.md": RIGHT,
    "en-ip-participants.md": Expected(warns=frozenset({32, 33, 34})),
    "en-refused-ipv6.md": RIGHT,
    "en-rst-unread-data.md": RIGHT,
    "en-sack-text.md": RIGHT,
    "en-server-closes-after-data.md": RIGHT,
    "en-two-clients.md": RIGHT,
    # A mermaid state diagram of TCP's states: each arrow judged against the edges the
    # kernel takes; TIME-WAIT's 2MSL is a timer not waited out.
    "en-state-diagram-v2.md": Expected(timers=frozenset({17})),
    # Right about Linux, but lab cannot yet judge them rightly (see KNOWN).
    "en-proxy-middle.md": RIGHT,
    "en-tls-after-tcp.md": RIGHT,
    "en-delayed-ack.md": RIGHT,
    "en-pipelined.md": RIGHT,
    # Wrong about Linux: they fail at the wrong line, and only there.
    "en-wrong-answer-key.md": Expected(fails=frozenset({16})),
    "en-wrong-close-wait-closed.md": Expected(fails=frozenset({10})),
    "en-wrong-cumulative-acks.md": Expected(fails=frozenset({9})),
    "en-wrong-fin-unread-data.md": Expected(fails=frozenset({12, 13})),
    "en-wrong-passive-time-wait.md": Expected(fails=frozenset({13})),
    "en-wrong-trace-table.md": Expected(fails=frozenset({7})),
    # TCP, but nothing lab can run (other diagram languages, a packet list, a zero window):
    # exit 0, skipped with why.
    "en-ascii-rfc793.md": 0,
    "en-dot-state-machine.md": 0,
    "en-plantuml.md": 0,
    "en-trace-table.md": 0,
    "en-zero-window-probe.md": 0,
}

KNOWN: dict[str, str] = {
    "en-delayed-ack.md": (
        "one ACK for two data segments: the runner has the receiver read each, and Linux in "
        "quick-ack mode acks each at once, so the diagram fails instead of being skipped"
    ),
    "en-pipelined.md": (
        "two requests before one ACK: the runner has the receiver read each, and Linux in "
        "quick-ack mode acks each at once, so the diagram fails instead of being skipped"
    ),
    "en-proxy-middle.md": (
        "an application message with no flag (HTTP/1.1 200) is read as a data segment, and "
        "the ACK the note never draws for it fails the line"
    ),
    "en-tls-after-tcp.md": (
        "'GET / (application data)' is read as a data segment while ClientHello is not, and "
        "the ACK the note says it does not draw fails the line"
    ),
    "en-wrong-trace-table.md": (
        "a packet list table is skipped (lab checks it only drawn as a sequence diagram), so "
        "its wrong row is not found"
    ),
}
"""Notes lab judges wrongly today, and why: expected to fail until lab learns them."""


def test_every_note_of_the_folder_has_an_expectation() -> None:
    assert_folder_declared(VARIETY, EXPECTED)


@pytest.mark.parametrize("name", judged_cases(EXPECTED, KNOWN), ids=str)
def test_the_note_is_judged_as_expected(name: str) -> None:
    expected = EXPECTED[name]
    assert isinstance(expected, Expected)
    assert_judged(VARIETY / name, expected)


@pytest.mark.parametrize("name", status_cases(EXPECTED), ids=str)
def test_a_note_with_nothing_checkable_says_why_with_its_exit_status(name: str) -> None:
    status = EXPECTED[name]
    assert isinstance(status, int)
    assert_exit_status(VARIETY / name, status)
