"""A second round of notes by other hands: Markdown shapes, textbook and capture styles, tables.

Fences in list items and block quotes, ``~~~`` and titled fences, CRLF, a BOM
and tabs, HTML comments and ``<details>``, tables without outer pipes or with
both ends in one cell; Kurose/Ross and Stevens labels, numbered messages,
Wireshark and tcpdump lines pasted; newer mermaid (box, links, create/destroy,
critical/option); three-segment and passive closes, a simultaneous open; and
wrong notes of those kinds. Every note in tests/kernel/notes/variety2/ is
checked on the kernel as `lab check` checks it (`check_note`, IPv4 and IPv6). A
note that is right about Linux must pass (no claim fails); a note that is wrong
must fail exactly at its wrong lines; a note with nothing TCP (or only a list of
states) exits 2. `EXPECTED` says which, per file, and a note added to the folder
without a line there fails the test; `KNOWN` lists the notes lab still judges
wrongly, and why.
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

VARIETY = REPO / "tests" / "kernel" / "notes" / "variety2"


EXPECTED: dict[str, Expected | int] = {
    # Right about Linux: they pass.
    "en-both-ends-one-cell.md": RIGHT,
    "en-br-bold-parens.md": RIGHT,
    "en-cisco-debug.md": RIGHT,
    "en-client-server-columns.md": RIGHT,
    "en-crlf-bom-tabs.md": RIGHT,
    "en-crlf-three-segment-close.md": RIGHT,
    "en-html-comments-details.md": RIGHT,
    "en-kurose-labels.md": RIGHT,
    "en-list-item-fence.md": RIGHT,
    "en-mermaid-box-create.md": RIGHT,
    "en-numbered-messages.md": RIGHT,
    "en-passive-close-first.md": RIGHT,
    "en-simultaneous-open.md": RIGHT,
    "en-table-no-pipes-align.md": RIGHT,
    "en-tcpdump-win.md": RIGHT,
    "en-tilde-fence-attrs.md": RIGHT,
    "en-wireshark-pasted.md": RIGHT,
    # Right about Linux, but lab cannot yet run what they show (see KNOWN).
    "en-from-event-to.md": RIGHT,
    "en-half-close-data.md": RIGHT,
    "en-long-course-notes.md": RIGHT,
    "en-retransmit-lost.md": RIGHT,
    # Wrong about Linux: they fail at the wrong line, and only there.
    "en-wrong-both-ends-cell.md": Expected(fails=frozenset({6})),
    "en-wrong-columns-swapped.md": Expected(fails=frozenset({7, 8})),
    "en-wrong-from-event-to.md": Expected(fails=frozenset({7})),
    "en-wrong-kurose-ack.md": Expected(fails=frozenset({8})),
    "en-wrong-missing-fin.md": Expected(fails=frozenset({13, 14})),
    "en-wrong-passive-first.md": Expected(fails=frozenset({11})),
    "en-wrong-wireshark-flag.md": Expected(fails=frozenset({8}), warns=frozenset({8})),
    # TCP, but nothing lab can check (a list of states, keep-alives): exit 0, skipped with why.
    "en-keepalive.md": 0,
    "en-state-description-list.md": 0,
    # Nothing TCP: exit status 2.
    "en-nothing-tcp-oauth.md": 2,
}

KNOWN: dict[str, str] = {
    "en-from-event-to.md": "a From | Event | To table names no end, so it is skipped (exit 2)",
    "en-wrong-from-event-to.md": "a From | Event | To table names no end, so it is skipped",
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
