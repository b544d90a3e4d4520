"""A TCP sequence diagram as a scenario: its two ends, their roles, the claims and the actions.

    compiled = compile_diagram(diagram, fence, markdown, warnings)   # NoteDiagram, or Skipped

Roles come from behaviour, not names: the sender of the first bare SYN is the
client; without one, the sender of the first FIN (it closes first); without
either, the sender of the first segment. The two participants that exchange
the most segments are the ends; every other participant is context.

The script is the diagram's own order: each message between the ends is a
`DocumentedSegment`, each note a `StateClaim`, a `TimerPassed` or an
`Unchecked`, each at the line that says it. Application actions are inferred
from the segments (`ACTION_RULES` says which) and placed where the runner must
do them: just before the segment they cause, or just after the one they answer.
Pure: no kernel access.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from lab.notes._claims import MessageReading, NoteReading, read_message, read_note_text
from lab.notes._markdown import Fence, Markdown
from lab.notes._mermaid import DiagramNote, Message, SequenceDiagram
from lab.notes._note import NoteDiagram, NoteWarning, Skipped
from lab.tcp._names import Role, TcpFlag, TcpState
from lab.tcp._spec import (
    Action,
    DocumentedSegment,
    Scenario,
    ScriptItem,
    Source,
    StateClaim,
    TimerPassed,
    Unchecked,
)

__all__ = ["ACTION_RULES", "ESTABLISHED_SETUP", "compile_diagram"]

ESTABLISHED_SETUP: Final = (
    Action(Role.SERVER, "listens"),
    Action(Role.CLIENT, "connects"),
    Action(Role.SERVER, "accepts"),
)
"""The setup of a diagram that starts on an open connection (no SYN, or ESTABLISHED first)."""

ACTION_RULES: Final = (
    ("a SYN from X", "X connects and the other end listens (first, before anything else)"),
    ("a SYN answered by a RST", "X connects to a closed port; nobody listens"),
    ("a FIN from X", "X's application closes, just before it"),
    ("data to X after X's FIN", "X half-closes (shutdown SHUT_WR) instead, and reads it"),
    ("a segment drawn lost (-x)", "it is dropped; the same segment from X next is TCP's resend"),
    (
        "two FINs before either end's ACK (the second end not noted LAST-ACK)",
        "a simultaneous close: both close before the first",
    ),
    ("a RST from X (not an answer to a SYN)", "X aborts (SO_LINGER 0), just before it"),
    ("data from X", "X sends data; the receiver reads it just after, unless the note says unread"),
    ("URG from X", "X sends urgent data; the receiver reads it just after, unless unread"),
    ("no SYN, or an ESTABLISHED precondition", "setup: server listens, client connects, accepts"),
    ("the server acting on the connection", "server accepts first, once"),
)
"""How actions are inferred from segments, as (what a diagram shows, what runs): for explain."""

# A precondition (a note before any segment) that needs more than an open connection: the
# state, and which end's application closes in the setup to reach it (itself or its peer).
_HALF_CLOSED_SETUP: Final[dict[TcpState, bool]] = {
    TcpState.FIN_WAIT_2: True,
    TcpState.CLOSE_WAIT: False,
}
# Transitions no segment makes, whose states stay where the note is: an action's (listen),
# and a timer's (a TimerPassed goes between its states).
_ACTION_TRANSITIONS: Final = frozenset({(TcpState.CLOSED, TcpState.LISTEN)})
_TIMER_TRANSITIONS: Final = frozenset({(TcpState.TIME_WAIT, TcpState.CLOSED)})
# What makes a transition (from, to), from None for any: a segment the end sends (True) or
# receives (False), with one of these flags. A transition note claims its states around the
# nearest such segment: LISTEN -> SYN_RCVD around the SYN the server receives.
_CAUSES: Final[dict[tuple[TcpState | None, TcpState], tuple[bool, TcpFlag]]] = {
    (None, TcpState.SYN_SENT): (True, TcpFlag.SYN),
    (None, TcpState.SYN_RECEIVED): (False, TcpFlag.SYN),
    (TcpState.SYN_SENT, TcpState.ESTABLISHED): (False, TcpFlag.SYN),
    (None, TcpState.ESTABLISHED): (False, TcpFlag.ACK),
    (None, TcpState.FIN_WAIT_1): (True, TcpFlag.FIN),
    (None, TcpState.FIN_WAIT_2): (False, TcpFlag.ACK),
    (None, TcpState.CLOSE_WAIT): (False, TcpFlag.FIN),
    (None, TcpState.CLOSING): (False, TcpFlag.FIN),
    (None, TcpState.LAST_ACK): (True, TcpFlag.FIN),
    (TcpState.CLOSING, TcpState.TIME_WAIT): (False, TcpFlag.ACK),
    (None, TcpState.TIME_WAIT): (False, TcpFlag.FIN),
    (TcpState.LAST_ACK, TcpState.CLOSED): (False, TcpFlag.ACK),
    (None, TcpState.CLOSED): (False, TcpFlag.RST),
}
_TCP_FLAGS: Final = (
    TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST | TcpFlag.ACK | TcpFlag.PSH | TcpFlag.URG
)


_ALTERNATIVE: Final = (
    "it is in a later branch of alt (else) or critical (option); lab runs the first branch"
)

# Who the client is: the sender of the first segment that matches, rule by rule.
_CLIENT_RULES: Final[tuple[tuple[Callable[[TcpFlag], bool], str], ...]] = (
    (lambda f: TcpFlag.SYN in f and TcpFlag.ACK not in f, "sends the first SYN"),
    (lambda f: TcpFlag.FIN in f, "sends the first FIN, so it closes first"),
    (lambda f: bool(f & _TCP_FLAGS), "sends the first segment"),
)


@dataclass
class _Segment:
    """A message between the two ends that documents a segment."""

    message: Message
    reading: MessageReading
    sender: Role
    receiver: Role
    unread: bool = False

    @property
    def flags(self) -> TcpFlag:
        return self.reading.flags

    @property
    def lost(self) -> bool:
        """Drawn lost: mermaid's ``-x`` and ``--x`` arrows."""
        return self.message.arrow.endswith("x")


