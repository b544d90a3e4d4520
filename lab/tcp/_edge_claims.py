"""A state diagram's edges, each judged against the edges the kernel took, line by line.

    claim = EdgeClaim(Source(9, "ESTABLISHED --> CLOSE_WAIT : send FIN"),
                      TcpState.ESTABLISHED, TcpState.CLOSE_WAIT,
                      (LabelPart(PartKind.SENT, "send FIN", flags=TcpFlag.FIN),))
    judge_edges([claim], runs, family="IPv4")     # runs: (RunRecord, ScenarioVerdict) pairs
    # -> ClaimVerdict(kind="edge", verdict="fail", detail="the label says sends FIN, but the
    #    kernel goes ESTABLISHED → CLOSE-WAIT when it receives FIN, and sends ACK (close)")
    documented_pairs(spec.scenarios["close"])    # {(ESTABLISHED, FIN-WAIT-1), ...}

A drawn transition (``A --> B : label``) claims that the kernel goes from A to
B, on the event its label names. The label is read (by `lab.notes`) into
`LabelPart`s: the application's call (listen, connect, close, abort), a segment
received, a segment sent, a segment whose direction the label does not say, a
timer (with its duration when written). The rules, one place for all of them:

* **Markers and loops.** ``[*] → CLOSED`` and ``CLOSED → [*]`` are ``ok``: a
  connection starts and ends CLOSED. A marker with another state, a state to
  itself and a line whose end is not a TCP state are ``unchecked``, with why.
* **The pair.** A pair that is no edge of RFC 9293's diagram (`lab.tcp._edges.EDGES`)
  ``fail``s, saying where the kernel goes from that state; the transitions Linux
  makes on its own (`LINUX_EDGES`: an orphan's FIN-WAIT-2 timeout) count as edges.
* **The label.** Every part must fit one of the pair's edges: a call among its
  trigger verbs, a segment received or sent with a trigger's flags, a segment sent
  in answer with the flags the kernel answers with (`SENDS`), a timer among its
  triggers. Before the slash of ``event / action`` a segment may be either
  received or sent; after it, it is sent. An ACK may go unwritten except beside
  a SYN (``rcv FIN`` is the FIN+ACK; ``rcv SYN`` is no SYN+ACK). A label that
  fits no edge of the pair ``fail``s, saying how the kernel takes it, when some
  run took one of them (or Linux cannot take them); when none did, it is
  ``unchecked``: RFC 9293's word alone is no verdict on Linux. A label lab
  cannot read (prose) claims only the pair: the line is judged on the pair
  alone, the same rule as a bare ``A --> B``.
* **Unreachable.** A label that fits only edges Linux cannot take
  (`lab.tcp._edges.UNREACHABLE`) ``fail``s, with the kernel's answer.
* **Observed.** ``ok`` when some run of the family took a fitting edge on an
  event of the kind the label names (the end's own call or segment, a segment
  it received, a timer; any kind when the label names none). TIME-WAIT → CLOSED,
  not waited out (no ``--wait-timers``) by a run that ended in TIME-WAIT, is
  ``timer``. A duration written on it is compared with the timer ``ss``
  showed in TIME-WAIT (60 s on Linux): another duration ``fail``s. Anything
  else is ``unchecked``: the kernel took the edge only on another kind of
  event, or no scenario shows it yet; never a guess.

Pure: no kernel access.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from lab.tcp._claim_runs import RunMoments, moments
from lab.tcp._claims import ClaimVerdict, Verdict
from lab.tcp._edges import EDGES, LINUX_EDGES, UNREACHABLE, Edge, Event, EventKind, Trigger
from lab.tcp._names import Role, TcpFlag, TcpState
from lab.tcp._observed import StateSnapshot
from lab.tcp._record import RunRecord
from lab.tcp._spec import NO_FLAGS, ROLES, Action, DocumentedSegment, Scenario, Source
from lab.tcp._transitions import Transition, transitions
from lab.tcp._verdict import ScenarioVerdict

__all__ = [
    "LINUX_EDGES",
    "SENDS",
    "EdgeClaim",
    "LabelPart",
    "PartKind",
    "documented_pairs",
    "edge_pairs",
    "judge_edges",
]

S, A, F, R = TcpFlag.SYN, TcpFlag.ACK, TcpFlag.FIN, TcpFlag.RST
_CONTROL: Final = S | F | R
"""The flags that make a segment what it is; an ACK beside them may go unwritten."""


class PartKind(enum.StrEnum):
    """What one part of an edge's label names."""

    ACTION = "action"
    """The application's call: ``listen``, ``connect``, ``close``, ``abort``."""
    RECEIVED = "received"
    """A segment the end receives: ``rcv FIN``, ``收到 FIN``, ``FIN 수신``."""
    SENT = "sent"
    """A segment the end sends: ``snd ACK``, ``发送 ACK``, ``/ ACK`` (after the slash)."""
    SEGMENT = "segment"
    """A segment the label gives no direction (``FIN``, before any slash): sent or received."""
    TIMER = "timer"
    """A timer: ``timeout``, ``2MSL``, ``30 s``."""


