"""`lab check NOTE.md`: a study note's diagrams and tables judged on the kernel, line by line.

    result = check_note("docs/tcp.md")               # NoteError if unreadable
    print(result.report())                           # every claim at the note's own line
    result.ok                                        # no claim failed
    json.dumps(result.to_json())                     # {"ok", "note", "claims": [...], ...}

A note compiles (`lab.notes`) into the same spec model as tables.yaml, so the
check is `lab check`'s own: `plan_note` makes a `CheckPlan` whose scenarios are
the note's diagrams, plus the packaged scenarios that demonstrate a flag or a
state order the note's tables claim but no diagram shows, and those whose
documented states take an edge the note's state machines draw; `run_plan`
builds a fresh lab per scenario and family, runs it with stepping and judges
it. The claims of the note are then judged from those runs (`lab.tcp._claims`;
a state machine's edges against the edges the runs took, `lab.tcp._edge_claims`),
each at its line. Nothing here prints.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from lab._addresses import Family
from lab._check import CheckEvent, CheckInterrupted, CheckPlan, CheckResult, plan_check, run_plan
from lab._errors import NothingToCheckError
from lab.notes import (
    Note,
    NoteTable,
    load_note,
    render_mermaid,
    render_note_report,
)
from lab.tcp._claims import (
    ClaimVerdict,
    RunRecord,
    Verdict,
    claims_ok,
    count_claims,
    judge_flags,
    judge_orders,
    judge_scenario_claims,
    line_verdicts,
)
from lab.tcp._edge_claims import documented_pairs, edge_pairs, judge_edges
from lab.tcp._edges import EDGES, UNREACHABLE
from lab.tcp._junit import JunitCase, render_junit
from lab.tcp._spec import NO_FLAGS, Scenario, Source, Spec
from lab.tcp._spec_load import load_spec
from lab.topology import DEFAULT_TOPOLOGY, Topology

__all__ = [
    "NoteCheck",
    "NoteInterrupted",
    "NotePlan",
    "NothingToCheckError",
    "check_note",
    "plan_note",
    "run_note_plan",
]

LIFECYCLE: Final = ("open", "close")
"""The packaged scenarios a table of states is judged against when no diagram of the note
shows the exchange: a whole connection, opened and closed."""


@dataclass(frozen=True)
class NotePlan:
    """A note and the check that verifies it, every input checked: nothing is built yet."""

    note: Note
    check: CheckPlan
    demonstrations: tuple[Scenario, ...]
    """Packaged scenarios run because a table claims what no diagram shows (a flag, an
    order of states), or a state machine draws an edge, each with why."""
    why: Mapping[str, str] = field(default_factory=dict)
    """Demonstration scenario name → why it runs (``shows URG, claimed at line 72``,
    ``takes ESTABLISHED → CLOSE-WAIT, drawn at line 12``)."""


def plan_note(
    note: Note | str | Path,
    topology: Topology | str = DEFAULT_TOPOLOGY,
    *,
    families: Sequence[Family | str] | None = None,
    client: str | None = None,
    server: str | None = None,
) -> NotePlan:
    """Read the note and plan its check; NoteError if unreadable, NothingToCheckError if not TCP."""
    read = note if isinstance(note, Note) else load_note(note)
    if not read.is_tcp:
        raise NothingToCheckError(read.source, "", *_nothing_tcp(read))
    packaged = load_spec()
    demonstrations, why = _demonstrations(read, packaged)
    scenarios = {s.name: s for s in [*read.scenarios, *demonstrations]}
    spec = Spec(
        states=packaged.states,
        flags=packaged.flags,
        actions=packaged.actions,
        scenarios=scenarios,
        source=read.source,
    )
    plan = plan_check(topology, families=families, client=client, server=server, spec=spec)
    return NotePlan(read, plan, demonstrations, why)


def _nothing_tcp(note: Note) -> tuple[str, str]:
    """The problem and the fix of a note with nothing TCP: what was looked for and found."""
    found = "; ".join(str(skipped) for skipped in note.skipped) or "no diagram and no table"
    return (
        "nothing TCP in it: lab looks for mermaid sequenceDiagram blocks whose messages carry "
        "TCP flags (SYN, SYN+ACK, ACK, FIN, RST, [S.], SYN=1...) or whose Notes give TCP "
        "states, for mermaid stateDiagram blocks and flowcharts with arrows between TCP "
        f"states, and for tables with a column of TCP states or flags; found: {found}",
        f"see what lab read with: lab check {note.source} --explain",
    )


def _demonstrations(note: Note, packaged: Spec) -> tuple[tuple[Scenario, ...], dict[str, str]]:
    """Packaged scenarios for what the note's tables claim and none of its diagrams shows."""
    shown = functools.reduce(lambda flags, s: flags | s.documented_flags, note.scenarios, NO_FLAGS)
    chosen: dict[str, str] = {}
    for table in note.tables:
        for claim in table.flags:
            if claim.flag & shown:
                continue
            names = packaged.flags[claim.flag].shown_by if claim.flag in packaged.flags else ()
            if names:
                reason = f"shows {claim.flag.label}, claimed at line {claim.source.line}"
                chosen.setdefault(names[0], reason)
        if table.orders and table.scenario is None:
            for name in LIFECYCLE:
                chosen.setdefault(name, f"a whole connection, for the table at line {table.first}")
    chosen |= _edge_demonstrations(note, packaged, chosen)
    return tuple(packaged.scenarios[name] for name in chosen), chosen


