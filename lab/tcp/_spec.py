"""The documented TCP behaviour as data: scenarios of actions and segments, states, flags.

    spec = load_spec()                       # the packaged lab/tcp/tables.yaml
    spec.scenarios["open"].segments[1]       # server -> client SYN+ACK, server SYN-RECEIVED
    spec.flags[TcpFlag.FIN].meaning          # "the sender is done sending (closing)"

The model only; reading a file into it is `_spec_load` and `_spec_schema`.
Pure: no kernel access.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from lab.tcp._actions import Arguments, fill
from lab.tcp._names import Role, TcpFlag, TcpState
from lab.tcp._segment_claims import Injection, OptionClaim, Timing

__all__ = [
    "NO_FLAGS",
    "REQUIRED_FLAGS",
    "ROLES",
    "Action",
    "Deviation",
    "DocumentedSegment",
    "FlagClaim",
    "FlagDoc",
    "NumberClaim",
    "OrderClaim",
    "Scenario",
    "ScriptItem",
    "Source",
    "Spec",
    "StateClaim",
    "Timer",
    "TimerPassed",
    "Unchecked",
]

NO_FLAGS: Final = TcpFlag(0)

ROLES: Final = tuple(Role)
"""The two ends of every scenario, in the order reports show them."""

REQUIRED_FLAGS: Final = (
    TcpFlag.URG,
    TcpFlag.ACK,
    TcpFlag.PSH,
    TcpFlag.RST,
    TcpFlag.SYN,
    TcpFlag.FIN,
)
"""The six control flags of RFC 9293 that every spec must explain."""


@dataclass(frozen=True)
class Source:
    """Where the documentation says something: its 1-based line, and the text as written."""

    line: int
    text: str


@dataclass(frozen=True)
class NumberClaim:
    """A documented sequence or acknowledgement number: ``x+1``, ``client_isn + 1``, ``1000``.

    `symbol` names an initial sequence number the note chose (``x``, ``client_isn``;
    None for a plain number, read as a relative number the way Wireshark shows
    them), `offset` is added to it. Two claims with the same symbol name the
    same number wherever they appear in a scenario.
    """

    symbol: str | None
    offset: int
    written: str


@dataclass(frozen=True)
class FlagDoc:
    """What one control flag means, and the scenarios that show it on the wire."""

    meaning: str
    shown_by: tuple[str, ...]


@dataclass(frozen=True)
class Action:
    """An application action of a script: ``client connects to a closed port``."""

    actor: Role
    """The role that acts."""
    verb: str
    """A key of the spec's ``actions`` table: ``connects to a closed port``, ``sets OPTION
    VALUE`` (its words in capitals are placeholders, filled by `arguments`)."""
    size: int | None = None
    """Bytes to send, for ``sends data`` when the documentation gives a length (``len=100``,
    tcpdump's ``seq 1:101``), so that the numbers after it come out as documented; None:
    a few bytes."""
    states: dict[str, TcpState] = field(default_factory=dict, hash=False)
    """Roles' states right after the action, when documented (``server listens`` → LISTEN)."""
    arguments: Arguments = field(default_factory=Arguments)
    """The values of the verb's placeholders (``sets TCP_NODELAY 1``: option and value)."""
    result: str | None = None
    """The call's documented result (``ok``, ``EOF``, an errno name such as ``EPIPE``, or a
    count of bytes; see `lab.tcp._actions`); None: not documented, not judged."""

    @property
    def said(self) -> str:
        """The verb as a script writes it, placeholders filled: ``sets TCP_NODELAY 1``."""
        return fill(self.verb, self.arguments)

    def __str__(self) -> str:
        said = f"{self.actor} {self.said}"
        return f"{said} ({self.size} bytes)" if self.size is not None else said


@dataclass(frozen=True)
class DocumentedSegment:
    """A segment the documentation expects next, and the states around it."""

    sender: Role
    receiver: Role
    flags: TcpFlag
    """Flags that must be set on the segment (more may be, unless flags are strict)."""
    states: dict[str, TcpState] = field(default_factory=dict, hash=False)
    """The sender's state while the segment is in flight; the receiver's once it is processed."""
    absent: TcpFlag = NO_FLAGS
    """Flags the documentation says are not set (``SYN: 0``, ``ACK=0``)."""
    seq: NumberClaim | None = None
    ack: NumberClaim | None = None
    source: Source | None = None
    """Where it is written (a note's message line); None for tables.yaml."""
    data: bool = False
    """The documentation says the segment carries data (``data``, ``len=100``, an HTTP request,
    urgent data), whether or not it writes PSH (the judge tolerates an unwritten PSH on any
    segment that carries data on the wire)."""
    lost: bool = False
    """The documentation draws it lost (mermaid's ``-x``): the runner drops it, and the
    sender's retransmission is the segment documented next."""
    inject: Injection | None = None
    """Not sent by the sender's kernel: the runner crafts it and sends it from a raw socket
    in the sender's host, as if that end had sent it (``- inject: server -> client RST``)."""
    overtakes: int = 0
    """Delivered before this many earlier segments of its sender, which stay held for the
    segments documented after it (reordering)."""
    ce: bool = False
    """The runner marks it Congestion Experienced (IP ECN bits 11) before delivering it."""
    after: Timing | None = None
    """Sent this long after the segment documented before it, within a tolerance."""
    options: tuple[OptionClaim, ...] = ()
    """TCP options it carries (any value, or the one written) or does not carry."""

    def __str__(self) -> str:
        lost = " (lost)" if self.lost else ""
        injected = "injected " if self.inject is not None else ""
        return f"{injected}{self.sender} -> {self.receiver} {self.flags.label}{lost}"


@dataclass(frozen=True)
class StateClaim:
    """`role` is in `state` at some moment between the segment above it and the one below.

    What a note's ``Note`` says: the window runs from the moment the segment
    before it in the script was processed to the moment the segment after it
    was sent, application actions in between included. Before every segment
    it is a precondition (the state once the setup is done); after every
    segment, the state once the last one was processed. After a `TimerPassed`
    for its role, it is checked once the timer has fired.
    """

    role: Role
    state: TcpState
    source: Source | None = None


@dataclass(frozen=True)
class TimerPassed:
    """Time passes until `role`'s timer fires (a note's ``2MSL``, ``after 60 s``, ``timeout``).

    None for `role`: every end's timer.
    """

    role: Role | None
    source: Source | None = None


@dataclass(frozen=True)
class Unchecked:
    """Text of the documentation that makes no claim lab can check; shown, never judged."""

    source: Source
    reason: str


ScriptItem = Action | DocumentedSegment | StateClaim | TimerPassed | Unchecked
"""One line of a scenario's script, in the order the documentation gives them."""


@dataclass(frozen=True)
class OrderClaim:
    """A table's rows for one role: the order in which it enters these states.

    None for `role` means every end (a row whose role cell is empty).
    """

    role: Role | None
    states: tuple[tuple[TcpState, Source], ...]


@dataclass(frozen=True)
class FlagClaim:
    """A table row naming a flag: the kernel sets it on some segment it sends."""

    flag: TcpFlag
    source: Source


@dataclass(frozen=True)
class Timer:
    """A state that a timer ends: `role` stays in `state` until it fires, then is `then`."""

    role: Role
    state: TcpState
    then: TcpState
    lasts: float | None = None
    """How long the timer runs, in seconds, when documented (TIME-WAIT: 60 on Linux); judged
    against the countdown ``ss -o`` shows as the script ends, within `within`."""
    within: float | None = None
    """How far the kernel's timer may be from `lasts`, in seconds; None: the default,
    the larger of 1 s and a tenth of `lasts`."""

    @property
    def tolerance(self) -> float:
        """Seconds the kernel's timer may be off `lasts`."""
        if self.within is not None:
            return self.within
        return max(1.0, (self.lasts or 0.0) / 10)


@dataclass(frozen=True)
class Deviation:
    """Where Linux does not do what RFC 9293 says, and the scenarios that show it."""

    name: str
    rfc: str
    """What RFC 9293 says, with its section."""
    linux: str
    """What Linux does instead."""
    shown_by: tuple[str, ...]
    """Scenarios that document Linux's behaviour: when they agree, the deviation is shown."""


@dataclass(frozen=True)
class Scenario:
    """One documented exchange: actions to set it up, then a script of actions and segments."""

    name: str
    title: str
    setup: tuple[Action, ...]
    """Actions run (and settled) before the script; their segments are not compared."""
    script: tuple[ScriptItem, ...]
    timers: tuple[Timer, ...] = ()
    sysctls: dict[str, str] = field(default_factory=dict, hash=False)
    """Settings the scenario needs beyond the kernel's defaults, set in both hosts."""
    cites: tuple[str, ...] = ()
    """Where the behaviour is written down elsewhere, as ``repository path:lines`` (the
    packetdrill script a scenario restates, ``google/packetdrill gtests/net/tcp/...pkt:3-9``)."""
    slow: str = ""
    """Why the scenario waits seconds for a kernel timer no setting shortens ("" when it does
    not): `lab check` runs it under --wait-timers, or when it is named, not by default."""

    @property
    def segments(self) -> tuple[DocumentedSegment, ...]:
        """The documented segments alone, in order."""
        return tuple(item for item in self.script if isinstance(item, DocumentedSegment))

    @property
    def documented_states(self) -> tuple[TcpState, ...]:
        """Every state the scenario documents (script, then timers), each once, in order."""
        found: dict[TcpState, None] = {}
        for item in self.script:
            if isinstance(item, DocumentedSegment | Action):
                found.update(dict.fromkeys(item.states.values()))
            elif isinstance(item, StateClaim):
                found[item.state] = None
        for timer in self.timers:
            found.update(dict.fromkeys((timer.state, timer.then)))
        return tuple(found)

    @property
    def documented_flags(self) -> TcpFlag:
        """Every flag some documented segment of the scenario has."""
        flags = TcpFlag(0)
        for segment in self.segments:
            flags |= segment.flags
        return flags


@dataclass(frozen=True)
class Spec:
    """The documented tables: states, flags, actions and the scenarios that show them."""

    states: dict[TcpState, str]
    """Each documented state and what it means."""
    flags: dict[TcpFlag, FlagDoc]
    actions: dict[str, str]
    """Each verb a script may use and what the runner does for it."""
    scenarios: dict[str, Scenario]
    source: str = "<python>"
    deviations: dict[str, Deviation] = field(default_factory=dict)
    """Where Linux departs from RFC 9293, each shown by scenarios (``deviations:``)."""
    """The file the spec was read from."""