@dataclass(frozen=True)
class LabelPart:
    """One thing an edge's label says takes (or answers) the edge."""

    kind: PartKind
    written: str
    """As the note writes it: ``recv SYN-ACK``, ``30s``."""
    verb: str = ""
    """For a call: the verb of `lab.tcp._edges`' triggers (``listens``, ``closes``)."""
    flags: TcpFlag = NO_FLAGS
    """For a segment: the flags written."""
    seconds: float | None = None
    """For a timer: the duration written, in seconds (None: ``timeout``, ``2MSL``)."""
    answer: bool = False
    """After the slash of ``event / action``: what the end does in answer."""

    def __str__(self) -> str:
        if self.kind is PartKind.ACTION:
            return self.verb
        if self.kind is PartKind.TIMER:
            return f"timer ({self.written})" if self.seconds is not None else self.written
        if self.kind is PartKind.SEGMENT:
            return self.flags.label
        return f"{'receives' if self.kind is PartKind.RECEIVED else 'sends'} {self.flags.label}"


@dataclass(frozen=True)
class EdgeClaim:
    """A drawn transition of a note's state diagram: from one state to another, on its label."""

    source: Source
    """The line that draws it."""
    before: TcpState | None
    """The state it leaves; None for the start marker ``[*]``."""
    after: TcpState | None
    """The state it enters; None for the end marker ``[*]``."""
    parts: tuple[LabelPart, ...] = ()
    """What its label says, read; empty when it says nothing lab reads."""
    label: str = ""
    """The label as written ("" for none)."""
    unchecked: str | None = None
    """Why the line claims nothing lab checks (an end that is no TCP state); None otherwise."""

    @property
    def documented(self) -> str:
        """``ESTABLISHED → CLOSE-WAIT on receives FIN, sends ACK``: the claim in lab's words
        ("" for an unchecked line)."""
        if self.unchecked is not None:
            return ""
        pair = f"{self.before or '[*]'} → {self.after or '[*]'}"
        return f"{pair} on {', '.join(map(str, self.parts))}" if self.parts else pair


SENDS: Final[Mapping[str, TcpFlag]] = {
    "active-open": S,
    "listen-send": S,
    "listen-syn": S | A,
    "simultaneous-open": S | A,
    "syn-sent-synack": A,
    "syn-received-close": F | A,
    "active-close": F | A,
    "passive-close": A,
    "simultaneous-close": A,
    "fin-wait-1-finack": A,
    "fin-wait-2-fin": A,
    "close-wait-close": F | A,
    "established-abort": R | A,
}
"""What the kernel sends on taking an edge (by `lab.tcp._edges` id), RFC 9293's ``snd``; the
edges not here send nothing. An edge's triggers are observed; what it sends is data."""

_ALL_EDGES: Final = (*EDGES, *LINUX_EDGES)

_SETUP_STATES: Final[Mapping[str, tuple[TcpState, TcpState | None]]] = {
    "listens": (TcpState.LISTEN, None),
    "connects": (TcpState.SYN_SENT, None),
    "accepts": (TcpState.ESTABLISHED, TcpState.ESTABLISHED),
}
"""What an action leaves its actor (and the peer, if not None) in, once settled."""

_CAUSES: Final[Mapping[EventKind, str]] = {
    EventKind.ACTION: "own",
    EventKind.SENT: "own",
    EventKind.RECEIVED: "received",
    EventKind.TIMER: "timer",
}
"""The kind of cause of each event: the end's own doing (a call, and the segment it sends),
a segment it received, or a timer."""
_CAUSE_WORDS: Final[Mapping[str, str]] = {
    "own": "the end's own call or segment",
    "received": "a segment it receives",
    "timer": "a timer",
}

