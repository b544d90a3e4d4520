"""What `lab check` must say of each note of a folder, and the checks that hold it to it.

Shared by the rounds of notes by other hands (tests/kernel/test_note_variety*.py):
each declares, per file, an `Expected` (failing, timer and warning lines) or an
exit status (2: nothing about TCP; 0: about TCP, nothing lab can run, skipped
with why), and the notes lab still judges wrongly (`known`, run as strict xfails).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import lab_cli

from lab._notecheck import check_note


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


def judged_cases(expected: Mapping[str, Expected | int], known: Mapping[str, str]) -> list[object]:
    """The notes to judge on the kernel, those lab still gets wrong as strict xfails."""
    return [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=known[n])) if n in known else n
        for n, e in expected.items()
        if isinstance(e, Expected)
    ]


def status_cases(expected: Mapping[str, Expected | int]) -> list[str]:
    """The notes judged by `lab check`'s exit status alone."""
    return [n for n, e in expected.items() if isinstance(e, int)]


def assert_folder_declared(folder: Path, expected: Mapping[str, Expected | int]) -> None:
    """Every note of the folder has an expectation, and every expectation a note."""
    assert sorted(p.name for p in folder.glob("*.md")) == sorted(expected)


def assert_judged(note: Path, expected: Expected) -> None:
    """The note's failing, timer and warning lines are the expected ones, in both families."""
    checked = check_note(note)
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


def assert_exit_status(note: Path, status: int) -> None:
    """2: nothing about TCP, said so; 0: about TCP, every block skipped with why."""
    done = lab_cli("check", str(note))
    assert done.returncode == status, done.stdout + done.stderr
    if status == 2:
        assert "nothing TCP" in done.stderr + done.stdout
    else:
        assert "skipped:" in done.stdout
        assert "nothing in" in done.stdout
        assert "could be checked" in done.stdout
    assert "Traceback" not in done.stderr
