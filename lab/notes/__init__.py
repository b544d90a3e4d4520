"""Study notes as specs: a Markdown note's diagrams and tables compiled into lab's spec model.

    from lab.notes import explain, load_note, render_mermaid

    note = load_note("docs/tcp-handshake.md")    # any Markdown file; NoteError if unreadable
    for scenario in note.scenarios:             # lab.tcp Scenarios, one per TCP diagram
        ...                                     # each claim carries the note's line (Source)
    print(explain(note))                        # roles, scripts, skips and warnings
    render_mermaid(record, note.diagrams[0], note.spellings)  # a run (a lab.tcp RunRecord,
                                                              # e.g. ScenarioRun.record()) drawn
                                                              # as the note would draw it

Each mermaid ``sequenceDiagram`` that shows TCP segments becomes a
`lab.tcp.Scenario` whose script holds the documented segments (flags, flags
documented absent, seq/ack), the states of its ``Note``s, time passing, the
lines it cannot check, and the application actions the segments imply. Each
table of states or flags becomes `OrderClaim`s and `FlagClaim`s. Each state
machine (a mermaid ``stateDiagram``, or a flowchart whose nodes are TCP
states) becomes a `NoteStateDiagram` of `lab.tcp` ``EdgeClaim``s, one per arrow,
its label read into calls, segments sent or received, and timers. Nothing here
runs anything: the runner and the judge take it from there.
Pure: no kernel access.
"""

from lab.notes._compile import load_note, read_note
from lab.notes._explain import explain
from lab.notes._file import NOTE_SUFFIXES
from lab.notes._note import (
    Note,
    NoteDiagram,
    NoteStateDiagram,
    NoteTable,
    NoteWarning,
    Skipped,
    TableRow,
)
from lab.notes._render import render_mermaid
from lab.notes._report import render_note_report

__all__ = [
    "NOTE_SUFFIXES",
    "Note",
    "NoteDiagram",
    "NoteStateDiagram",
    "NoteTable",
    "NoteWarning",
    "Skipped",
    "TableRow",
    "explain",
    "load_note",
    "read_note",
    "render_mermaid",
    "render_note_report",
]
