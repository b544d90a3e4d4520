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

from lab.tcp._names import Role, TcpFlag, TcpState

__all__ = [
    "REQUIRED_FLAGS",
    "ROLES",
    "Action",
    "DocumentedSegment",
    "FlagDoc",
    "Scenario",
    "Spec",
    "Timer",
]

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
    """A key of the spec's ``actions`` table: ``connects to a closed port``."""

    def __str__(self) -> str:
        return f"{self.actor} {self.verb}"


@dataclass(frozen=True)
class DocumentedSegment:
    """A segment the documentation expects next, and the states around it."""

    sender: Role
    receiver: Role
    flags: TcpFlag
    """Flags that must be set on the segment (more may be, unless flags are strict)."""
    states: dict[str, TcpState] = field(default_factory=dict, hash=False)
    """The sender's state while the segment is in flight; the receiver's once it is processed."""

    def __str__(self) -> str:
        return f"{self.sender} -> {self.receiver} {self.flags.label}"


@dataclass(frozen=True)
class Timer:
    """A state that a timer ends: `role` stays in `state` until it fires, then is `then`."""

    role: Role
    state: TcpState
    then: TcpState


@dataclass(frozen=True)
class Scenario:
    """One documented exchange: actions to set it up, then a script of actions and segments."""

    name: str
    title: str
    setup: tuple[Action, ...]
    """Actions run (and settled) before the script; their segments are not compared."""
    script: tuple[Action | DocumentedSegment, ...]
    timers: tuple[Timer, ...] = ()
    sysctls: dict[str, str] = field(default_factory=dict, hash=False)
    """Settings the scenario needs beyond the kernel's defaults, set in both hosts."""

    @property
    def segments(self) -> tuple[DocumentedSegment, ...]:
        """The documented segments alone, in order."""
        return tuple(item for item in self.script if isinstance(item, DocumentedSegment))

    @property
    def documented_states(self) -> tuple[TcpState, ...]:
        """Every state the scenario documents (segments, then timers), each once, in order."""
        found: dict[TcpState, None] = {}
        for segment in self.segments:
            found.update(dict.fromkeys(segment.states.values()))
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
    """The file the spec was read from."""
