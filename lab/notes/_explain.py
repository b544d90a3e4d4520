"""What lab made of a note, in words: ``lab check NOTE --explain``.

    print(explain(load_note("docs/tcp.md")))

For each diagram: its roles and why, the setup, then the script line by line
(the note's line, what it claims or why it is unchecked; inferred actions
without a line); for each table, the claims of its rows; for each state
machine, each arrow with how its label was read; then what was skipped and
why, and the warnings. Pure: no kernel access.
"""

from __future__ import annotations

from typing import Final

from lab.notes._diagram import ACTION_RULES
from lab.notes._note import Note, NoteDiagram, NoteStateDiagram, NoteTable
from lab.tcp._edge_claims import EdgeClaim, LabelPart, PartKind
from lab.tcp._spec import (
    Action,
    DocumentedSegment,
    NumberClaim,
    ScriptItem,
    StateClaim,
    TimerPassed,
    Unchecked,
)

__all__ = ["explain"]

_INDENT: Final = "  "
_LINE_WIDTH: Final = 7  # "L123  "


def explain(note: Note) -> str:
    """The script inferred for each diagram, the role mapping, the tables, skips and warnings."""
    out = [f"{note.source}: {note.title or 'a note'}"]
    if not note.is_tcp:
        out.append(
            f"{_INDENT}nothing TCP here: no mermaid sequence diagram with TCP flags and no "
            "table of states or flags"
        )
    elif not note.has_claims:
        out.append(
            f"{_INDENT}about TCP, but nothing lab can check: each TCP block is skipped below, "
            "with the reason"
        )
    for diagram in note.diagrams:
        out += _diagram(diagram)
    for table in note.tables:
        out += _table(table)
    for machine in note.state_diagrams:
        out += _machine(machine)
    if note.skipped:
        out.append("skipped:")
        out += [f"{_INDENT}{skipped}" for skipped in note.skipped]
    if note.warnings:
        out.append("warnings:")
        out += [f"{_INDENT}{warning}" for warning in note.warnings]
    if note.diagrams:
        out.append("how actions are inferred:")
        out += [f"{_INDENT}{shows}: {runs}" for shows, runs in ACTION_RULES]
    if note.state_diagrams:
        out.append("how a state machine's arrows are judged:")
        out += [f"{_INDENT}{rule}" for rule in LABEL_RULES]
    return "\n".join(out)


def _diagram(diagram: NoteDiagram) -> list[str]:
    scenario = diagram.scenario
    names = ", ".join(f"{name} = {role}" for role, name in sorted(diagram.names.items()))
    out = [
        f"diagram {diagram.label} (lines {diagram.first}-{diagram.last}): {scenario.title}",
        f"{_INDENT}roles: {names} ({diagram.because})",
    ]
    if diagram.context:
        out.append(f"{_INDENT}context, not checked: {', '.join(diagram.context)}")
    setup = ", ".join(str(action) for action in scenario.setup) or "nothing"
    out.append(f"{_INDENT}setup: {setup}")
    out.append(f"{_INDENT}script:")
    out += [f"{_INDENT * 2}{_item(item, diagram)}" for item in scenario.script]
    return out


def _item(item: ScriptItem, diagram: NoteDiagram) -> str:
    """One script line: where the note says it, and what it claims."""
    if isinstance(item, Action):
        return f"{'-':<{_LINE_WIDTH}}{diagram.names[item.actor]} ({item.actor}) {item.verb}"
    line = f"L{item.source.line}" if item.source else "-"
    if isinstance(item, DocumentedSegment):
        flags = item.flags.label if item.flags or not item.data else "data"
        what = f"{item.sender} -> {item.receiver} {flags}"
        extras = [
            *([f"not {item.absent.label}"] if item.absent else []),
            *([f"seq {_number(item.seq)}"] if item.seq else []),
            *([f"ack {_number(item.ack)}"] if item.ack else []),
            *(["data"] if item.data else []),
        ]
        what += f" ({', '.join(extras)})" if extras else ""
    elif isinstance(item, StateClaim):
        what = f"{item.role} is {item.state}"
    elif isinstance(item, TimerPassed):
        what = f"time passes until {item.role or 'every end'}'s timer fires"
    else:
        assert isinstance(item, Unchecked)
        quoted = item.source.text
        what = f"unchecked: {quoted!r}: {item.reason}"
    return f"{line:<{_LINE_WIDTH}}{what}"