@dataclass
class _Script:
    """The script being built: claims in slots between segments, actions around them.

    Slot k holds what lies between segment k-1 and segment k (slot 0 before the
    first, the last slot after the last). An item's place in its slot does not
    change what it claims: a state claim's window is its whole slot.
    """

    segments: list[_Segment]
    claims: list[list[ScriptItem]] = field(default_factory=list)
    leading: list[list[Action]] = field(default_factory=list)
    trailing: list[list[Action]] = field(default_factory=list)

    def __post_init__(self) -> None:
        slots = len(self.segments) + 1
        self.claims = [[] for _ in range(slots)]
        self.leading = [[] for _ in range(slots)]
        self.trailing = [[] for _ in range(slots)]

    def items(self, sources: Mapping[int, Source]) -> tuple[ScriptItem, ...]:
        """The script in order: per slot its leading actions, claims, trailing actions, segment."""
        script: list[ScriptItem] = []
        for slot, claims in enumerate(self.claims):
            in_order = sorted(claims, key=_line)  # stable: a note's own claims keep their order
            script += [*self.leading[slot], *in_order, *self.trailing[slot]]
            if slot < len(self.segments):
                script.append(_documented(self.segments[slot], sources))
        return tuple(script)


def _line(item: ScriptItem) -> int:
    """The line an item is written at, 0 for an inferred action (they are never sorted)."""
    if isinstance(item, Action) or item.source is None:
        return 0
    return item.source.line