_TIME_WAIT_SLACK: Final = 5.0
"""Seconds a written TIME-WAIT duration may exceed the timer ``ss`` showed: the moments
between entering TIME-WAIT and the snapshot, and ss rounding down to whole seconds."""
_SHOWN_SCENARIOS: Final = 3
"""Scenarios named per event in a verdict; more are counted."""
_SHOWN_EVENTS: Final = 2
"""Events shown of the edges the runs took; more are counted."""


def edge_pairs() -> frozenset[tuple[TcpState, TcpState]]:
    """Every (from, to) of RFC 9293's edges (`lab.tcp._edges.EDGES`), and Linux's own."""
    return frozenset((edge.source, edge.target) for edge in _ALL_EDGES)


def documented_pairs(scenario: Scenario) -> frozenset[tuple[TcpState, TcpState]]:
    """The changes of state (from, to) that `scenario` documents for either role, in any order.

    Each role's documented states are followed from where its setup leaves it
    (`_SETUP_STATES`; CLOSED without one): an action's states (those the action
    leaves, by `_SETUP_STATES`, when none are written), then each segment's (the
    sender's, then the receiver's), then its timers; the changes that are edges
    of RFC 9293's diagram are kept (crossing segments document their states out
    of time order: a simultaneous close's server is CLOSING on the client's FIN,
    FIN-WAIT-1 on its own). What it documents is what its runs show when they
    pass: which packaged scenarios a note's edge needs is read from here, before
    anything runs.
    """
    now: dict[Role, TcpState] = dict.fromkeys(ROLES, TcpState.CLOSED)
    pairs: set[tuple[TcpState, TcpState]] = set()

    def enter(role: Role, state: TcpState) -> None:
        if now[role] != state:
            pairs.add((now[role], state))
        now[role] = state

    def act(action: Action) -> None:
        actor, peer = _SETUP_STATES.get(action.verb, (None, None))
        if actor is not None:
            enter(action.actor, actor)
        if peer is not None:
            enter(action.actor.peer, peer)

    for action in scenario.setup:
        act(action)
    pairs.clear()  # the setup's changes are not the scenario's to show
    for item in scenario.script:
        if isinstance(item, Action):
            if not item.states:
                act(item)  # ``server listens``, its LISTEN undocumented
            for role, state in item.states.items():
                enter(Role(role), state)
        elif isinstance(item, DocumentedSegment):
            order = sorted(item.states.items(), key=lambda kv: kv[0] != item.sender)
            for role, state in order:
                enter(Role(role), state)
    for timer in scenario.timers:
        enter(timer.role, timer.state)
        enter(timer.role, timer.then)
    return frozenset(pairs) & edge_pairs()


def judge_edges(
    claims: Sequence[EdgeClaim],
    runs: Sequence[tuple[RunRecord, ScenarioVerdict]],
    *,
    family: str,
) -> tuple[ClaimVerdict, ...]:
    """A verdict for each drawn edge, from the edges the family's runs took (module docstring).

    `runs` are the family's runs (each record with `judge`'s verdict of it): the note's
    diagrams and the packaged scenarios planned for its edges.
    """
    seen = _Seen(runs)
    return tuple(_EdgeJudge(claim, seen, family).judge() for claim in claims)


# --- what the runs showed -------------------------------------------------------------------


@dataclass(frozen=True)
class _Taken:
    """A change of state a run showed that takes an edge, and the run's scenario."""

    transition: Transition
    edge: Edge
    scenario: str


@dataclass(frozen=True)
class _Pending:
    """A role that ended a run in a state its timer ends, the timer not waited out."""

    role: Role
    state: TcpState
    then: TcpState
    timer: str
    scenario: str


class _Seen:
    """The edges the runs took, TIME-WAIT's timer as ss showed it, and timers left running."""

    def __init__(self, runs: Sequence[tuple[RunRecord, ScenarioVerdict]]) -> None:
        self.taken: list[_Taken] = []
        self.pending: list[_Pending] = []
        self.time_wait: tuple[float, str, str] | None = None
        """The longest TIME-WAIT timer shown: (seconds left, as ss shows it, scenario)."""
        for record, verdict in runs:
            name = record.scenario.name
            for change in transitions(verdict):
                if change.edge is not None:
                    self.taken.append(_Taken(change, change.edge, name))
            run = RunMoments(record, record.scenario.timers)
            for role in ROLES:
                into, end = run.fires_into(role), run.ending(role)
                if into is not None and end is not None and run.waited(role) is None:
                    self.pending.append(_Pending(role, end.state, into, run.timer_text(role), name))
            for snapshot in _snapshots(record):
                left = snapshot.timer_left
                if snapshot.state is not TcpState.TIME_WAIT or left is None:
                    continue
                if self.time_wait is None or left > self.time_wait[0]:
                    self.time_wait = (left, snapshot.timer, name)