def _number(claim: NumberClaim) -> str:
    if claim.symbol is None:
        return f"{claim.written} (relative)"
    return claim.written


def _table(table: NoteTable) -> list[str]:
    against = f", checked against {table.scenario}" if table.scenario and table.orders else ""
    out = [f"table (lines {table.first}-{table.last}){against}: {' | '.join(table.header)}"]
    for order in table.orders:
        states = " → ".join(f"{state} (L{source.line})" for state, source in order.states)
        out.append(f"{_INDENT}{order.role or 'every end'} enters, in order: {states}")
    for claim in table.flags:
        out.append(
            f"{_INDENT}L{claim.source.line:<{_LINE_WIDTH - 1}}{claim.flag.label} is sent "
            "(by some segment of the note's runs)"
        )
    for row in table.rows:
        if row.unchecked:
            out.append(f"{_INDENT}L{row.source.line:<{_LINE_WIDTH - 1}}unchecked: {row.unchecked}")
    return out


LABEL_RULES: Final = (
    "each arrow claims the kernel goes from one state to the other, on what its label names "
    "(nothing more when lab reads nothing in it)",
    "a label is RFC 793's 'event / action' (a line break is a slash too): a flag with no verb "
    "is sent or received before the slash, sent in answer after it",
    "verbs of sending and receiving are read in several languages (send, snd, rcv, recv, "
    "发送, 收到, 발송, 수신, 送信, 受信, enviar, recibir, senden, empfangen, envoyer, recevoir)",
    "calls: listen or passive open, connect or active open, close, abort; timers: timeout, "
    "2MSL, or a duration (30 s, 1 min), which TIME-WAIT's timer as ss shows it must match",
    "the edges are judged against the edges the runs took (the note's diagrams and lab's own "
    "scenarios that take them, in both families): ok when one took it on that kind of event",
)
"""How the arrows of a state machine are read and judged, for explain."""


def _machine(machine: NoteStateDiagram) -> list[str]:
    out = [
        f"state machine (lines {machine.first}-{machine.last}): {machine.title}, each arrow "
        "judged against the edges the kernel takes"
    ]
    out += [
        f"{_INDENT}L{edge.source.line:<{_LINE_WIDTH - 1}}{_edge(edge)}" for edge in machine.edges
    ]
    return out


def _edge(edge: EdgeClaim) -> str:
    """One arrow: its states, and each part of its label as read (or why it is unchecked)."""
    if edge.unchecked is not None:
        return f"unchecked: {edge.source.text.strip()!r}: {edge.unchecked}"
    pair = f"{edge.before or '[*]'} → {edge.after or '[*]'}"
    if edge.before is None or edge.after is None:
        return f"{pair}: a start or end marker ([*]); a connection starts and ends CLOSED"
    if edge.parts:
        return f"{pair}: " + "; ".join(f"{p.written!r} = {_part(p)}" for p in edge.parts)
    if edge.label:
        return f"{pair}: label {edge.label!r} names nothing lab reads: the change of state alone"
    return f"{pair}: no label: the change of state alone"


def _part(part: LabelPart) -> str:
    """What one part of a label was read as, in words."""
    if part.kind is PartKind.ACTION:
        return f"the application {part.verb}"
    if part.kind is PartKind.TIMER:
        if part.seconds is not None:
            return f"a timer of {part.seconds:g} s"
        return "a timer"
    if part.kind is PartKind.SEGMENT:
        return f"{part.flags.label}, sent or received"
    done = "received" if part.kind is PartKind.RECEIVED else "sent"
    return f"{part.flags.label} {done}{' in answer' if part.answer else ''}"