def _edge_demonstrations(note: Note, packaged: Spec, chosen: Mapping[str, str]) -> dict[str, str]:
    """Every packaged scenario whose documented states take an edge a state machine draws.

    All of them, not the first: an edge may be taken on several events (SYN-SENT →
    CLOSED on a close, a RST or a timeout), and the label names which one. An edge
    Linux can take that no scenario documents is looked for in every scenario's runs:
    a run may show more than its table writes (syn-sent-close's server, reset from
    SYN-RECEIVED), and what none shows is then unchecked, never guessed.
    """
    pairs = edge_pairs() - {(e.source, e.target) for e in EDGES if e.id in UNREACHABLE}
    documented = {name: documented_pairs(s) for name, s in packaged.scenarios.items()}
    found: dict[str, str] = {}
    for edge in note.edges:
        pair = (edge.before, edge.after)
        if edge.unchecked is not None or pair not in pairs:
            continue
        drawn = f"{edge.before} → {edge.after}, drawn at line {edge.source.line}"
        takers = [name for name, taken in documented.items() if pair in taken]
        for name in takers or list(documented):
            if name not in chosen:
                found.setdefault(name, f"takes {drawn}" if takers else f"may show {drawn}")
    return found


def run_note_plan(
    plan: NotePlan,
    *,
    pcap_dir: Path | None = None,
    strict_flags: bool = False,
    wait_timers: bool = False,
    progress: Callable[[CheckEvent], None] | None = None,
    jobs: int | None = None,
) -> NoteCheck:
    """Run a planned note check; Ctrl-C raises NoteInterrupted carrying what finished.

    Up to `jobs` runs go side by side (see `run_plan`).
    """
    try:
        result = run_plan(
            plan.check,
            pcap_dir=pcap_dir,
            strict_flags=strict_flags,
            wait_timers=wait_timers,
            progress=progress,
            jobs=jobs,
        )
    except CheckInterrupted as interrupted:
        raise NoteInterrupted(NoteCheck.judged(plan, interrupted.result)) from interrupted
    return NoteCheck.judged(plan, result)


def check_note(
    note: Note | str | Path,
    topology: Topology | str = DEFAULT_TOPOLOGY,
    *,
    families: Sequence[Family | str] | None = None,
    client: str | None = None,
    server: str | None = None,
    pcap_dir: Path | None = None,
    strict_flags: bool = False,
    wait_timers: bool = False,
    progress: Callable[[CheckEvent], None] | None = None,
    jobs: int | None = None,
) -> NoteCheck:
    """Check every claim of a note on the kernel (`plan_note`, then `run_note_plan`)."""
    plan = plan_note(note, topology, families=families, client=client, server=server)
    return run_note_plan(
        plan,
        pcap_dir=pcap_dir,
        strict_flags=strict_flags,
        wait_timers=wait_timers,
        progress=progress,
        jobs=jobs,
    )


class NoteInterrupted(KeyboardInterrupt):
    """Ctrl-C during a note's check: still a KeyboardInterrupt, carrying what finished."""

    def __init__(self, result: NoteCheck) -> None:
        super().__init__(f"interrupted after {len(result.result.runs)} finished runs")
        self.result = result


