"""Property: any mutated note checks on the kernel without a traceback, and leaves nothing behind.

Hypothesis mutates the example notes (lines deleted, repeated, swapped, spliced
with mermaid and Markdown pieces) and checks each on the kernel, as `lab check`
would. The only errors allowed are the two of unusable input (exit 2): "nothing
about TCP", and a file that is not text (a NUL byte makes it binary); every
other note gets a verdict per claim, each at a line of the file; and no
namespace, process, thread or descriptor outlives the check.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from note_strategies import mutated_notes
from support import Resources, leaks_since

from lab._errors import NoteError, NothingToCheckError
from lab._notecheck import check_note
from lab.kernel._snapshot import take_snapshot
from lab.tcp._claims import VERDICTS


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated_notes())
def test_a_mutated_note_checks_without_a_traceback_and_leaves_nothing(text: str) -> None:
    machine, process = take_snapshot(), Resources.now()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mutated.md"
        path.write_text(text, encoding="utf-8")
        try:
            result = check_note(path)
        except (NothingToCheckError, NoteError):
            pass
        else:
            lines = len(text.splitlines())
            assert all(1 <= claim.line <= max(lines, 1) for claim in result.claims)
            assert {claim.verdict for claim in result.claims} <= set(VERDICTS)
            assert result.report()
    assert machine.diff(take_snapshot()) == []
    assert leaks_since(process) == []