def compile_diagram(
    diagram: SequenceDiagram, fence: Fence, markdown: Markdown, warnings: list[NoteWarning]
) -> NoteDiagram | Skipped:
    """The scenario a sequence diagram documents, or why it documents none; `warnings` grows."""
    for problem in diagram.problems:
        warnings.append(NoteWarning(problem.line, problem.message))
    readings = {id(e): read_message(e.text) for e in diagram.events if isinstance(e, Message)}
    flagged = [
        e
        for e in diagram.events
        if isinstance(e, Message)
        and not e.alternative
        and e.sender != e.receiver
        and (readings[id(e)].flags & _TCP_FLAGS or readings[id(e)].absent)
    ]
    if not flagged:
        return Skipped(fence.first, fence.last, "mermaid sequence diagram", _not_tcp(diagram))
    ends = _ends(flagged)
    # Quoted as the file has it (with a block quote's ">"), not as the fence's content.
    sources = {line.number: Source(line.number, markdown.line(line.number)) for line in fence.lines}
    roles, because = _roles(diagram, ends, readings)
    script = _Script(
        [
            _Segment(e, readings[id(e)], roles[e.sender], roles[e.receiver])
            for e in diagram.events
            if isinstance(e, Message)
            and not e.alternative
            and {e.sender, e.receiver} == set(ends)
            and e.sender != e.receiver
            and readings[id(e)].is_segment
        ]
    )
    if _simultaneous_open(script.segments):
        return Skipped(
            fence.first, fence.last, "mermaid sequence diagram", _SIMULTANEOUS_OPEN, tcp=True
        )
    unrunnable = _unrunnable(flagged)
    if unrunnable is not None:
        return Skipped(fence.first, fence.last, "mermaid sequence diagram", unrunnable, tcp=True)
    _place_claims(
        diagram, script=script, roles=roles, readings=readings, sources=sources, warnings=warnings
    )
    setup = _infer_actions(script, warnings)
    name = f"L{fence.first}-{fence.last}"
    heading = markdown.heading_above(fence.first)
    title = diagram.title or (heading.text if heading else None) or markdown.title or name
    labels = {p.id: " ".join(p.label.split()) for p in diagram.participants}
    return NoteDiagram(
        scenario=Scenario(name, title, setup, script.items(sources)),
        first=fence.first,
        last=fence.last,
        kind=_kind(setup, script),
        roles=roles,
        names={role: labels[ident] for ident, role in roles.items()},
        because=because,
        context=tuple(labels[p.id] for p in diagram.participants if p.id not in roles),
    )


# What a diagram can show that Linux does but lab's runner cannot make happen, as (what a
# message's text says, why): the whole diagram is then skipped, never judged wrongly. HTTP's
# "Connection: keep-alive" header is no keep-alive probe.
_UNRUNNABLE: Final = (
    (
        re.compile(r"(?<!connection:)(?<!connection: )keep[- ]?alive", re.IGNORECASE),
        "shows a keep-alive probe, which Linux sends only after net.ipv4.tcp_keepalive_time "
        "(7200 s by default) of silence on a socket with SO_KEEPALIVE; lab does not run "
        "keep-alives yet, so the diagram is not checked",
    ),
    (
        re.compile(
            r"zero[- ]?window|persist(?:ence)?\s+(?:timer|probe)"
            r"|(?<![A-Za-z])win(?:dow)?\s*[:=]?\s*0(?![0-9])",
            re.IGNORECASE,
        ),
        "shows a zero window (the receiver's buffer full) or its probes, which need the "
        "receiver to stop reading until its buffer fills and the persist timer to fire; lab's "
        "runner does neither yet, so the diagram is not checked",
    ),
)


def _unrunnable(flagged: Iterable[Message]) -> str | None:
    """Why the runner cannot make the diagram's exchange happen, or None when it can."""
    for message in flagged:
        for pattern, why in _UNRUNNABLE:
            if pattern.search(message.text):
                return f"line {message.line} {why}"
    return None


_SIMULTANEOUS_OPEN: Final = (
    "a simultaneous open (each end sends a SYN, then a SYN+ACK): Linux does it, but lab's "
    "runner has one end connect and the other listen, so it cannot make one happen; not checked"
)


