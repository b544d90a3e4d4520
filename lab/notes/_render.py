"""What the kernel did, as a mermaid sequenceDiagram in the note's own words.

    text = render_mermaid(record, note.diagrams[0], note.spellings)
    print("```mermaid\\n" + text + "```")       # ready to paste over a wrong diagram

The participants keep the note's names (an alias when a name is not a safe
mermaid id: ``participant C as 클라이언트``), the client first. Each segment
is a message with its flags and Wireshark's relative numbers
(``SYN, ACK seq=0 ack=1``, ``len=5`` for data). Each state a role passes
through is a ``Note`` placed where the note's own judge accepts it: a Note
between two messages claims the role's state at some moment from the
delivery of the message above to the sending of the message below. So a
sender's new state goes just after its message (it holds until the message
is delivered), a receiver's just after the message that moved it, and a
state an action entered before any message (``LISTEN``) before the first
one. A timer the run waited out is a ``2MSL`` (or ``timeout``) note, then the
state it left the role in. The application's actions are shown as notes
(``Note over Bob: close()``) only when the note compiler infers the same
actions from the segments, so the diagram never shows what lab would not run.

Read back with `read_note`, the diagram compiles to the observed segments
(direction and flags), the same names for the same roles, and state claims
that hold for the observed snapshots. Two limits of the compiler remain: it
finds the client by behaviour (the first bare SYN, else the first FIN, else
the first segment), so a run in which the server sends the first FIN of a
diagram without a SYN reads back with the roles swapped; and a SYN from
both ends reads back with a warning (lab cannot run a simultaneous open).
Pure: no kernel access.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from lab.notes._claims import find_states, read_note_text
from lab.notes._compile import read_note
from lab.notes._note import NoteDiagram
from lab.tcp._names import Role, TcpFlag, TcpState
from lab.tcp._observed import ObservedAction, ObservedSegment, StateSnapshot
from lab.tcp._record import RunRecord
from lab.tcp._spec import Action

__all__ = ["render_mermaid"]

_SAFE_ID: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# Words mermaid or lab's reader take as a statement or part of one: never a bare id.
_RESERVED: Final = frozenset(
    word.casefold()
    for word in (
        *("sequenceDiagram", "participant", "actor", "create", "destroy", "note", "over"),
        *("left", "right", "of", "as", "title", "autonumber", "activate", "deactivate"),
        *("link", "links", "properties", "details", "accTitle", "accDescr", "loop", "alt"),
        *("else", "opt", "par", "and", "critical", "option", "break", "rect", "box", "end"),
    )
)
# The ids of participants whose names need an alias, by role.
_ALIAS_IDS: Final = {Role.CLIENT: "C", Role.SERVER: "S"}
# Characters that mean something in mermaid text, written as mermaid's entities (#59; is ";").
_ESCAPES: Final = {char: f"#{ord(char)};" for char in "#;&<>{}"}
_SIDE: Final = {Role.CLIENT: "left of", Role.SERVER: "right of"}
# How each action of a script reads as a call, in a Note (unchecked context).
_CALLS: Final = {
    "listens": "listen()",
    "connects": "connect()",
    "connects to a closed port": "connect()",
    "accepts": "accept()",
    "closes": "close()",
    "aborts": "abort()",
    "sends data": "send()",
    "sends urgent data": "send(MSG_OOB)",
    "reads data": "recv()",
}
# What a waited-out timer is called in a note, by the state it ends; "timeout" for others.
_TIMER_WORDS: Final = {TcpState.TIME_WAIT: "2MSL"}

_Kind = Literal["start", "action", "before", "after", "ending"]


@dataclass(frozen=True)
class _Moment:
    """A moment at which both roles' states were seen, and the slot whose window holds it.

    Slot k lies between the k-th and the (k+1)-th message: its window runs from
    the delivery of the one above (its ``after``) to the sending of the one
    below (its ``before``), the actions between included.
    """

    slot: int
    kind: _Kind
    states: Mapping[str, StateSnapshot]
    action: ObservedAction | None = None


@dataclass(frozen=True)
class _Line:
    """A line of the diagram body in a slot, and when it happened (to order a slot's lines)."""

    slot: int
    at: tuple[int, int, int]
    """Moment index; 0 for an action, 1 for a sender's state, 2 for others; the role's order."""
    roles: tuple[Role, ...]
    text: str
    state: TcpState | None = None


def render_mermaid(
    record: RunRecord, diagram: NoteDiagram, spellings: Mapping[TcpState, str]
) -> str:
    """The run in `record` as a mermaid ``sequenceDiagram``, in `diagram`'s names and `spellings`.

    Returns the diagram's text (no fence), one statement a line, ending with a
    newline. See the module docstring for what reads back and what does not.
    """
    ids = _participant_ids(diagram.names)
    words = _StateWords(spellings)
    segments = [item for item in record.timeline if isinstance(item, ObservedSegment)]
    moments = list(_moments(record))
    states = _state_lines(moments, words)
    ending = _timer_lines(record, moments, words, slot=len(segments))
    without_actions = _diagram(ids, diagram.names, record, segments, [*states, *ending])
    actions = _action_lines(moments) if _infers_same_actions(without_actions, record) else []
    return _diagram(ids, diagram.names, record, segments, [*states, *actions, *ending])


# --- participants -----------------------------------------------------------------------


def _participant_ids(names: Mapping[Role, str]) -> dict[Role, str]:
    """Each role's id: its name when that is a safe mermaid id, else ``C``/``S`` (unique)."""
    ids: dict[Role, str] = {}
    taken: set[str] = set()
    for role in (Role.CLIENT, Role.SERVER):
        name = _name(names, role)
        other = _name(names, role.peer).casefold()
        if _is_safe_id(name) and name.casefold() not in taken and name.casefold() != other:
            ident = name
        else:
            ident = _ALIAS_IDS[role]
            while ident.casefold() in taken or ident.casefold() == other:
                ident += "_"
        ids[role] = ident
        taken |= {ident.casefold(), name.casefold()}
    return ids


def _name(names: Mapping[Role, str], role: Role) -> str:
    """The role's name as the note shows it, whitespace joined; the role's own word if none."""
    return " ".join(names.get(role, str(role)).split()) or str(role)


def _is_safe_id(name: str) -> bool:
    return bool(_SAFE_ID.fullmatch(name)) and name.casefold() not in _RESERVED


def _escape(text: str) -> str:
    """`text` as mermaid shows it literally: ``;``, ``#``, ``&``, ``<``... as ``#59;``..."""
    return "".join(_ESCAPES.get(char, char) for char in text)


def _participant_line(role: Role, ident: str, names: Mapping[Role, str]) -> str:
    name = _name(names, role)
    return f"participant {ident}" if ident == name else f"participant {ident} as {_escape(name)}"


# --- moments and states -----------------------------------------------------------------


def _moments(record: RunRecord) -> Iterator[_Moment]:
    """Every moment of the run in script order: start, actions, each segment's before/after."""
    slot = 0
    yield _Moment(slot, "start", record.start)
    for item in record.timeline:
        if isinstance(item, ObservedAction):
            yield _Moment(slot, "action", item.states, item)
        else:
            yield _Moment(slot, "before", item.before)
            slot += 1
            yield _Moment(slot, "after", item.after)
    yield _Moment(slot, "ending", record.ending)


@dataclass(frozen=True)
class _StateWords:
    """States in the note's spelling, when that spelling reads back as the same state."""

    spellings: Mapping[TcpState, str]

    def __call__(self, state: TcpState) -> str:
        written = self.spellings.get(state)
        if written is None or _read_states(written) != [state]:
            return state.value
        return written


def _read_states(text: str) -> list[TcpState | None]:
    """The states `text` names, None for a doubtful one."""
    return [m.state if m.warning is None else None for m in find_states(text)]


def _state_lines(moments: Sequence[_Moment], words: _StateWords) -> list[_Line]:
    """A note for each state each role passes through, in a slot whose window holds it."""
    lines: list[_Line] = []
    for order, role in enumerate((Role.CLIENT, Role.SERVER)):
        for first, last in _runs(moments, role):
            state = moments[first].states[role].state
            if _is_first_closed(moments, role, first):
                continue  # CLOSED before anything: what every connection starts as
            slot = _slot_of(moments, first, last)
            opens = next(i for i, m in enumerate(moments) if m.slot == slot)
            # A state carried over from before the message comes first: the sender's.
            at = (opens, 1, order) if opens > first else (first, 2, order)
            lines.append(_Line(slot, at, (role,), words(state), state))
    return _merged(lines)


def _runs(moments: Sequence[_Moment], role: Role) -> Iterator[tuple[int, int]]:
    """The moments over which `role` stays in one state: (first, last) indexes, in order."""
    seen = [(i, m.states[role].state) for i, m in enumerate(moments) if role in m.states]
    start = 0
    for k in range(1, len(seen) + 1):
        if k == len(seen) or seen[k][1] is not seen[start][1]:
            yield seen[start][0], seen[k - 1][0]
            start = k


def _is_first_closed(moments: Sequence[_Moment], role: Role, first: int) -> bool:
    """Whether `first` starts `role`'s first run, in CLOSED (nothing to say yet)."""
    earlier = any(role in m.states for m in moments[:first])
    return not earlier and moments[first].states[role].state is TcpState.CLOSED


def _slot_of(moments: Sequence[_Moment], first: int, last: int) -> int:
    """Where a state held from moment `first` to `last` is shown.

    A precondition before the first message; a state entered on receiving a
    message just after that message; a state entered on sending (or by an
    action) just after the message sent, when it still holds on its delivery.
    """
    opening, closing = moments[first], moments[last]
    if opening.kind in ("start", "after", "ending"):
        return opening.slot
    return opening.slot + 1 if closing.slot > opening.slot else opening.slot


def _merged(lines: list[_Line]) -> list[_Line]:
    """Lines in time order; both roles' same state, next to each other in a slot, as one."""
    ordered = sorted(lines, key=lambda line: (line.slot, line.at))
    merged: list[_Line] = []
    for line in ordered:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and previous.slot == line.slot
            and previous.state is line.state
            and not set(previous.roles) & set(line.roles)
        ):
            roles = (*previous.roles, *line.roles)
            merged[-1] = _Line(previous.slot, previous.at, roles, line.text, line.state)
        else:
            merged.append(line)
    return merged


