"""A verdict for every claim a note makes, at the note's own line.

    claims = judge_scenario_claims(record, verdict)      # the diagram's messages and states
    claims += judge_orders(table.orders, records)        # a table's rows of states, in order
    claims += judge_flags(table.flags, records)          # a table's rows of flags

`RunRecord` is what one run observed, in pure terms (the runner's
`ScenarioRun.record()` gives it); `ClaimVerdict` is one line's verdict in one
address family, what the report prints and ``--json`` writes. The claims are
judged with the same rules as `judge` (`lab.tcp._verdict`): there is one judge.
Pure: no kernel access.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from lab.tcp._observed import Observation, StateSnapshot
from lab.tcp._spec import Scenario

__all__ = ["KINDS", "VERDICTS", "ClaimKind", "ClaimVerdict", "RunRecord", "Verdict"]

ClaimKind = Literal["message", "state", "table-row", "flag"]
Verdict = Literal["ok", "fail", "timer", "unchecked"]
KINDS: Final[tuple[ClaimKind, ...]] = ("message", "state", "table-row", "flag")
VERDICTS: Final[tuple[Verdict, ...]] = ("ok", "fail", "timer", "unchecked")


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


@dataclass(frozen=True)
class ClaimVerdict:
    """One claim of the documentation, judged in one address family."""

    line: int
    """1-based line in the file, as editors show it; for a segment missing from the
    documentation, the line where it belongs."""
    text: str
    """The line as written (stripped)."""
    kind: ClaimKind
    verdict: Verdict
    family: str
    """``IPv4`` or ``IPv6``."""
    documented: str
    """What the line claims, in lab's words: ``client → server SYN``, ``client FIN-WAIT-1``."""
    observed: str
    """What the kernel did instead or as well: ``client → server SYN (seq 0)``."""
    detail: str = ""
    """Why it failed, what the timer is, or why it is unchecked; empty for a plain ok."""
    scenario: str = ""
    """The scenario (diagram) it belongs to, ``L12-25``; empty for a table's flag rows."""