def _simultaneous_open(segments: Sequence[_Segment]) -> bool:
    """Whether both ends send a bare SYN and the first sends a SYN again after the other's.

    A server's reply written as a bare ``SYN`` (for SYN+ACK) and then an ACK is no
    simultaneous open: only the first SYN's sender repeating one makes it one.
    """
    bare = [
        k for k, s in enumerate(segments) if s.flags & (TcpFlag.SYN | TcpFlag.ACK) == TcpFlag.SYN
    ]
    if not bare:
        return False
    opener = segments[bare[0]].sender
    other = next((k for k in bare if segments[k].sender != opener), None)
    return other is not None and any(
        TcpFlag.SYN in s.flags and s.sender == opener for s in segments[other + 1 :]
    )


def _not_tcp(diagram: SequenceDiagram) -> str:
    messages = sum(isinstance(e, Message) for e in diagram.events)
    if not messages:
        return "it has no messages, so it shows no TCP segment"
    return (
        f"none of its {messages} messages names a TCP flag (SYN, ACK, FIN, RST, PSH, URG), "
        "so it is not a TCP exchange (HTTP, TLS or DNS above TCP, perhaps); nothing to check"
    )


def _ends(flagged: Iterable[Message]) -> tuple[str, str]:
    """The two participants that exchange the most flagged messages (the first pair on a tie)."""
    counts: dict[frozenset[str], int] = {}
    order: dict[frozenset[str], tuple[str, str]] = {}
    for message in flagged:
        pair = frozenset((message.sender, message.receiver))
        counts[pair] = counts.get(pair, 0) + 1
        order.setdefault(pair, (message.sender, message.receiver))
    best = max(counts, key=lambda pair: counts[pair])  # max keeps the first of equals
    return order[best]


def _roles(
    diagram: SequenceDiagram, ends: tuple[str, str], readings: Mapping[int, MessageReading]
) -> tuple[dict[str, Role], str]:
    """Each end's role and why (see _CLIENT_RULES): the client sends the first bare SYN."""
    between = [
        e
        for e in diagram.events
        if isinstance(e, Message)
        and not e.alternative
        and {e.sender, e.receiver} == set(ends)
        and e.sender != e.receiver
    ]
    label = {p.id: " ".join(p.label.split()) for p in diagram.participants}
    for wanted, why in _CLIENT_RULES:
        first = next((m for m in between if wanted(readings[id(m)].flags)), None)
        if first is not None:
            client = first.sender
            server = ends[1] if client == ends[0] else ends[0]
            return {client: Role.CLIENT, server: Role.SERVER}, f"{label[client]} {why}"
    client, server = ends  # only flags documented absent (ACK=0): the first to write one
    return {client: Role.CLIENT, server: Role.SERVER}, f"{label[client]} is first"


def _place_claims(
    diagram: SequenceDiagram,
    *,
    script: _Script,
    roles: Mapping[str, Role],
    readings: Mapping[int, MessageReading],
    sources: Mapping[int, Source],
    warnings: list[NoteWarning],
) -> None:
    """Put every message and note of the diagram into the script's slots, in order."""
    segment_messages = {id(s.message): k for k, s in enumerate(script.segments)}
    names = {p.id: p.id for p in diagram.participants} | {
        " ".join(p.label.split()): p.id for p in diagram.participants
    }
    slot = 0
    for event in diagram.events:
        source = sources.get(event.line, Source(event.line, ""))
        if event.alternative:
            script.claims[slot].append(Unchecked(source, _ALTERNATIVE))
            continue
        if isinstance(event, Message):
            if id(event) in segment_messages:
                slot = segment_messages[id(event)] + 1
                reading = readings[id(event)]
                if reading.states:
                    script.claims[slot].append(
                        Unchecked(
                            source,
                            "a state written in a message is not checked: write it as a Note "
                            "beside the participant whose state it is",
                        )
                    )
                _warn(warnings, event.line, (m.warning for m in reading.states if m.warning))
            else:
                script.claims[slot].append(Unchecked(source, _why_context(event, roles, readings)))
            continue
        _place_note(
            event,
            slot,
            script=script,
            roles=roles,
            names=names,
            source=source,
            warnings=warnings,
        )