def _snapshots(record: RunRecord) -> Iterable[StateSnapshot]:
    """Every snapshot of either role in the run: start, timeline, ending, final."""
    yield from record.start.values()
    for item in record.timeline:
        for moment in moments(item):
            yield from moment.values()
    yield from record.ending.values()
    yield from record.final.values()


# --- one edge --------------------------------------------------------------------------------

_Judged = tuple[Verdict, str, str]
"""A verdict, what the kernel did, and why (the detail)."""


class _EdgeJudge:
    """One drawn edge judged against what one family's runs showed."""

    def __init__(self, claim: EdgeClaim, seen: _Seen, family: str) -> None:
        self.claim = claim
        self.seen = seen
        self.family = family
        self.scenarios: list[str] = []

    def judge(self) -> ClaimVerdict:
        verdict, observed, detail = self._judged()
        return ClaimVerdict(
            line=self.claim.source.line,
            text=self.claim.source.text.strip(),
            kind="edge",
            verdict=verdict,
            family=self.family,
            documented=self.claim.documented,
            observed=observed,
            detail=detail,
            scenario=", ".join(dict.fromkeys(self.scenarios)),
        )

    def _judged(self) -> _Judged:
        claim = self.claim
        if claim.unchecked is not None:
            return "unchecked", "", claim.unchecked
        before, after = claim.before, claim.after
        if before is None or after is None:
            return _marker(before or after)
        if before == after:
            return (
                "unchecked",
                "",
                f"a transition from {before} to itself: the kernel shows no change of state to "
                "judge (data, a retransmission or a duplicate ACK leaves the state as it is)",
            )
        candidates = [e for e in _ALL_EDGES if (e.source, e.target) == (before, after)]
        if not candidates:
            return (
                "fail",
                "no such edge",
                f"RFC 9293 has no edge {before} → {after}, and the kernel takes none; "
                f"{_ways_out(before)}",
            )
        fitting = {e: c for e in candidates if (c := _fit(e, claim.parts)) is not None}
        if not fitting:
            said = ", ".join(map(str, claim.parts))
            ways = "; ".join(self._how(edge) for edge in candidates)
            known = [e for e in candidates if e.id in UNREACHABLE or self._taken(e)]
            if not known:  # what RFC 9293 says, no run to show what Linux does: no verdict
                return "unchecked", "", f"the label says {said}; {ways}, so it is not judged"
            return "fail", self._observed(candidates), f"the label says {said}, but {ways}"
        return self._fitting(before, after, fitting)

    def _fitting(
        self, before: TcpState, after: TcpState, fitting: Mapping[Edge, frozenset[str]]
    ) -> _Judged:
        """The edges of the pair the label fits (each with the kinds of cause it names),
        judged against the runs: taken, unreachable, a timer, or shown by none."""
        shown = [
            t
            for t in self.seen.taken
            if t.edge in fitting and (not fitting[t.edge] or _cause(t) in fitting[t.edge])
        ]
        reachable = [e for e in fitting if e.id not in UNREACHABLE]
        if not shown and not reachable:
            answers = "; ".join(UNREACHABLE[e.id] for e in fitting)
            return "fail", "not reachable", f"Linux cannot take {before} → {after}: {answers}"
        duration = self._duration(fitting)
        if duration is not None:
            return duration
        if shown:
            self.scenarios += [t.scenario for t in shown]
            return "ok", _events(shown), self._unread()
        timed = any(e.takes(Event.timer()) and (not c or "timer" in c) for e, c in fitting.items())
        pending = [p for p in self.seen.pending if (p.state, p.then) == (before, after)]
        if pending and timed:
            first = pending[0]
            self.scenarios += [p.scenario for p in pending]
            return (
                "timer",
                f"{first.role} {first.state} (timer {first.timer or 'none shown'})",
                f"{first.role} is {first.state} when scenario {first.scenario} ends, its "
                f"timer running (ss -o: {first.timer or 'none shown'}); it is {first.then} once "
                "the timer fires: run with --wait-timers to wait it out and check",
            )
        other = [t for t in self.seen.taken if t.edge in fitting]
        if other:
            causes = sorted({c for edge in fitting for c in fitting[edge]})
            on = " or ".join(_CAUSE_WORDS[c] for c in causes)
            ways = "; ".join(self._how(edge) for edge in dict.fromkeys(t.edge for t in other))
            return "unchecked", _events(other), f"{ways}; no scenario shows it on {on} yet"
        drawn = "; ".join(map(_drawn_by, reachable))
        return "unchecked", "", f"{drawn}: no scenario shows it yet"

    def _duration(self, fitting: Mapping[Edge, frozenset[str]]) -> _Judged | None:
        """A duration written on TIME-WAIT → CLOSED, against the timer ss showed; None: fine."""
        written = [p for p in self.claim.parts if p.seconds is not None]
        if not written or not any(_is_time_wait_timeout(e) for e in fitting):
            return None
        if self.seen.time_wait is None:
            return (
                "unchecked",
                "",
                "no run showed TIME-WAIT's timer, so the duration written is not judged",
            )
        left, timer, scenario = self.seen.time_wait
        wrong = [
            p for p in written if not left - 1 <= (p.seconds or 0.0) <= left + _TIME_WAIT_SLACK
        ]
        if not wrong:
            return None
        self.scenarios.append(scenario)
        lasts = math.ceil(left)
        return (
            "fail",
            f"TIME-WAIT for {lasts} s (ss -o: {timer}, {scenario})",
            f"Linux holds TIME-WAIT for {lasts} s (TCP_TIMEWAIT_LEN; ss -o showed {timer} in "
            f"scenario {scenario}), not {' or '.join(p.written for p in wrong)}",
        )

    def _how(self, edge: Edge) -> str:
        """How the kernel takes `edge`, as the runs showed it (else as RFC 9293 draws it)."""
        pair = f"{edge.source} → {edge.target}"
        if edge.id in UNREACHABLE:
            return f"{pair} ({edge.event}) is not reachable on Linux: {UNREACHABLE[edge.id]}"
        taken = [t for t in self.seen.taken if t.edge == edge]
        if not taken:
            return f"{_drawn_by(edge)} (no scenario shows it yet)"
        self.scenarios += [t.scenario for t in taken]
        ways = " or ".join(dict.fromkeys(_trigger_words(edge, t.transition.event) for t in taken))
        sends = SENDS.get(edge.id, NO_FLAGS)
        answer = f", and sends {sends.label}" if sends else ""
        return (
            f"the kernel goes {pair} when it {ways}{answer} "
            f"({_scenarios(t.scenario for t in taken)})"
        )

    def _taken(self, edge: Edge) -> bool:
        return any(t.edge == edge for t in self.seen.taken)

    def _observed(self, edges: Sequence[Edge]) -> str:
        taken = [t for t in self.seen.taken if t.edge in edges]
        return _events(taken) if taken else "not shown by any run"

    def _unread(self) -> str:
        """For an ok edge whose label says nothing lab reads: that only the pair was judged."""
        if self.claim.label.strip() and not self.claim.parts:
            return (
                f"its label {self.claim.label.strip()!r} names no event lab reads, so the "
                "change of state alone is judged"
            )
        return ""


