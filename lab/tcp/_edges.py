"""The edges of RFC 9293's state diagram, as data: from, event, to, and what can take each.

    EDGES[0]                      # CLOSED --passive open (listen)--> LISTEN
    edge.takes(Event.action("listens"))                  # True
    UNREACHABLE["listen-send"]    # why Linux cannot take it through the socket API

The 22 edges of section 3.3.2 (Figure 5), then the reset and timeout transitions
of section 3.10 that the state machine issue names (an abort, a reset in the
closing states, the user timeout). They live here, not in tables.yaml: they are
RFC 9293's diagram, the same for every spec a user writes, while tables.yaml is
the documentation being checked; a spec of one's own should not have to
restate the RFC. Each edge lists its `Trigger`s, the events that take it (any
one of them): an application action (by verb), a segment sent or received
(by the flags it must and must not carry), or a timer. Pure: no kernel access.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from lab.tcp._names import TcpFlag, TcpState

__all__ = ["EDGES", "LINUX_EDGES", "UNREACHABLE", "WAITS", "Edge", "Event", "EventKind", "Trigger"]

_NONE: Final = TcpFlag(0)


class EventKind(enum.StrEnum):
    """What made a role change state."""

    ACTION = "action"
    """The application called the socket API (``closes``)."""
    SENT = "sent"
    """The role sent a segment (seen when its state had moved by the time it left)."""
    RECEIVED = "received"
    """The role processed a segment the other end sent."""
    TIMER = "timer"
    """A timer fired (TIME-WAIT's end, retries exhausted)."""


@dataclass(frozen=True)
class Event:
    """One observed event: an action by verb, a segment by its flags, or a timer."""

    kind: EventKind
    verb: str = ""
    """For an action: its verb (``connects to a closed port``)."""
    flags: TcpFlag = _NONE
    """For a segment: the flags on the wire."""

    @classmethod
    def action(cls, verb: str) -> Event:
        return cls(EventKind.ACTION, verb=verb)

    @classmethod
    def sent(cls, flags: TcpFlag) -> Event:
        return cls(EventKind.SENT, flags=flags)

    @classmethod
    def received(cls, flags: TcpFlag) -> Event:
        return cls(EventKind.RECEIVED, flags=flags)

    @classmethod
    def timer(cls) -> Event:
        return cls(EventKind.TIMER)

    def __str__(self) -> str:
        if self.kind is EventKind.ACTION:
            return self.verb
        if self.kind is EventKind.TIMER:
            return "timer"
        return f"{self.kind} {self.flags.label}"


@dataclass(frozen=True)
class Trigger:
    """One way to take an edge: an event of `kind` with these verbs or flags."""

    kind: EventKind
    verbs: tuple[str, ...] = ()
    """For actions: the verbs that count; a verb also counts with words after it
    (``connects`` takes ``connects to a closed port``)."""
    flags: TcpFlag = _NONE
    """For segments: flags that must be set."""
    without: TcpFlag = _NONE
    """For segments: flags that must not be set."""

    def matches(self, event: Event) -> bool:
        """Whether `event` is one of this trigger's."""
        if event.kind is not self.kind:
            return False
        if self.kind is EventKind.ACTION:
            return any(event.verb == v or event.verb.startswith(f"{v} ") for v in self.verbs)
        return self.flags in event.flags and not (self.without & event.flags)


@dataclass(frozen=True)
class Edge:
    """One transition of the state diagram: `source` to `target` on `event`."""

    id: str
    """A stable name (``listen-syn``), used by the JSON and `UNREACHABLE`."""
    source: TcpState
    event: str
    """The event in words, as the RFC's diagram labels it."""
    target: TcpState
    triggers: tuple[Trigger, ...]
    """The observed events that take it (any one)."""
    rfc: str = "3.3.2"
    """The section of RFC 9293 that draws it."""

    def takes(self, event: Event) -> bool:
        """Whether `event` is one that takes this edge."""
        return any(trigger.matches(event) for trigger in self.triggers)

    def __str__(self) -> str:
        return f"{self.source} → {self.target} ({self.event})"


def _act(*verbs: str) -> Trigger:
    return Trigger(EventKind.ACTION, verbs=verbs)


def _got(flags: TcpFlag, without: TcpFlag = _NONE) -> Trigger:
    return Trigger(EventKind.RECEIVED, flags=flags, without=without)


def _sent(flags: TcpFlag, without: TcpFlag = _NONE) -> Trigger:
    return Trigger(EventKind.SENT, flags=flags, without=without)


_TIMER: Final = Trigger(EventKind.TIMER)
WAITS: Final = Trigger(EventKind.ACTION, verbs=("waits for",))
"""Actions that only wait (``waits for the connection``, ``waits for an error``): the stepper
delivers no segment meanwhile, so a state change seen right after one is a timer's doing
(the SYN's retries exhausted, the user timeout), whichever role it is."""
S, A, F, R = TcpFlag.SYN, TcpFlag.ACK, TcpFlag.FIN, TcpFlag.RST
_CLOSE: Final = ("closes", "shuts down writing")
"""RFC 9293's CLOSE call: close(), or shutdown(SHUT_WR), which also sends FIN."""
_ACK_ONLY: Final = S | F | R
"""What an ACK that only acknowledges does not carry."""

CLOSED, LISTEN, SYN_SENT = TcpState.CLOSED, TcpState.LISTEN, TcpState.SYN_SENT
SYN_RECEIVED, ESTABLISHED = TcpState.SYN_RECEIVED, TcpState.ESTABLISHED
FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT = TcpState.FIN_WAIT_1, TcpState.FIN_WAIT_2, TcpState.CLOSE_WAIT
CLOSING, LAST_ACK, TIME_WAIT = TcpState.CLOSING, TcpState.LAST_ACK, TcpState.TIME_WAIT

EDGES: Final[tuple[Edge, ...]] = (
    # RFC 9293 section 3.3.2, Figure 5, in the order of the table.
    Edge("passive-open", CLOSED, "passive open (listen)", LISTEN, (_act("listens"),)),
    Edge(
        "active-open",
        CLOSED,
        "active open (connect), SYN sent",
        SYN_SENT,
        (_act("connects"), _sent(S, without=A)),
    ),
    Edge("listen-syn", LISTEN, "SYN received, SYN+ACK sent", SYN_RECEIVED, (_got(S, without=A),)),
    Edge("listen-close", LISTEN, "close", CLOSED, (_act(*_CLOSE),)),
    Edge(
        "listen-send",
        LISTEN,
        "send (connect on a listening socket)",
        SYN_SENT,
        (_act("connects"), _sent(S, without=A)),
    ),
    Edge("syn-sent-synack", SYN_SENT, "SYN+ACK received, ACK sent", ESTABLISHED, (_got(S | A),)),
    Edge(
        "simultaneous-open",
        SYN_SENT,
        "SYN received (simultaneous open), SYN+ACK sent",
        SYN_RECEIVED,
        (_got(S, without=A),),
    ),
    Edge(
        "syn-sent-close",
        SYN_SENT,
        "close, or RST received, or retries exhausted",
        CLOSED,
        (_act(*_CLOSE, "aborts"), _got(R), _TIMER),
    ),
    # In a simultaneous open the ACK of the own SYN comes on the peer's SYN+ACK.
    Edge("syn-received-ack", SYN_RECEIVED, "ACK of SYN received", ESTABLISHED, (_got(A, F | R),)),
    Edge(
        "syn-received-close",
        SYN_RECEIVED,
        "close, FIN sent",
        FIN_WAIT_1,
        (_act(*_CLOSE), _sent(F)),
    ),
    Edge("syn-received-rst", SYN_RECEIVED, "RST received (passive open)", LISTEN, (_got(R),)),
    Edge("active-close", ESTABLISHED, "close, FIN sent", FIN_WAIT_1, (_act(*_CLOSE), _sent(F))),
    Edge("passive-close", ESTABLISHED, "FIN received, ACK sent", CLOSE_WAIT, (_got(F),)),
    Edge("established-rst", ESTABLISHED, "RST received", CLOSED, (_got(R),)),
    Edge("fin-wait-1-ack", FIN_WAIT_1, "ACK of FIN received", FIN_WAIT_2, (_got(A, _ACK_ONLY),)),
    Edge(
        "simultaneous-close",
        FIN_WAIT_1,
        "FIN received, ACK sent (simultaneous close)",
        CLOSING,
        (_got(F),),
    ),
    Edge(
        "fin-wait-1-finack",
        FIN_WAIT_1,
        "FIN+ACK of own FIN received, ACK sent",
        TIME_WAIT,
        (_got(F | A),),
    ),
    Edge("fin-wait-2-fin", FIN_WAIT_2, "FIN received, ACK sent", TIME_WAIT, (_got(F),)),
    Edge("closing-ack", CLOSING, "ACK of FIN received", TIME_WAIT, (_got(A, _ACK_ONLY),)),
    Edge("time-wait-timeout", TIME_WAIT, "2MSL timeout", CLOSED, (_TIMER,)),
    Edge("close-wait-close", CLOSE_WAIT, "close, FIN sent", LAST_ACK, (_act(*_CLOSE), _sent(F))),
    Edge("last-ack-ack", LAST_ACK, "ACK of FIN received", CLOSED, (_got(A, _ACK_ONLY),)),
    # RFC 9293 section 3.10: resets and timeouts beyond the diagram.
    Edge(
        "syn-received-rst-active",
        SYN_RECEIVED,
        "RST received (active open: connection refused)",
        CLOSED,
        (_got(R),),
        rfc="3.10.7.4",
    ),
    Edge(
        "established-abort",
        ESTABLISHED,
        "abort (SO_LINGER 0, or close with unread data), RST sent",
        CLOSED,
        (_act("aborts", "closes"), _sent(R)),
        rfc="3.10.5",
    ),
    Edge("fin-wait-1-rst", FIN_WAIT_1, "RST received", CLOSED, (_got(R),), rfc="3.10.7.4"),
    Edge("fin-wait-2-rst", FIN_WAIT_2, "RST received", CLOSED, (_got(R),), rfc="3.10.7.4"),
    Edge("close-wait-rst", CLOSE_WAIT, "RST received", CLOSED, (_got(R),), rfc="3.10.7.4"),
    Edge("closing-rst", CLOSING, "RST received", CLOSED, (_got(R),), rfc="3.10.7.4"),
    Edge("last-ack-rst", LAST_ACK, "RST received", CLOSED, (_got(R),), rfc="3.10.7.4"),
    Edge("time-wait-rst", TIME_WAIT, "RST received", CLOSED, (_got(R),), rfc="3.10.7.4"),
    Edge(
        "user-timeout",
        ESTABLISHED,
        "user timeout (TCP_USER_TIMEOUT) expires",
        CLOSED,
        (_TIMER,),
        rfc="3.10.8",
    ),
)
"""Every edge, the diagram's 22 first; ids are unique."""

LINUX_EDGES: Final = (
    Edge(
        "fin-wait-2-timeout",
        TcpState.FIN_WAIT_2,
        "tcp_fin_timeout (60 s by default) passing without the peer's FIN, once closed",
        TcpState.CLOSED,
        (_TIMER,),
        rfc="Linux",
    ),
)
"""State changes Linux makes that RFC 9293's diagram does not draw (`rfc` is ``Linux``): runs
show them (`lab.tcp._transitions`) and a note may draw them; the coverage table lists only
`EDGES`, and the "Linux vs RFC 9293" table says where Linux departs."""

UNREACHABLE: Final[Mapping[str, str]] = {
    "listen-send": (
        "connect() on a listening socket fails with EISCONN (errno 106) and sends no SYN; "
        "the socket stays in LISTEN (shown by scenario listen-connect)"
    ),
}
"""Edges Linux cannot take through the socket API, by id, and the kernel's answer."""