def _timer_lines(
    record: RunRecord, moments: Sequence[_Moment], words: _StateWords, *, slot: int
) -> list[_Line]:
    """For each role a waited-out timer moved on: time passing, then the state it is in."""
    lines: list[_Line] = []
    last = len(moments)
    for order, role in enumerate((Role.CLIENT, Role.SERVER)):
        final = record.final.get(role)
        known = [m.states[role] for m in moments if role in m.states]
        if final is None or not known or final.state is known[-1].state:
            continue
        passing = _TIMER_WORDS.get(known[-1].state, "timeout")
        lines.append(_Line(slot, (last, 2 * order, 0), (role,), passing))
        lines.append(
            _Line(slot, (last, 2 * order + 1, 0), (role,), words(final.state), final.state)
        )
    return lines


# --- actions ----------------------------------------------------------------------------


def _action_lines(moments: Sequence[_Moment]) -> list[_Line]:
    """Each recorded action as a call over its actor, when the call claims nothing."""
    lines: list[_Line] = []
    for at, moment in enumerate(moments):
        action = moment.action
        if action is None:
            continue
        call = _CALLS.get(action.verb, action.verb)
        if action.result and _claims_nothing(f"{call} → {action.result}"):
            call = f"{call} → {action.result}"
        if _claims_nothing(call):
            lines.append(_Line(moment.slot, (at, 0, 0), (action.actor,), call))
    return lines


