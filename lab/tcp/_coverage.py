"""Coverage: which documented states and flags many runs observed at least once.

    verdicts = [judge(spec.scenarios[name], run.timeline, ...) for ...]
    coverage(spec, verdicts).missed     # documented, its scenarios ran, never observed

A state of the ``states`` table is covered by any run that observed it where a
scenario documents it; a flag of the ``flags`` table, by a run of one of its
``shown_by`` scenarios that observed it on the segment that documents it.
Pure: no kernel access.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from lab.tcp._spec import Spec
from lab.tcp._verdict import ScenarioVerdict

__all__ = ["Coverage", "CoverageRow", "CoverageStatus", "coverage"]


class CoverageStatus(enum.StrEnum):
    """How far the runs show one documented state or flag; equal to its text (``"observed"``)."""

    OBSERVED = "observed"
    """Observed where documented, in at least one run."""
    MISSED = "not observed"
    """Its scenarios ran, but none showed it where documented."""
    NOT_RUN = "not run"
    """None of the scenarios that document it ran."""
    UNDOCUMENTED = "in no scenario"
    """In the table, but no scenario documents it."""


@dataclass(frozen=True)
class CoverageRow:
    """One state or flag of the tables, and the runs that showed it."""

    name: str
    """``SYN-SENT`` or ``SYN``."""
    meaning: str
    documented_in: tuple[str, ...]
    """Scenarios that document it (for flags: its ``shown_by``)."""
    observed_in: tuple[str, ...]
    """Runs (verdict labels such as ``open (IPv4)``) that observed it as documented."""
    status: CoverageStatus


@dataclass(frozen=True)
class Coverage:
    """Which documented states and flags the runs observed at least once."""

    states: tuple[CoverageRow, ...]
    flags: tuple[CoverageRow, ...]

    @property
    def complete(self) -> bool:
        """Whether every state and flag that some scenario documents was observed."""
        return all(
            row.status in (CoverageStatus.OBSERVED, CoverageStatus.UNDOCUMENTED)
            for row in (*self.states, *self.flags)
        )

    @property
    def missed(self) -> tuple[CoverageRow, ...]:
        """Documented states and flags whose scenarios ran without showing them."""
        return tuple(
            row for row in (*self.states, *self.flags) if row.status is CoverageStatus.MISSED
        )


def coverage(spec: Spec, verdicts: Sequence[ScenarioVerdict]) -> Coverage:
    """Sum `verdicts` up against `spec`'s states and flags tables."""
    ran = {v.name for v in verdicts}
    states = []
    for state, meaning in spec.states.items():
        documented_in = tuple(
            name for name, s in spec.scenarios.items() if state in s.documented_states
        )
        observed_in = tuple(v.label for v in verdicts if state in v.seen_states)
        states.append(_row(str(state), meaning, documented_in, observed_in, ran))
    flags = []
    for flag, doc in spec.flags.items():
        observed_in = tuple(
            v.label for v in verdicts if v.name in doc.shown_by and flag in v.seen_flags
        )
        flags.append(_row(flag.label, doc.meaning, doc.shown_by, observed_in, ran))
    return Coverage(tuple(states), tuple(flags))


def _row(
    name: str,
    meaning: str,
    documented_in: tuple[str, ...],
    observed_in: tuple[str, ...],
    ran: set[str],
) -> CoverageRow:
    """A coverage row, with its status."""
    if observed_in:
        status = CoverageStatus.OBSERVED
    elif not documented_in:
        status = CoverageStatus.UNDOCUMENTED
    elif ran.isdisjoint(documented_in):
        status = CoverageStatus.NOT_RUN
    else:
        status = CoverageStatus.MISSED
    return CoverageRow(name, meaning, documented_in, observed_in, status)
