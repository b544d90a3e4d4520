"""Notes as other people write them: languages, layouts, mermaid blocks, right and wrong notes.

Every note in tests/kernel/notes/variety/ is checked on the kernel as `lab check`
checks it (`check_note`, IPv4 and IPv6). A note that is right about Linux must
pass (no claim fails); a note that is wrong must fail exactly at its wrong
lines; a note with nothing TCP exits 2. `EXPECTED` says which, per file, and a
note added to the folder without a line there fails the test.
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

VARIETY = REPO / "tests" / "kernel" / "notes" / "variety"


EXPECTED: dict[str, Expected | int] = {
    # Right about Linux: they pass.
    "de-simultaneous-close.md": Expected(timers=frozenset({21})),
    "de-state-table-columns.md": RIGHT,
    "en-engineer-transitions.md": Expected(timers=frozenset({30})),
    "en-mixed-http.md": RIGHT,
    "en-tables-only.md": RIGHT,
    "en-tcpdump-flags-seq.md": RIGHT,
    "es-apuntes-data.md": RIGHT,
    "fr-loop-alt-critical.md": Expected(warns=frozenset({15})),
    "fr-rst-refused.md": RIGHT,
    "ja-three-participants.md": RIGHT,
    "ko-lecture-autonumber.md": Expected(timers=frozenset({44, 55})),
    "ko-server-close-first.md": RIGHT,
    "pt-break-timeout.md": RIGHT,
    "pt-rst-abort-linger.md": RIGHT,
    "ru-three-segment-close.md": RIGHT,
    "zh-handshake-numbered.md": RIGHT,
    "zh-syn-for-synack.md": Expected(warns=frozenset({10})),
    "en-misspelled.md": Expected(warns=frozenset({9, 27})),
    # Wrong about Linux: they fail at the wrong line, and only there.
    "en-wrong-closewait.md": Expected(fails=frozenset({9}), timers=frozenset({15})),
    "en-wrong-no-synack.md": Expected(fails=frozenset({10})),
    "es-wrong-tabla.md": Expected(fails=frozenset({8})),
    "ja-wrong-passive-timewait.md": Expected(fails=frozenset({16})),
    "zh-wrong-missing-synack.md": Expected(fails=frozenset({10})),
    # Nothing TCP: exit status 2.
    "en-nothing-tcp.md": 2,
}


def test_every_note_of_the_folder_has_an_expectation() -> None:
    assert_folder_declared(VARIETY, EXPECTED)


@pytest.mark.parametrize("name", judged_cases(EXPECTED, {}), ids=str)
def test_the_note_is_judged_as_expected(name: str) -> None:
    expected = EXPECTED[name]
    assert isinstance(expected, Expected)
    assert_judged(VARIETY / name, expected)


@pytest.mark.parametrize("name", status_cases(EXPECTED), ids=str)
def test_a_note_with_nothing_checkable_says_why_with_its_exit_status(name: str) -> None:
    status = EXPECTED[name]
    assert isinstance(status, int)
    assert_exit_status(VARIETY / name, status)