def _marker(state: TcpState | None) -> _Judged:
    """A start or end marker ([*]) beside `state`."""
    if state is TcpState.CLOSED:
        return "ok", "every connection starts and ends CLOSED", ""
    return (
        "unchecked",
        "",
        f"a start or end marker ([*]) beside {state or 'no state'}: lab judges the transitions "
        "between two TCP states (a connection starts and ends CLOSED)",
    )


def _drawn_by(edge: Edge) -> str:
    """``RFC 9293's SYN-SENT → SYN-RECEIVED (SYN received ...)``, or Linux's own."""
    pair = f"{edge.source} → {edge.target} ({edge.event})"
    if edge.rfc == "Linux":
        return f"Linux's own {pair}, not an edge of RFC 9293's diagram"
    return f"RFC 9293's {pair}"


def _ways_out(state: TcpState) -> str:
    """Where the kernel may go from `state`, and on what (``from ESTABLISHED it goes to ...``)."""
    ways: dict[TcpState, list[str]] = {}
    for edge in _ALL_EDGES:
        if edge.source == state and edge.id not in UNREACHABLE:
            ways.setdefault(edge.target, []).append(edge.event)
    listed = ", ".join(f"{target} ({'; '.join(events)})" for target, events in ways.items())
    return f"from {state} it goes to {listed}"


