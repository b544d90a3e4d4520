"""Notes as other people write them: languages, layouts, mermaid blocks, right and wrong notes.

Every note in tests/kernel/notes/variety/ is checked on the kernel as `lab check`
checks it (`check_note`, IPv4 and IPv6). A note that is right about Linux must
pass (no claim fails); a note that is wrong must fail exactly at its wrong
lines; a note with nothing TCP exits 2. `EXPECTED` says which, per file, and a
note added to the folder without a line there fails the test.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from support import REPO, lab_cli

from lab._notecheck import check_note

VARIETY = REPO / "tests" / "kernel" / "notes" / "variety"


@dataclass(frozen=True)
class Expected:
    """What `lab check` must say of one note: its failing lines, its timers, its warnings."""

    fails: frozenset[int] = frozenset()
    """The lines that fail (empty: the note is right about Linux and passes)."""
    timers: frozenset[int] = frozenset()
    """The lines judged ``timer`` (a state reached only once TIME-WAIT's 60 s are over)."""
    warns: frozenset[int] = frozenset()
    """The lines with a warning (a misspelt state, a SYN that gets no action)."""


RIGHT = Expected()

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
    assert sorted(p.name for p in VARIETY.glob("*.md")) == sorted(EXPECTED)


@pytest.mark.parametrize(
    "name", [n for n, e in EXPECTED.items() if isinstance(e, Expected)], ids=str
)
def test_the_note_is_judged_as_expected(name: str) -> None:
    expected = EXPECTED[name]
    assert isinstance(expected, Expected)
    checked = check_note(VARIETY / name)
    report = checked.report()
    lines = {
        verdict: {c.line for c in checked.claims if c.verdict == verdict}
        for verdict in ("fail", "timer")
    }
    assert lines["fail"] == expected.fails, report
    assert lines["timer"] == expected.timers, report
    assert {w.line for w in checked.note.warnings} == expected.warns, report
    assert {c.family for c in checked.claims} == {"IPv4", "IPv6"}
    assert checked.ok == (not expected.fails), report


@pytest.mark.parametrize("name", [n for n, e in EXPECTED.items() if e == 2], ids=str)
def test_a_note_with_nothing_tcp_exits_2_with_its_reason(name: str) -> None:
    done = lab_cli("check", str(VARIETY / name))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "nothing TCP" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