def _why_context(
    message: Message, roles: Mapping[str, Role], readings: Mapping[int, MessageReading]
) -> str:
    if message.sender == message.receiver:
        return (
            f"{message.sender} to itself: an application step, shown as context (the "
            "actions are inferred from the segments)"
        )
    if message.sender in roles and message.receiver in roles:
        return "it names no TCP flag and no data, so it claims no segment"
    return (
        f"{message.sender} → {message.receiver} is not between the two ends "
        f"({' and '.join(roles)}): shown as context"
    )


def _place_note(
    note: DiagramNote,
    slot: int,
    *,
    script: _Script,
    roles: Mapping[str, Role],
    names: Mapping[str, str],
    source: Source,
    warnings: list[NoteWarning],
) -> None:
    """The claims of one note, in `slot` (a transition: around the nearest segment)."""
    reading = read_note_text(note.text, list(names))
    _warn(warnings, note.line, reading.warnings)
    if reading.unread:
        data = [s for s in script.segments[:slot] if s.reading.data]
        if data:
            data[-1].unread = True
    over = [roles[p] for p in note.over if p in roles]
    claims = _note_claims(reading, over, roles, names, source)
    if not claims:
        if reading.unread:
            return  # said what it says: the data above is left unread
        why = reading.reason
        if not over and note.over:
            why = f"it is over {', '.join(note.over)}, which is not one of the two ends"
        script.claims[slot].append(Unchecked(source, why))
        return
    states = [c for c in claims if isinstance(c, StateClaim)]
    if _around_a_segment(reading) and states and script.segments:
        first, last = reading.states[0][1], reading.states[-1][1]
        befores = [c for c in states if c.state is first]
        afters = [c for c in states if c.state is last]
        k = _causing_segment(note.line, befores[0].role, first, last, script.segments)
        script.claims[k] += befores
        script.claims[k + 1][:0] = afters
        return
    script.claims[slot] += claims


def _around_a_segment(reading: NoteReading) -> bool:
    """Whether a note is a transition that a segment makes (not a timer, not an action)."""
    if not reading.transition or reading.timer:
        return False
    pair = (reading.states[0][1], reading.states[-1][1])
    return pair not in _ACTION_TRANSITIONS and pair not in _TIMER_TRANSITIONS


def _causing_segment(
    line: int, role: Role, first: TcpState, last: TcpState, segments: list[_Segment]
) -> int:
    """The segment a transition of `role` from `first` to `last` happens around.

    The nearest segment that can cause it (`_CAUSES`: sent or received, with which
    flag), above the note on a tie; the nearest segment when none can.
    """
    cause = _CAUSES.get((first, last)) or _CAUSES.get((None, last))
    candidates = list(range(len(segments)))
    if cause is not None:
        sent, flags = cause
        matching = [
            k
            for k in candidates
            if (segments[k].sender is role) == sent and segments[k].flags & flags
        ]
        candidates = matching or candidates
    return min(candidates, key=lambda k: (abs(segments[k].message.line - line), k))