@dataclass(frozen=True)
class NoteCheck:
    """A note's claims, each judged in each family, and the runs they were judged from."""

    plan: NotePlan
    result: CheckResult
    claims: tuple[ClaimVerdict, ...]
    """Every claim in the note's line order, IPv4 before IPv6 on a line."""

    @classmethod
    def judged(cls, plan: NotePlan, result: CheckResult) -> NoteCheck:
        """Judge every claim of the note from the runs `result` holds."""
        records = [run.record() for run in result.runs]
        claims: list[ClaimVerdict] = []
        diagrams = {d.scenario.name for d in plan.note.diagrams}
        for record, verdict in zip(records, result.verdicts, strict=True):
            if record.scenario.name in diagrams:
                claims += judge_scenario_claims(record, verdict)
        for family in result.families:
            mine = [r for r in records if r.family == str(family)]
            runs = [
                (r, v)
                for r, v in zip(records, result.verdicts, strict=True)
                if r.family == str(family)
            ]
            claims += judge_edges(plan.note.edges, runs, family=str(family))
            if not mine:
                continue
            for table in plan.note.tables:
                claims += _table_claims(table, mine, str(family), interrupted=result.interrupted)
        order = {str(f): n for n, f in enumerate(Family)}
        claims.sort(key=lambda c: (c.line, order.get(c.family, 9)))
        return cls(plan, result, tuple(claims))

    @property
    def note(self) -> Note:
        return self.plan.note

    @property
    def ok(self) -> bool:
        """No claim failed, and the check ran to its end."""
        return not self.result.interrupted and claims_ok(self.claims)

    @property
    def counts(self) -> dict[Verdict, int]:
        """Claims per verdict, worst first (``{"fail": 0, "timer": 1, "ok": 40, ...}``)."""
        return count_claims(self.claims)

    @property
    def stopped(self) -> dict[str, list[str]]:
        """Scenario → why its runs stopped early, per family (an action the sockets could not
        do there: data after a reset); the claims after it are judged as not observed."""
        stopped: dict[str, list[str]] = {}
        for run in self.result.runs:
            if run.stopped:
                stopped.setdefault(run.scenario.name, []).append(f"{run.family}: {run.stopped}")
        return stopped

    def lines(self, verdict: Verdict) -> list[int]:
        """The lines whose verdict (the worst of their claims, both families) is `verdict`.

        ``result.lines("fail")`` is where the note and the kernel disagree.
        """
        return [line for line, found in line_verdicts(self.claims).items() if found == verdict]

    def records(self, scenario: str) -> list[RunRecord]:
        """The runs of one scenario (``L12-25``), one per family, as records."""
        return [r.record() for r in self.result.runs if r.scenario.name == scenario]

    def report(self, lines: tuple[int, int] | None = None) -> str:
        """Every claim at its line, in the note's words: the line, documented, observed, verdict.

        `lines` (first, last) keeps the blocks within those lines (a pytest item's diagram).
        """
        claims = self.claims
        if lines is not None:
            claims = tuple(c for c in claims if lines[0] <= c.line <= lines[1])
        return render_note_report(
            self.note,
            claims,
            only=lines,
            header=self.result.header(),
            demonstrations=self.plan.why,
            pcaps=self.result.pcaps,
            stopped=self.stopped,
            interrupted=self.result.not_run if self.result.interrupted else None,
        )

    def without_pcaps(self) -> NoteCheck:
        """The same check naming no pcap (for when the pcaps were removed)."""
        return dataclasses.replace(self, result=self.result.without_pcaps())

    def mermaid(self) -> str:
        """Each diagram's run (the first family's) as a mermaid sequenceDiagram, fenced."""
        blocks = []
        for diagram in self.note.diagrams:
            records = self.records(diagram.scenario.name)
            if not records:
                continue
            text = render_mermaid(records[0], diagram, self.note.spellings)
            blocks.append(
                f"What the kernel did for lines {diagram.first}-{diagram.last} of "
                f"{self.note.source} ({records[0].family}), in the note's words:\n"
                f"```mermaid\n{text.rstrip()}\n```"
            )
        return "\n\n".join(blocks)

    def cases(self) -> list[JunitCase]:
        """JUnit cases: one per diagram or table and family, failing with its report."""
        cases = []
        for first, last, label in self.note.blocks:
            for family in self.result.families:
                mine = [
                    c for c in self.claims if first <= c.line <= last and c.family == str(family)
                ]
                if not mine:
                    continue
                failed = sorted({c.line for c in mine if c.verdict == "fail"})
                failure = None
                if failed:
                    lines = ", ".join(map(str, failed))
                    failure = (
                        f"the kernel disagrees at line(s) {lines}",
                        self.report((first, last)),
                    )
                cases.append(
                    JunitCase(
                        f"{label} ({family})",
                        classname=f"lab check.{self.note.source}",
                        failure=failure,
                        output="" if failure else self.report((first, last)),
                    )
                )
        return cases

    @staticmethod
    def junit_xml(checks: Sequence[NoteCheck]) -> str:
        """Every note's cases in one JUnit XML document, for CI systems."""
        cases = [case for check in checks for case in check.cases()]
        kernel = checks[0].result.kernel if checks else ""
        return render_junit(cases, properties={"kernel": kernel}, hostname=os.uname().nodename)

    def to_json(self) -> dict[str, object]:
        """The note's verdicts as plain data, ready for json.dumps."""
        result = self.result
        return {
            "ok": self.ok,
            "note": self.note.source,
            "title": self.note.title,
            "claims": [_claim_json(claim) for claim in self.claims],
            "counts": self.counts,
            "diagrams": [
                {
                    "scenario": d.scenario.name,
                    "lines": [d.first, d.last],
                    "shows": d.kind,
                    "names": {str(role): name for role, name in d.names.items()},
                    "because": d.because,
                }
                for d in self.note.diagrams
            ],
            "state_diagrams": [
                {"lines": [m.first, m.last], "kind": m.kind, "edges": len(m.edges)}
                for m in self.note.state_diagrams
            ],
            "demonstrations": dict(self.plan.why),
            "stopped": self.stopped,
            "skipped": [
                {"lines": [s.first, s.last], "what": s.what, "reason": s.reason}
                for s in self.note.skipped
            ],
            "warnings": [{"line": w.line, "message": w.message} for w in self.note.warnings],
            "kernel": result.kernel,
            "tcp_settings": None if result.tcp_settings is None else result.tcp_settings.to_json(),
            "queue": result.queue,
            "topology": result.topology.name,
            "families": [str(f) for f in result.families],
            "left_out": {str(f): why for f, why in result.left_out.items()},
            "pcaps": result.pcaps,
            "seconds": round(result.seconds, 3),
            "interrupted": result.interrupted,
            "not_run": list(result.not_run),
        }