def _claims_nothing(text: str) -> bool:
    """Whether a note's `text` reads as no state, no timer and no warning: only context."""
    reading = read_note_text(text, ())
    return not (reading.states or reading.timer or reading.warnings or reading.unread)


def _infers_same_actions(text: str, record: RunRecord) -> bool:
    """Whether the note compiler infers, from `text`, the actions the run recorded."""
    note = read_note(f"```mermaid\n{text}```\n")
    if len(note.diagrams) != 1 or note.warnings:
        return False
    inferred = [
        (a.actor, a.verb) for a in note.diagrams[0].scenario.script if isinstance(a, Action)
    ]
    recorded = [(a.actor, a.verb) for a in record.timeline if isinstance(a, ObservedAction)]
    return inferred == recorded


# --- the diagram ------------------------------------------------------------------------


def _diagram(
    ids: Mapping[Role, str],
    names: Mapping[Role, str],
    record: RunRecord,
    segments: Sequence[ObservedSegment],
    lines: Sequence[_Line],
) -> str:
    """The diagram's text: participants, then each slot's notes before its message."""
    isn = {Role(role): number for role, number in record.anchors().items()}
    body = [
        "sequenceDiagram",
        *(
            f"    {_participant_line(role, ids[role], names)}"
            for role in (Role.CLIENT, Role.SERVER)
        ),
    ]
    by_slot = sorted(lines, key=lambda line: (line.slot, line.at))
    for slot in range(len(segments) + 1):
        body += [f"    {_note(line, ids)}" for line in by_slot if line.slot == slot]
        if slot < len(segments):
            segment = segments[slot]
            body.append(
                f"    {ids[segment.sender]}->>{ids[segment.receiver]}: {_message(segment, isn)}"
            )
    return "\n".join(body) + "\n"


def _note(line: _Line, ids: Mapping[Role, str]) -> str:
    over = ",".join(ids[role] for role in line.roles)
    if line.state is None or line.slot == 0 or len(line.roles) > 1:
        return f"Note over {over}: {_escape(line.text)}"
    return f"Note {_SIDE[line.roles[0]]} {over}: {_escape(line.text)}"


def _message(segment: ObservedSegment, isn: Mapping[Role, int]) -> str:
    """``SYN, ACK seq=0 ack=1``: the flags as a note writes them, relative numbers, ``len``."""
    parts = [", ".join(segment.flags.names)]
    if segment.sender in isn:
        parts.append(f"seq={(segment.seq - isn[segment.sender]) % (1 << 32)}")
    if TcpFlag.ACK in segment.flags and segment.receiver in isn:
        parts.append(f"ack={(segment.ack - isn[segment.receiver]) % (1 << 32)}")
    if segment.length:
        parts.append(f"len={segment.length}")
    return " ".join(part for part in parts if part)