def _note_claims(
    reading: NoteReading,
    over: list[Role],
    roles: Mapping[str, Role],
    names: Mapping[str, str],
    source: Source,
) -> list[ScriptItem]:
    """The claims a note makes, in order: states (for whom), and the timer firing."""
    unnamed = [state for named, state in reading.states if named is None]
    # "Note over A,B: SYN-SENT, LISTEN": one state each, in the order the note is over them.
    spread = len(over) == 2 and len(unnamed) == 2 and not reading.transition
    pairs: list[tuple[Role, TcpState]] = []
    nth = 0
    for named, state in reading.states:
        if named is None:
            whose = [over[nth]] if spread else over
            pairs += [(role, state) for role in whose]
            nth += 1
        elif names[named] in roles:
            pairs.append((roles[names[named]], state))
        # else: a state of a context participant (a kernel, an application): not an end's
    timer_role = over[0] if len(over) == 1 else None
    claims: list[ScriptItem] = [StateClaim(role, state, source) for role, state in pairs]
    if reading.timer:
        only_time_wait = pairs and all(s is TcpState.TIME_WAIT for _, s in pairs)
        if only_time_wait and not reading.transition:
            return claims  # "TIME-WAIT (2MSL)": how long the state lasts, not time passing
        timer = TimerPassed(timer_role, source)
        if reading.transition and len(claims) >= 2:
            ends = len({role for role, _ in pairs})
            return [*claims[:ends], timer, *claims[ends:]]
        return [timer, *claims]
    if reading.transition and (reading.states[0][1], reading.states[-1][1]) in _TIMER_TRANSITIONS:
        ends = len({role for role, _ in pairs})
        return [*claims[:ends], TimerPassed(timer_role, source), *claims[ends:]]
    return claims


def _warn(warnings: list[NoteWarning], line: int, messages: Iterable[str]) -> None:
    warnings.extend(NoteWarning(line, message) for message in messages)


# --- actions ----------------------------------------------------------------------------


@dataclass
class _Ends:
    """What the applications have done so far while actions are inferred."""

    opened: Role | None = None
    refused_at: int | None = None
    accepted: bool = False
    closed: set[Role] = field(default_factory=set)
    closing_claimed: bool = False
    """Some note claims CLOSING, the state only a simultaneous close reaches."""
    last_ack: set[Role] = field(default_factory=set)
    """The ends some note puts in LAST-ACK: each closed on a FIN it had, not across one."""


def _infer_actions(script: _Script, warnings: list[NoteWarning]) -> tuple[Action, ...]:
    """Fill in the actions the segments imply (see ACTION_RULES); the setup."""
    segments = script.segments
    stated = [c for slot in script.claims for c in slot if isinstance(c, StateClaim)]
    ends = _Ends(
        closing_claimed=any(c.state is TcpState.CLOSING for c in stated),
        last_ack={c.role for c in stated if c.state is TcpState.LAST_ACK},
    )
    opening = next(
        (
            k
            for k, s in enumerate(segments)
            if TcpFlag.SYN in s.flags and TcpFlag.ACK not in s.flags
        ),
        None,
    )
    setup: tuple[Action, ...] = ()
    if opening is None:
        setup = ESTABLISHED_SETUP + _half_closed(script.claims[0])
        ends.accepted = True
        ends.closed = {a.actor for a in setup if a.verb == "closes"}
    for k, segment in enumerate(segments):
        _actions_for(k, segment, script, ends, warnings)
    return setup


def _half_closed(preconditions: list[ScriptItem]) -> tuple[Action, ...]:
    """The close a precondition such as FIN-WAIT-2 or CLOSE-WAIT needs in the setup."""
    for claim in preconditions:
        if isinstance(claim, StateClaim) and claim.state in _HALF_CLOSED_SETUP:
            closer = claim.role if _HALF_CLOSED_SETUP[claim.state] else claim.role.peer
            return (Action(closer, "closes"),)
    return ()