def _claim_json(claim: ClaimVerdict) -> dict[str, object]:
    """A claim as plain data: every field of `ClaimVerdict`, by name."""
    return dataclasses.asdict(claim)


def _table_claims(
    table: NoteTable, records: Sequence[RunRecord], family: str, *, interrupted: bool = False
) -> list[ClaimVerdict]:
    """A table's rows judged in one family: orders against its diagram's run, flags against all.

    After Ctrl-C a flag no finished run sent is unchecked, not failed: a run that did not
    finish may have sent it.
    """
    claims: list[ClaimVerdict] = []
    if table.orders:
        names = [table.scenario] if table.scenario else list(LIFECYCLE)
        against = [r for name in names for r in records if r.scenario.name == name]
        claims += judge_orders(table.orders, against, family=family)
    if table.flags:
        flags = judge_flags(table.flags, records, family=family)
        if interrupted:
            flags = tuple(_unfinished(c) if c.verdict == "fail" else c for c in flags)
        claims += flags
    judged = {claim.line for claim in claims}
    for row in table.rows:
        if row.unchecked is not None and row.source.line not in judged:
            claims.append(_unchecked_row(row.source, row.unchecked, family, table.scenario))
    return claims


def _unfinished(claim: ClaimVerdict) -> ClaimVerdict:
    return dataclasses.replace(
        claim,
        verdict="unchecked",
        observed="",
        detail="interrupted (Ctrl-C) before every run finished; none that did sent it",
    )


def _unchecked_row(source: Source, reason: str, family: str, scenario: str | None) -> ClaimVerdict:
    return ClaimVerdict(
        line=source.line,
        text=source.text,
        kind="table-row",
        verdict="unchecked",
        family=family,
        documented="",
        observed="",
        detail=reason,
        scenario=scenario or "",
    )
