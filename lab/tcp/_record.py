"""What one run observed, in pure terms: the timeline and the states around it.

    record = run.record()                  # a lab.stepping ScenarioRun, as pure data
    record.anchors()                       # {"client": 1829301, "server": 99120}: ISNs

The runner fills it; the judge of a note's claims (`lab.tcp._claims`) and the
mermaid renderer (`lab.notes`) read it. Pure: no kernel access.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from lab.tcp._names import TcpFlag
from lab.tcp._observed import Observation, ObservedSegment, StateSnapshot
from lab.tcp._spec import ROLES, Scenario

__all__ = ["RunRecord", "initial_sequence_numbers"]


@dataclass(frozen=True)
class RunRecord:
    """What one run of a scenario observed, over one address family."""

    scenario: Scenario
    family: str
    """``IPv4`` or ``IPv6``."""
    timeline: tuple[Observation, ...]
    """The script's actions and the segments, in the order they happened."""
    start: Mapping[str, StateSnapshot] = field(default_factory=dict)
    """Both roles' states once the setup was done, before the script (preconditions)."""
    final: Mapping[str, StateSnapshot] = field(default_factory=dict)
    """Both roles' states when the run ended (after the waits of --wait-timers, if any)."""
    waited: Mapping[str, float] = field(default_factory=dict)
    """Roles whose timer --wait-timers waited out, and the seconds it still took."""
    ending: Mapping[str, StateSnapshot] = field(default_factory=dict)
    """Both roles' states when the script and its settling ended, before any wait."""
    isn: Mapping[str, int] = field(default_factory=dict)
    """Each role's initial sequence number (from the setup's segments or the script's)."""

    def anchors(self) -> dict[str, int]:
        """What each role's relative numbers count from: its initial sequence number, else
        its SYN's seq in the timeline, else the first seq it sent (a role that sent nothing
        is left out)."""
        anchors: dict[str, int] = {}
        for role in ROLES:
            sent = [s for s in self.timeline if isinstance(s, ObservedSegment) and s.sender == role]
            syn = next((s for s in sent if TcpFlag.SYN in s.flags), None)
            if role in self.isn:
                anchors[role] = self.isn[role]
            elif syn is not None:
                anchors[role] = syn.seq
            elif sent:
                anchors[role] = sent[0].seq
        return anchors


def initial_sequence_numbers(observed: Iterable[Observation]) -> dict[str, int]:
    """Each role's initial sequence number: the seq of the first SYN (or SYN+ACK) it sent."""
    isn: dict[str, int] = {}
    for item in observed:
        if isinstance(item, ObservedSegment) and TcpFlag.SYN in item.flags:
            isn.setdefault(item.sender, item.seq)
    return isn