def _actions_for(
    k: int, segment: _Segment, script: _Script, ends: _Ends, warnings: list[NoteWarning]
) -> None:
    """The actions segment `k` implies, put before it (its cause) or after it (its reading)."""
    flags, sender, receiver = segment.flags, segment.sender, segment.receiver
    before = script.trailing[k]
    previous = next((s for s in reversed(script.segments[:k]) if s.sender == sender), None)
    if previous is not None and previous.lost and previous.flags == flags:
        return  # the retransmission of a segment drawn lost: TCP sends it, nobody acts
    if TcpFlag.SYN in flags and TcpFlag.ACK not in flags:
        if ends.opened is None:
            ends.opened = sender
            reply = next((s for s in script.segments[k + 1 :] if s.sender == receiver), None)
            if reply is not None and TcpFlag.RST in reply.flags and TcpFlag.SYN not in reply.flags:
                ends.refused_at = script.segments.index(reply)
                before.append(Action(sender, "connects to a closed port"))
            else:
                script.leading[0].insert(0, Action(receiver, "listens"))
                before.append(Action(sender, "connects"))
        elif sender != ends.opened:
            warnings.append(
                NoteWarning(
                    segment.message.line,
                    "the other end's answer to a SYN is written as a bare SYN: it is judged as "
                    "the SYN+ACK Linux sends (an unwritten ACK is tolerated); write SYN+ACK to "
                    "say so",
                )
            )
    elif TcpFlag.FIN in flags:
        if sender in ends.closed:
            return
        following = script.segments[k + 1] if k + 1 < len(script.segments) else None
        closing = [sender]
        if (
            following is not None
            and TcpFlag.FIN in following.flags
            and following.sender == receiver
            and receiver not in ends.closed
            and (
                ends.closing_claimed
                or (TcpFlag.ACK not in following.flags and receiver not in ends.last_ack)
            )
        ):
            # Two FINs before either ACK: a simultaneous close. A FIN+ACK answering the FIN,
            # or a FIN whose sender the note puts in LAST-ACK (with no CLOSING state in the
            # note), is a three-segment close: the peer closes once it has the FIN, as the
            # FIN rule does.
            closing.append(receiver)
        later = script.segments[k + 1 :]
        for role in closing:
            # Data still coming to it after its FIN: a half-close, shutdown(SHUT_WR); a
            # close() would answer that data with RST.
            half = any(s.sender != role and (s.reading.data or s.reading.urgent) for s in later)
            _act(before, Action(role, "shuts down writing" if half else "closes"), ends)
    elif TcpFlag.RST in flags:
        if k == ends.refused_at or sender in ends.closed:
            return
        _act(before, Action(sender, "aborts"), ends)
    elif segment.reading.urgent or segment.reading.data:
        verb = "sends urgent data" if segment.reading.urgent else "sends data"
        size = segment.reading.length if not segment.reading.urgent else None
        _act(before, Action(sender, verb, size), ends)
        if not segment.unread:  # the urgent byte too: left unread, a later close sends RST
            _act(script.leading[k + 1], Action(receiver, "reads data"), ends)


def _act(slot: list[Action], action: Action, ends: _Ends) -> None:
    """Add `action` to `slot`, after the server's accept when it acts on the connection first."""
    if action.actor is Role.SERVER and not ends.accepted and ends.opened is not None:
        slot.append(Action(Role.SERVER, "accepts"))
        ends.accepted = True
    slot.append(action)
    if action.verb in ("closes", "aborts", "shuts down writing"):
        ends.closed.add(action.actor)


def _documented(segment: _Segment, sources: Mapping[int, Source]) -> DocumentedSegment:
    line = segment.message.line
    reading = segment.reading
    return DocumentedSegment(
        sender=segment.sender,
        receiver=segment.receiver,
        flags=reading.flags,
        absent=reading.absent,
        seq=reading.seq,
        ack=reading.ack,
        source=sources.get(line, Source(line, "")),
        data=reading.data or reading.urgent,
        lost=segment.lost,
    )


# What each inferred action shows, for a diagram's kind; in the order they first appear.
_KINDS: Final = {
    "connects": "open",
    "connects to a closed port": "refused",
    "sends data": "data",
    "sends urgent data": "urgent data",
    "closes": "close",
    "shuts down writing": "half-close",
    "aborts": "abort",
}


def _kind(setup: tuple[Action, ...], script: _Script) -> str:
    """The diagram's content in words: ``open``, ``close``, ``open, data, close``."""
    kinds: dict[str, None] = {}
    for slot in script.trailing:
        closes = sum(a.verb == "closes" for a in slot)
        for action in slot:
            if action.verb == "closes" and closes == 2:
                kinds["simultaneous close"] = None
            elif action.verb in _KINDS:
                kinds[_KINDS[action.verb]] = None
    if not kinds:
        return "established" if setup else "segments"
    return ", ".join(kinds)
