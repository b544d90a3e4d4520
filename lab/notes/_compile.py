"""Reading a study note: Markdown in, a `Note` of scenarios and table claims out.

    note = load_note("docs/tcp.md")             # NoteError only when the file cannot be read
    note = read_note(text, "docs/tcp.md")       # never raises for any text
    for scenario in note.scenarios: ...         # lab.tcp Scenarios, claims at the note's lines

Each mermaid sequence diagram that shows TCP segments becomes a scenario
(`_diagram`); each table of states or flags becomes claims (`_table`), checked
against the run of the nearest diagram above it (else below), or against a
whole connection when that diagram shows no open and the table names opening
states (a summary below the last diagram); each state machine (a mermaid
stateDiagram, or a flowchart whose nodes are TCP states) becomes a claim per
arrow (`_state_machine`), judged against the edges the kernel takes. Everything
else is skipped with its reason, and whatever was read with doubt is a warning
at its line. Pure: no kernel access.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterable, Mapping
from typing import Final

from lab.notes._claims import find_states
from lab.notes._diagram import compile_diagram
from lab.notes._file import read_note_file
from lab.notes._markdown import Fence, Markdown, read_markdown
from lab.notes._mermaid import SEQUENCE, read_sequence_diagram
from lab.notes._mermaid_graph import FLOWCHARTS, STATE_DIAGRAMS, read_graph
from lab.notes._note import Note, NoteDiagram, NoteStateDiagram, NoteTable, NoteWarning, Skipped
from lab.notes._state_machine import compile_state_machine
from lab.notes._table import compile_table
from lab.tcp._names import Role, TcpState
from lab.tcp._spec import Source, StateClaim

__all__ = ["load_note", "read_note"]

_MERMAID_LANGUAGES: Final = frozenset({"mermaid", "mmd"})

# Diagrams in other languages that a note about TCP draws, and why lab skips each when it
# names TCP states or flags: the block is about TCP (the note is), but nothing in it is run.
_REDRAW: Final = (
    "redraw it as a mermaid sequenceDiagram (participant, ->>, Note) to have it checked"
)
_OTHER_DIAGRAMS: Final[dict[str, str]] = {
    "plantuml": f"a PlantUML diagram: lab reads only mermaid's; {_REDRAW}",
    "puml": f"a PlantUML diagram: lab reads only mermaid's; {_REDRAW}",
    "uml": f"a PlantUML diagram: lab reads only mermaid's; {_REDRAW}",
    "dot": "a Graphviz graph of TCP states: it draws the transitions that exist, not one "
    "connection's segments in order, so there is no run to check",
    "graphviz": "a Graphviz graph of TCP states: it draws the transitions that exist, not one "
    "connection's segments in order, so there is no run to check",
    "": f"a text figure (ASCII art, as in RFC 793): lab cannot read its columns; {_REDRAW}",
    "text": f"a text figure (ASCII art, as in RFC 793): lab cannot read its columns; {_REDRAW}",
    "txt": f"a text figure (ASCII art, as in RFC 793): lab cannot read its columns; {_REDRAW}",
}
_STATE_MACHINE: Final = (
    "a mermaid {kind} naming TCP, but no arrow from one TCP state to another, so there is "
    "no transition to judge; draw them as CLOSED --> LISTEN : listen"
)
_FLAG_WORD: Final = re.compile(r"(?<![A-Za-z])(?:SYN|FIN|RST)(?![A-Za-z])")


def _names_tcp(fence: Fence) -> bool:
    """Whether a block names a TCP state or a SYN, FIN or RST (in capitals)."""
    text = "\n".join(line.text for line in fence.lines)
    return bool(_FLAG_WORD.search(text)) or any(
        mention.state is not None for mention in find_states(text)
    )


def load_note(path: str | os.PathLike[str]) -> Note:
    """The note in the Markdown file at `path` (any extension); NoteError if it cannot be read."""
    return read_note(read_note_file(path), os.fspath(path))


def read_note(text: str, source: str = "<string>") -> Note:
    """The claims of the note in `text`, compiled; `source` names it. Never raises."""
    markdown = read_markdown(text)
    warnings: list[NoteWarning] = []
    diagrams: list[NoteDiagram] = []
    machines: list[NoteStateDiagram] = []
    skipped: list[Skipped] = []
    for fence in markdown.fences:
        compiled = _fence(fence, markdown, warnings)
        if isinstance(compiled, NoteDiagram):
            diagrams.append(compiled)
        elif isinstance(compiled, NoteStateDiagram):
            machines.append(compiled)
        else:
            skipped.append(compiled)
    tables: list[NoteTable] = []
    for table in markdown.tables:
        nearest = _nearest_diagram(table.first, diagrams)
        names = _participant_roles(nearest, diagrams)
        scenario = nearest.scenario.name if nearest else None
        result = compile_table(table, scenario, names, warnings)
        if isinstance(result, NoteTable) and nearest and not _shows(nearest, result):
            # A summary of a whole connection below a diagram of one part.
            result = dataclasses.replace(result, scenario=None)
        if isinstance(result, NoteTable):
            tables.append(result)
        else:
            skipped.append(result)
    return Note(
        source=source,
        title=markdown.title,
        diagrams=tuple(diagrams),
        tables=tuple(tables),
        skipped=tuple(sorted(skipped, key=lambda s: s.first)),
        warnings=tuple(sorted(warnings, key=lambda w: w.line)),
        spellings=_spellings(diagrams, tables),
        state_diagrams=tuple(machines),
    )


def _fence(
    fence: Fence, markdown: Markdown, warnings: list[NoteWarning]
) -> NoteDiagram | NoteStateDiagram | Skipped:
    """A fenced block as a diagram or a state machine, or why it is skipped."""
    first_line = next((line.text.strip() for line in fence.lines if line.text.strip()), "")
    if fence.language not in _MERMAID_LANGUAGES and not first_line.startswith(SEQUENCE):
        language = fence.language or "no language"
        other = _OTHER_DIAGRAMS.get(fence.language.lower())
        if other is not None and _names_tcp(fence):
            return Skipped(fence.first, fence.last, f"code block ({language})", other, tcp=True)
        return Skipped(
            fence.first,
            fence.last,
            f"code block ({language})",
            "not a mermaid diagram; lab reads mermaid sequence diagrams and tables",
        )
    diagram = read_sequence_diagram(fence.lines)
    if diagram.kind.lower() in STATE_DIAGRAMS | FLOWCHARTS:
        machine = compile_state_machine(read_graph(fence.lines), fence, markdown, warnings)
        if machine is not None:
            return machine
    if diagram.kind != SEQUENCE:
        what = f"a mermaid {diagram.kind}" if diagram.kind else "an empty mermaid block"
        if diagram.kind and diagram.kind.startswith("stateDiagram") and _names_tcp(fence):
            reason = _STATE_MACHINE.format(kind=diagram.kind)
            return Skipped(fence.first, fence.last, "mermaid diagram", reason, tcp=True)
        return Skipped(
            fence.first,
            fence.last,
            "mermaid diagram",
            f"{what}, not a sequenceDiagram: lab checks the segments of sequence diagrams",
        )
    return compile_diagram(diagram, fence, markdown, warnings)


# States only an open passes through: a diagram that starts on an open connection cannot be
# the run a table naming them is checked against (a summary of the whole connection).
_OPEN_STATES: Final = frozenset({TcpState.LISTEN, TcpState.SYN_SENT, TcpState.SYN_RECEIVED})


def _shows(diagram: NoteDiagram, table: NoteTable) -> bool:
    """Whether `diagram`'s run can show the opening states `table` names, if it names any."""
    named = {state for order in table.orders for state, _ in order.states}
    opens = {"open", "refused"} & set(diagram.kind.split(", "))
    return bool(opens) or not named & _OPEN_STATES


