"""What stepping observed: one record per TCP segment, with both ends' states around it.

The kernel side (the stepper) produces these; the pure side (spec matching,
reports) consumes them. A segment is held twice on its way: at the sender's
output, where `before` is taken as soon as the kernel has emitted it (the
sender has already moved to its new state, the receiver has seen nothing),
and at the receiver's input; once the receiver has processed it, `after` is
taken.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from lab.tcp._names import Role, TcpFlag, TcpState
from lab.tcp._options import TcpOption

_SS_TIME = re.compile(r"(?:(\d+)min)?(?:(\d+)(?:sec|\.))?(?:(\d+)ms)?")
"""A time as ``ss -o`` prints it: ``1min``, ``59sec``, ``4.996ms`` (4.996 s), ``992ms``."""


@dataclass(frozen=True)
class StateSnapshot:
    """One role's connection as the kernel showed it at one moment."""

    state: TcpState
    timer: str = ""
    """The timer ``ss -o`` would show (``timewait,59sec,0``), if any."""

    @property
    def timer_left(self) -> float | None:
        """Seconds until the timer fires (``59sec``: 59.0), as precise as ss shows; None: none."""
        _name, _, rest = self.timer.partition(",")
        found = _SS_TIME.fullmatch(rest.partition(",")[0])
        if not rest or found is None:
            return None
        minutes, seconds, millis = (int(part or 0) for part in found.groups())
        return minutes * 60 + seconds + millis / 1000


@dataclass(frozen=True)
class ObservedSegment:
    """One segment on the wire, and the states of both ends around it."""

    n: int
    """1-based position among the scenario's segments."""
    sender: Role
    receiver: Role
    flags: TcpFlag
    seq: int
    ack: int
    length: int
    """Payload bytes."""
    before: Mapping[str, StateSnapshot] = field(default_factory=dict)
    """Both roles when the sender's kernel emitted it (held at the sender's output)."""
    after: Mapping[str, StateSnapshot] = field(default_factory=dict)
    """Both roles once the receiver has processed it."""
    time: float | None = None
    """When the sender's kernel emitted it, in seconds since stepping started (if known)."""
    dropped: bool = False
    """Thrown away instead of delivered (a loss the documentation draws): `after` is then
    both roles just after, the receiver never having seen it."""
    injected: bool = False
    """Crafted by the runner and sent from a raw socket in the sender's host, not by its
    kernel's TCP (the sender's state is not moved by it)."""
    ecn: int | None = None
    """The IP header's ECN bits as the receiver got them (2: ECT(0), 3: CE); None if unknown."""
    options: tuple[TcpOption, ...] = ()
    """Its TCP options, in order (NOPs left out)."""
    arrived: float | None = None
    """When the receiver had processed it, in the same seconds; None if dropped or unknown."""

    @property
    def sequence_space(self) -> int:
        """How much sequence space it takes: its payload, plus one each for SYN and FIN."""
        return self.length + (TcpFlag.SYN in self.flags) + (TcpFlag.FIN in self.flags)

    @property
    def acknowledges(self) -> int:
        """The sequence number that acknowledges all of it: ``seq + sequence_space``."""
        return (self.seq + self.sequence_space) % (1 << 32)


@dataclass(frozen=True)
class ObservedAction:
    """An application action between segments (``server closes``), as the scenario ran it."""

    actor: Role
    verb: str
    result: str = ""
    """What the call returned or raised, such as ``ECONNREFUSED``."""
    states: Mapping[str, StateSnapshot] = field(default_factory=dict)
    """Both roles right after the action."""


Observation = ObservedSegment | ObservedAction
"""One entry of a scenario's timeline, in the order things happened."""
