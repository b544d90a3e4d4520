"""Property tests: any text, random or a mutated note, reads into a Note without an exception.

And what comes out points at the text that went in: every claim's line is a
line of the file, quoted as written.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from note_strategies import EXAMPLES, PIECES, mutated_notes

from lab.notes import Note, explain, read_note

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_points_at_its_text(note: Note, text: str) -> None:
    """Every claim's line is in the file, and the quote is that line as written."""
    __tracebackhide__ = True
    lines = text.splitlines()
    for diagram in note.diagrams:
        for item in diagram.scenario.script:
            source = getattr(item, "source", None)
            if source is not None:
                assert 1 <= source.line <= len(lines)
                assert source.text == lines[source.line - 1].strip()
    for table in note.tables:
        for row in table.rows:
            assert row.source.text == lines[row.source.line - 1].strip()
    for warning in note.warnings:
        assert 1 <= warning.line <= len(lines)


@FAST
@given(mutated_notes())
def test_a_mutated_note_reads_without_an_exception(text: str) -> None:
    note = read_note(text, "mutated.md")
    assert_points_at_its_text(note, text)
    assert explain(note)


@FAST
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=6), max_size=60).map("".join))
def test_markdown_made_of_pieces_reads_without_an_exception(text: str) -> None:
    note = read_note(text, "pieces.md")
    assert_points_at_its_text(note, text)
    assert explain(note)


@FAST
@given(st.text(max_size=400))
def test_random_text_reads_without_an_exception(text: str) -> None:
    note = read_note(text, "random.md")
    assert_points_at_its_text(note, text)


@FAST
@given(st.lists(st.sampled_from(PIECES[4:]) | st.text(max_size=6), max_size=40).map("".join))
def test_random_mermaid_reads_without_an_exception(body: str) -> None:
    text = f"```mermaid\nsequenceDiagram\n{body}\n```\n"
    note = read_note(text, "mermaid.md")
    assert_points_at_its_text(note, text)
    assert explain(note)


def test_the_examples_are_found() -> None:
    assert len(EXAMPLES) == 5