def _is_time_wait_timeout(edge: Edge) -> bool:
    return (edge.source, edge.target) == (TcpState.TIME_WAIT, TcpState.CLOSED) and edge.takes(
        Event.timer()
    )


def _cause(taken: _Taken) -> str:
    event = taken.transition.event
    return _CAUSES[event.kind] if event is not None else ""


def _events(taken: Sequence[_Taken]) -> str:
    """``server: ESTABLISHED → CLOSE-WAIT on received FIN+ACK (close, half-close-receives)``:
    the first events seen, each with its runs."""
    by_event: dict[str, list[str]] = {}
    for t in taken:
        change = t.transition
        key = f"{change.role}: {change.source} → {change.target} on {change.event}"
        by_event.setdefault(key, []).append(t.scenario)
    shown = [f"{key} ({_names(names)})" for key, names in by_event.items()]
    more = len(shown) - _SHOWN_EVENTS
    return "; ".join(shown[:_SHOWN_EVENTS]) + (f"; {more} more" if more > 0 else "")


def _scenarios(names: Iterable[str]) -> str:
    """``scenario close``, ``scenarios close, abort``: the runs a reason rests on."""
    unique = list(dict.fromkeys(names))
    return f"scenario{'s' if len(unique) > 1 else ''} {_names(unique)}"


def _names(names: Iterable[str]) -> str:
    """Scenario names, each once, the first few of them."""
    unique = list(dict.fromkeys(names))
    shown = ", ".join(unique[:_SHOWN_SCENARIOS])
    more = len(unique) - _SHOWN_SCENARIOS
    return f"{shown} and {more} more" if more > 0 else shown


def _trigger_words(edge: Edge, event: Event | None) -> str:
    """``receives FIN``, ``closes``: the trigger of `edge` that `event` matched, in words."""
    trigger = next((t for t in edge.triggers if event is not None and t.matches(event)), None)
    if trigger is None or event is None:
        return edge.event
    if trigger.kind is EventKind.ACTION:
        return next(v for v in trigger.verbs if event.verb == v or event.verb.startswith(f"{v} "))
    if trigger.kind is EventKind.TIMER:
        return "its timer fires"
    verb = "receives" if trigger.kind is EventKind.RECEIVED else "sends"
    return f"{verb} {trigger.flags.label}"


# --- a label against an edge -----------------------------------------------------------------


def _fit(edge: Edge, parts: Sequence[LabelPart]) -> frozenset[str] | None:
    """The kinds of cause `parts` name on `edge` (empty: none), or None when one does not fit."""
    causes: set[str] = set()
    for part in parts:
        found = _part_fits(edge, part)
        if found is None:
            return None
        causes |= found
    return frozenset(causes)


def _part_fits(edge: Edge, part: LabelPart) -> frozenset[str] | None:
    """The kinds of cause one part names on `edge` (empty for an answer), or None: no fit."""
    causes = {_CAUSES[t.kind] for t in edge.triggers if _takes(part, t)}
    answers = part.kind in (PartKind.SENT, PartKind.SEGMENT) and _answers(
        part.flags, SENDS.get(edge.id, NO_FLAGS)
    )
    return frozenset(causes) if causes or answers else None


def _takes(part: LabelPart, trigger: Trigger) -> bool:
    """Whether the event `part` names is one of `trigger`'s."""
    if part.kind is PartKind.ACTION:
        return trigger.kind is EventKind.ACTION and trigger.matches(Event.action(part.verb))
    if part.kind is PartKind.TIMER:
        return trigger.kind is EventKind.TIMER
    kinds = {
        PartKind.RECEIVED: (EventKind.RECEIVED,),
        PartKind.SENT: (EventKind.SENT,),
        PartKind.SEGMENT: (EventKind.RECEIVED, EventKind.SENT),
    }[part.kind]
    needed = trigger.flags if S in trigger.flags else trigger.flags & ~A
    return trigger.kind in kinds and needed in part.flags and not trigger.without & part.flags


def _answers(flags: TcpFlag, sends: TcpFlag) -> bool:
    """Whether `flags` written for a segment sent in answer are the `sends` of the edge: the
    same SYN, FIN and RST, and the ACK unless it may go unwritten (not beside a SYN)."""
    if not sends or flags & _CONTROL != sends & _CONTROL:
        return False
    if A in flags and A not in sends:
        return False
    return not (S in sends and A in sends and A not in flags)
