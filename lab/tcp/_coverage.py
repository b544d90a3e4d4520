"""Coverage: which documented states and flags, and which RFC 9293 edges, runs showed.

    verdicts = [judge(spec.scenarios[name], run.timeline, ...) for ...]
    coverage(spec, verdicts).missed     # documented, its scenarios ran, never observed
    coverage(spec, verdicts).edges      # each edge of lab.tcp._edges, and the runs that took it

A state of the ``states`` table is covered by any run that observed it where a
scenario documents it; a flag of the ``flags`` table, by a run of one of its
``shown_by`` scenarios that observed it on the segment that documents it. An
edge of RFC 9293's state diagram is shown by any run in which the kernel took
it (`lab.tcp._transitions`); an edge no run shows is reported with why (not
reachable on Linux, or not demonstrated yet), never counted as missed.
Pure: no kernel access.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from lab.tcp._edges import EDGES, UNREACHABLE, Edge, Event
from lab.tcp._spec import Deviation, Spec
from lab.tcp._transitions import edges_shown
from lab.tcp._verdict import ScenarioVerdict

__all__ = [
    "NOT_DEMONSTRATED",
    "Coverage",
    "CoverageRow",
    "CoverageStatus",
    "DeviationRow",
    "EdgeRow",
    "coverage",
]

NOT_DEMONSTRATED = "not demonstrated yet: no scenario run takes it"
"""Why an edge that Linux can take is not shown."""


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
class EdgeRow:
    """One edge of RFC 9293's state diagram, and the runs in which the kernel took it."""

    edge: Edge
    shown_in: tuple[str, ...]
    """Runs (verdict labels such as ``open (IPv4)``) whose state changes take the edge."""
    unreachable: str | None = None
    """Why Linux cannot take it through the socket API (from `lab.tcp._edges.UNREACHABLE`)."""
    not_waited: tuple[str, ...] = ()
    """Runs that document the timer ending it but did not wait it out (no --wait-timers)."""

    @property
    def why_not(self) -> str:
        """Why no run shows it ("" when one does)."""
        if self.shown_in:
            return ""
        if self.unreachable is not None:
            return f"not reachable on Linux: {self.unreachable}"
        if self.not_waited:
            return (
                f"not waited for: --wait-timers waits out the timer in {', '.join(self.not_waited)}"
            )
        return NOT_DEMONSTRATED


@dataclass(frozen=True)
class DeviationRow:
    """One place where Linux departs from RFC 9293, and the runs of its scenarios."""

    deviation: Deviation
    agreed: tuple[str, ...]
    """Runs of its `shown_by` scenarios that agree with the documentation (Linux's behaviour)."""
    disagreed: tuple[str, ...]
    """Runs of its scenarios that do not: then the deviation is not shown."""

    @property
    def shown(self) -> bool:
        """Whether some run of its scenarios ran, and every one that ran agreed."""
        return bool(self.agreed) and not self.disagreed

    @property
    def status(self) -> str:
        """``shown by close (IPv4), ...``, ``not shown: ... disagrees``, or ``not run: ...``."""
        if self.disagreed:
            verb = "disagrees" if len(self.disagreed) == 1 else "disagree"
            return f"not shown: {', '.join(self.disagreed)} {verb} with the documentation"
        if self.agreed:
            return f"shown by {', '.join(self.agreed)}"
        return f"not run: {', '.join(self.deviation.shown_by)} did not run"


@dataclass(frozen=True)
class Coverage:
    """Which documented states and flags the runs observed, and the edges they took."""

    states: tuple[CoverageRow, ...]
    flags: tuple[CoverageRow, ...]
    edges: tuple[EdgeRow, ...] = ()
    """Every edge of `lab.tcp._edges.EDGES`; reported, never part of `complete` or `missed`."""
    deviations: tuple[DeviationRow, ...] = ()
    """The spec's "Linux vs RFC 9293" table, each with the runs that show it."""

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
    """Sum `verdicts` up against `spec`'s states and flags tables and RFC 9293's edges."""
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
    shown = [(v.label, edges_shown(v)) for v in verdicts]
    edges = tuple(
        EdgeRow(
            edge,
            tuple(dict.fromkeys(label for label, taken in shown if edge in taken)),
            UNREACHABLE.get(edge.id),
            tuple(
                v.label
                for v in verdicts
                if edge.takes(Event.timer())
                and any((t.state, t.then) == (edge.source, edge.target) for t in v.timers)
                and not any(t.waited for t in v.timers)
            ),
        )
        for edge in EDGES
    )
    deviations = tuple(
        DeviationRow(
            deviation,
            tuple(v.label for v in verdicts if v.name in deviation.shown_by and v.ok),
            tuple(v.label for v in verdicts if v.name in deviation.shown_by and not v.ok),
        )
        for deviation in spec.deviations.values()
    )
    return Coverage(tuple(states), tuple(flags), edges, deviations)


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