def _nearest_diagram(line: int, diagrams: list[NoteDiagram]) -> NoteDiagram | None:
    """The diagram just above `line`, else the first below it, else None."""
    above = [d for d in diagrams if d.last < line]
    if above:
        return above[-1]
    return diagrams[0] if diagrams else None


def _participant_roles(
    nearest: NoteDiagram | None, diagrams: Iterable[NoteDiagram]
) -> Mapping[str, Role]:
    """Participants' names and ids (case-folded) → role; the nearest diagram's win."""
    names: dict[str, Role] = {}
    for diagram in [*([nearest] if nearest else []), *diagrams]:
        for ident, role in diagram.roles.items():
            names.setdefault(ident.casefold(), role)
        for role, label in diagram.names.items():
            names.setdefault(label.casefold(), role)
    return names


def _spellings(diagrams: Iterable[NoteDiagram], tables: Iterable[NoteTable]) -> dict[TcpState, str]:
    """Each state as the note first writes it, from the lines that claim it."""
    sources: list[Source] = []
    for diagram in diagrams:
        sources += [
            i.source for i in diagram.scenario.script if isinstance(i, StateClaim) and i.source
        ]
    for table in tables:
        sources += [source for order in table.orders for _, source in order.states]
    spellings: dict[TcpState, str] = {}
    for source in sorted(sources, key=lambda s: s.line):
        for mention in find_states(source.text):
            if mention.state is not None and mention.warning is None:
                spellings.setdefault(mention.state, mention.written)
    return spellings
